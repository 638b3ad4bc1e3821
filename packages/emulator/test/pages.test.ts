import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/index.js'
import { authorizeUrl, pkce, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startTestEmulator({ headless: false })
})
afterAll(() => emulator.stop())

const start = () => {
  const { challenge } = pkce()
  return authorizeUrl(emulator, {
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'openid pockets.read',
  })
}

describe('login and consent pages', () => {
  it('renders an accessible login form with labelled fields', async () => {
    const first = await fetch(start(), { redirect: 'manual' })
    const cookie = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const page = await fetch(new URL(first.headers.get('location') as string, emulator.issuer), {
      headers: { cookie },
    })
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('<label for="username">User</label>')
    expect(html).toContain('<label for="password">Password</label>')
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/)
  })

  it('signs in through the pages and approves: a code comes back', async () => {
    const callback = new URL(await emulator.signIn(start(), { user: 'bob' }))
    expect(callback.searchParams.get('code')).toBeTruthy()
    expect(callback.searchParams.get('state')).toBe('state-1')
  })

  it('Deny returns error=access_denied', async () => {
    const callback = new URL(await emulator.signIn(start(), { user: 'alice', decision: 'deny' }))
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('code')).toBeNull()
    expect(callback.searchParams.get('state')).toBe('state-1')
  })

  it('a wrong password shows the form again with an alert', async () => {
    await expect(emulator.signIn(start(), { user: 'alice', password: 'wrong' })).rejects.toThrow(/401/)
  })

  it('headless mode approves without pages, as the configured user', async () => {
    emulator.setHeadless('carol')
    try {
      const callback = new URL(await emulator.signIn(start()))
      expect(callback.searchParams.get('code')).toBeTruthy()
    } finally {
      emulator.setHeadless(false)
    }
  })
})
