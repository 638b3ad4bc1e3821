import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

// Two tsc runs over every block take the hook's time; each block that runs gets a test's.
export default mergeConfig(shared, { test: { testTimeout: 60_000, hookTimeout: 120_000 } })
