import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

// npm install from the registry (with better-sqlite3 compiled from source, ~80 s on two cores) and four tsc runs:
// the install gets the hook's time, each tsc run a test's.
export default mergeConfig(shared, { test: { testTimeout: 90_000, hookTimeout: 420_000 } })
