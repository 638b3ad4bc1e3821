// createJikoServiceClient against the emulator's client-credentials grant, across real processes sharing a real
// redis-server: 4 processes × 250 concurrent getToken() make exactly one token request, and a new one only after
// the leeway. Also DPoP for the service, end to end.
import { fileURLToPath } from 'node:url'
import { type RunningEmulator, startEmulator } from '@jiko-auth/emulator'
import { type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJikoServiceClient } from '../src/index.js'
import { SECRET } from './harness.js'
import { WorkerProcess } from './workerProcess.js'

const workerScript = fileURLToPath(new URL('./fixtures/serviceWorker.ts', import.meta.url))

let redis: RedisServer
let emulator: RunningEmulator
let privateKey: string

beforeAll(async () => {
  redis = await startRedisServer()
  const keys = await generateKeyPair('PS256', { extractable: true })
  privateKey = await exportPKCS8(keys.privateKey)
  emulator = await startEmulator({
    clients: [
      { clientId: 'svc', grantTypes: ['client_credentials'], publicKey: await exportSPKI(keys.publicKey) },
    ],
  })
})
afterAll(async () => {
  await emulator?.stop()
  await redis?.stop()
})

const serviceOptions = () => ({
  issuer: emulator.issuer,
  clientId: 'svc',
  scopes: ['pockets.read'],
  privateKey,
})

describe('the service client across processes (Redis)', () => {
  it('4 processes × 250 concurrent getToken() → exactly one token request; a new one only after the leeway', async () => {
    const workers = Array.from(
      { length: 4 },
      () =>
        new WorkerProcess(workerScript, { redisUrl: redis.url, secret: SECRET, options: serviceOptions() }),
    )
    try {
      for (const worker of workers) expect(await worker.next()).toBe('ready')
      const seen: string[] = []
      // Round 1: no token anywhere. Round 2: 13 minutes later, before the 900 s token's 60 s leeway: no request.
      // Round 3: 14.5 minutes later, past the leeway: one new token.
      for (const [offsetMs, grants] of [
        [0, 1],
        [780_000, 0],
        [870_000, 1],
      ] as const) {
        emulator.stats.reset()
        const outcomes = await Promise.all(workers.map((w) => w.round(offsetMs, 250)))
        expect(outcomes.flatMap((o) => o.errors)).toEqual([])
        expect(outcomes.reduce((sum, o) => sum + o.fulfilled, 0)).toBe(1000)
        const tokens = new Set(outcomes.flatMap((o) => o.tokens))
        expect(tokens.size).toBe(1)
        expect(emulator.stats.grants.client_credentials ?? 0).toBe(grants)
        seen.push(...tokens)
      }
      expect(seen[0]).toBe(seen[1])
      expect(seen[2]).not.toBe(seen[1])
    } finally {
      for (const worker of workers) worker.stop()
    }
  }, 60_000)
})

describe('the service client against the emulator', () => {
  it('gets a token for its API scopes and calls the pockets API with it', async () => {
    const service = createJikoServiceClient(serviceOptions())
    const response = await service.fetch(`${emulator.issuer}/api/pockets`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: { id: string }[] }).data[0]?.id).toMatch(/^pkt_svc_/)
  })

  it('with dpop: a DPoP-bound token (after the nonce dance), used with proofs at the API', async () => {
    const service = createJikoServiceClient({ ...serviceOptions(), dpop: true })
    emulator.stats.reset()
    const response = await service.fetch(`${emulator.issuer}/api/pockets`)
    expect(response.status).toBe(200)
    expect(emulator.stats.dpopProofs).toBe(1)
    // The token is bound: sent as Bearer, the API refuses it.
    const bearer = await fetch(`${emulator.issuer}/api/pockets`, {
      headers: { authorization: `Bearer ${await service.getToken()}` },
    })
    expect(bearer.status).toBe(401)
  })
})
