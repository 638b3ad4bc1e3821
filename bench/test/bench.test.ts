// The benchmarks in miniature, so that CI proves `pnpm bench` still runs and that what it checks still holds.
// The figures here are not measurements (a round or two, tiny batches); `pnpm bench` gives those.
import { describe, expect, it } from 'vitest'
import { browserWeight } from '../src/browserWeight.mjs'
import { hotPath } from '../src/hotPath.mjs'
import { loginCpu } from '../src/loginCpu.mjs'
import { loginNetwork } from '../src/loginNetwork.mjs'
import { refreshStorm } from '../src/refreshStorm.mjs'
import { sessionMemory } from '../src/sessionMemory.mjs'

const quick = { rounds: 1, warmupRounds: 0, batchMs: 5 }

describe('pnpm bench, in miniature', () => {
  it('client CPU per login: every candidate completes a login', async () => {
    const result = await loginCpu(quick)
    expect(Object.keys(result).sort()).toEqual(
      ['floor', 'jiko', 'jiko functions', 'machine share', 'openid-client'].sort(),
    )
    for (const nsPerLogin of Object.values(result)) expect(nsPerLogin).toBeGreaterThan(0)
  })

  it('client CPU per login over loopback: every candidate signs in against the emulator in another process', async () => {
    const result = await loginNetwork({ rounds: 1, warmupRounds: 0, loginsPerRound: 1 })
    expect(Object.keys(result).sort()).toEqual(
      ['jiko (fetch)', 'jiko (node:http keep-alive)', 'openid-client'].sort(),
    )
    for (const nsPerLogin of Object.values(result)) expect(nsPerLogin).toBeGreaterThan(0)
  }, 60_000)

  it('hot path: getAccessToken, the floor and iron-session read the same session in every store', async () => {
    const result = await hotPath(quick)
    expect(Object.keys(result)).toEqual(['memory', 'sqlite', 'redis'])
  }, 60_000)

  it('refresh storm: one grant per session per round, across 4 processes, with no error', async () => {
    const result = await refreshStorm({ callers: 40, wideSessions: 3, rounds: 2, warmupRounds: 1 })
    expect(result.errors).toBe(0)
    expect([result.narrow.grantsOk, result.wide.grantsOk, result.queue.grantsOk]).toEqual([true, true, true])
  }, 60_000)

  it('browser weight: @jiko-auth/react within its 16.5 KiB budget', async () => {
    expect((await browserWeight())['@jiko-auth/react']).toBeLessThanOrEqual(16.5 * 1024)
  }, 60_000)

  it('memory per session: at most 2 KB in every store', async () => {
    const result = await sessionMemory({ sessions: 5 })
    expect(Object.keys(result)).toEqual(['memory', 'sqlite', 'redis'])
    for (const bytes of Object.values(result)) expect(bytes).toBeLessThanOrEqual(2048)
  }, 60_000)
})
