import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

// Chromium, the demo server and the emulator share 2 cores with the other packages' tests in CI: a test that takes
// 20 s alone took over 60 s there once.
export default mergeConfig(shared, { test: { testTimeout: 120_000, hookTimeout: 120_000 } })
