// @vitest-environment node
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

/** The browser budget: the react entry and what it reaches (core's machine, xstate), react external. */
/**
 * 16.5 KiB. (16,000 until the identity codes joined ErrorCode: +170 bytes; 16 KiB until inspectors saw events
 * through `redact` by default, their snapshots included: +350 bytes.)
 */
const BUDGET_BYTES = 16.5 * 1024

it(`bundles to at most ${BUDGET_BYTES} bytes min+gzip, without jose, zod or node:*`, async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  expect(inputs.filter((path) => /\/(jose|zod)\/|^node:/.test(path))).toEqual([])
  const gzipped = gzipSync((result.outputFiles[0] as { contents: Uint8Array }).contents).length
  console.info(`@jiko-auth/react browser bundle: ${gzipped} bytes min+gzip (budget ${BUDGET_BYTES})`)
  expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES)
})
