// examples/inspect-node.mjs: the XState inspector on core's machine in Node, offline, with redact as serializer.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '@jiko-auth/storage-contract'
import { expect, it } from 'vitest'

const example = fileURLToPath(new URL('../../../examples/inspect-node.mjs', import.meta.url))

it('examples/inspect-node.mjs starts, and its local receiver gets redacted inspection events', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [example], {
    env: { ...process.env, INSPECT_PORT: String(await freePort()) },
    timeout: 45_000,
  })
  const count = Number(/the local receiver got (\d+) inspection events/.exec(stdout)?.[1] ?? 0)
  expect(count).toBeGreaterThan(10)
  expect(stdout).toContain('@xstate.actor, @xstate.event, @xstate.snapshot')
  expect(stdout).toContain('no code, verifier or token among them: redacted')
})
