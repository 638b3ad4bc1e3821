import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

// `next build` on two cores takes a while: the build and the server start get their own timeouts in the test.
export default mergeConfig(shared, { test: { testTimeout: 60_000, hookTimeout: 180_000 } })
