import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/index.js'
import { login, refresh, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
let refreshToken: string
beforeAll(async () => {
  emulator = await startTestEmulator()
})
afterEach(async () => {
  emulator.faults.reset()
  refreshToken = (await login(emulator)).body.refresh_token as string
})
afterAll(() => emulator.stop())

async function next() {
  refreshToken ??= (await login(emulator)).body.refresh_token as string
  return refresh(emulator, refreshToken)
}

describe('fault injection', () => {
  it('delays token requests by N ms', async () => {
    emulator.faults.delay(300)
    const started = performance.now()
    expect((await next()).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
  })

  it('answers 5xx (HTML) for the next N requests, then recovers', async () => {
    emulator.faults.failTokenRequests({ status: 502, count: 2 })
    expect((await next()).status).toBe(502)
    const second = await next()
    expect(second.status).toBe(502)
    expect(second.text).toContain('<html>')
    expect((await next()).status).toBe(200)
  })

  it('answers 429 with Retry-After', async () => {
    emulator.faults.failTokenRequests({ status: 429, retryAfterSeconds: 7 })
    const result = await next()
    expect(result.status).toBe(429)
    expect(result.headers.get('retry-after')).toBe('7')
  })

  it('answers invalid_grant on the next refresh only (an authorization_code grant passes)', async () => {
    emulator.faults.invalidGrantOnNextRefresh()
    expect((await login(emulator)).status).toBe(200)
    const result = await next()
    expect(result.status).toBe(400)
    expect(result.body.error).toBe('invalid_grant')
  })

  it('answers malformed JSON', async () => {
    emulator.faults.malformedJson()
    const result = await next()
    expect(result.status).toBe(200)
    expect(() => JSON.parse(result.text)).toThrow()
  })

  it('answers whatever it is told to (status, body, content type)', async () => {
    emulator.faults.respondWith({ status: 200, body: '{"error":"server_error"}' })
    const result = await next()
    expect([result.status, result.body.error]).toEqual([200, 'server_error'])
    expect((await next()).status).toBe(200)
  })

  it('drops the connection', async () => {
    emulator.faults.dropConnection()
    await expect(next()).rejects.toThrow(/fetch failed/)
  })

  it('issues tokens with a skewed clock', async () => {
    emulator.faults.skewClock(-600)
    const { body } = await next()
    const { iat = 0 } = decodeJwt(body.access_token as string)
    expect(Math.floor(Date.now() / 1000) - iat).toBeGreaterThanOrEqual(599)
  })

  it('revokes every token of a user', async () => {
    const { body } = await login(emulator)
    emulator.revokeUser('alice')
    expect((await refresh(emulator, body.refresh_token as string)).body.error).toBe('invalid_grant')
    const pockets = await fetch(`${emulator.issuer}/api/pockets`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    })
    expect(pockets.status).toBe(401)
  })

  it('is driven over HTTP by the admin endpoint, and resettable', async () => {
    const post = (fault: unknown) =>
      fetch(`${emulator.issuer}/__emulator/faults`, { method: 'POST', body: JSON.stringify(fault) })
    await post({ type: 'status', status: 503, count: 5 })
    expect((await next()).status).toBe(503)
    await fetch(`${emulator.issuer}/__emulator/faults`, { method: 'DELETE' })
    expect((await next()).status).toBe(200)
    const stats = (await (await fetch(`${emulator.issuer}/__emulator/stats`)).json()) as {
      grants: Record<string, number>
    }
    expect(stats.grants.refresh_token).toBeGreaterThan(0)
  })
})
