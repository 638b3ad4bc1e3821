import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pocketsOf, type RunningEmulator } from '../src/index.js'
import { login, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
let accessToken: string
beforeAll(async () => {
  emulator = await startTestEmulator()
  accessToken = (await login(emulator)).body.access_token as string
})
afterAll(() => emulator.stop())

const get = (path: string, token?: string) =>
  fetch(`${emulator.issuer}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})

describe('the pockets API', () => {
  it('200 with the user’s deterministic pockets', async () => {
    const response = await get('/api/pockets', accessToken)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: unknown }).data).toEqual(pocketsOf('alice'))
    const one = await get(`/api/pockets/${pocketsOf('alice')[0]?.id}`, accessToken)
    expect(await one.json()).toEqual(pocketsOf('alice')[0])
    expect((await get('/api/pockets/nope', accessToken)).status).toBe(404)
  })

  it('401 with WWW-Authenticate when the token is missing', async () => {
    const response = await get('/api/pockets')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="jiko", DPoP realm="jiko", algs="ES256"',
    )
  })

  it('401 invalid_token for a forged token', async () => {
    const [h, p] = accessToken.split('.')
    const response = await get('/api/pockets', `${h}.${p}.${'A'.repeat(342)}`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  it('401 invalid_token for an expired token (issued with a skewed clock)', async () => {
    emulator.faults.skewClock(-3600)
    const expired = (await login(emulator)).body.access_token as string
    emulator.faults.reset()
    const response = await get('/api/pockets', expired)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  it('403 insufficient_scope without pockets.read', async () => {
    const other = (await login(emulator, { scope: 'transfers.read' })).body.access_token as string
    const response = await get('/api/pockets', other)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="pockets.read"/,
    )
  })
})
