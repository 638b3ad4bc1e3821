import { defineConfig } from 'vitest/config'

/** Every package's vitest settings: tests in test/, a JSON report that .ci/run sums up. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    testTimeout: 20_000,
  },
})
