// "Not you? Use another account" on the consent page, and the favicon every page asks for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/index.js'
import { authorizeUrl, pkce, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startTestEmulator({ headless: false })
})
afterAll(() => emulator.stop())

/** A browser's part, by hand: one cookie jar, redirects followed, forms posted. */
function browser() {
  const cookies = new Map<string, string>()
  async function go(url: string, form?: Record<string, string>): Promise<{ url: string; html: string }> {
    let next = url
    let body = form ? new URLSearchParams(form).toString() : undefined
    for (let hop = 0; hop < 20; hop++) {
      const response = await fetch(next, {
        method: body === undefined ? 'GET' : 'POST',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(body === undefined ? {} : { body }),
      })
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';')
        const eq = pair.indexOf('=')
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
      body = undefined
      const location = response.headers.get('location')
      if (!location) return { url: next, html: await response.text() }
      next = new URL(location, next).href
      if (new URL(next).origin !== emulator.url) return { url: next, html: '' }
    }
    throw new Error('too many redirects')
  }
  return { go }
}

const decode = (text: string) => text.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)))
const actionOf = (html: string) => decode(/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '')
const start = () =>
  authorizeUrl(emulator, {
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    scope: 'openid pockets.read',
  })

describe('Not you? Use another account', () => {
  it('after a denial, the next sign-in goes to consent for the same user, who can switch to another', async () => {
    const { go } = browser()
    let page = await go(start())
    page = await go(new URL(actionOf(page.html), emulator.url).href, {
      username: 'alice',
      password: 'alice-password',
    })
    expect(page.html).toContain('asks, for <strong>alice</strong>')
    const denied = await go(new URL(actionOf(page.html), emulator.url).href, { decision: 'deny' })
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied')

    // Signing in again: Jiko remembers alice, straight to her consent page, which offers the way out.
    page = await go(start())
    expect(page.html).toContain('asks, for <strong>alice</strong>')
    const link = /<a href="([^"]+)">Not you\? Use another account<\/a>/.exec(page.html)?.[1]
    expect(link).toMatch(/^\/interaction\/[^/]+\/switch$/)

    page = await go(new URL(decode(link as string), emulator.url).href)
    expect(page.html).toContain('Signed in as <strong>alice</strong>')
    expect(page.html).toContain('<label for="username">User</label>')
    page = await go(new URL(actionOf(page.html), emulator.url).href, {
      username: 'bob',
      password: 'bob-password',
    })
    // oidc-provider ends alice's session first, through a self-submitting form (a browser posts it at once).
    for (let i = 0; i < 3 && !page.html.includes('Allow access?'); i++) {
      const inputs = Object.fromEntries(
        [...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [
          m[1],
          m[2],
        ]),
      )
      page = await go(new URL(actionOf(page.html), emulator.url).href, inputs as Record<string, string>)
    }
    expect(page.html).toContain('asks, for <strong>bob</strong>')
    const approved = await go(new URL(actionOf(page.html), emulator.url).href, { decision: 'approve' })
    expect(new URL(approved.url).searchParams.get('code')).toBeTruthy()
  })

  it('a wrong password on the switch page shows the form again, with an alert', async () => {
    const { go } = browser()
    let page = await go(start())
    page = await go(new URL(actionOf(page.html), emulator.url).href, {
      username: 'carol',
      password: 'carol-password',
    })
    const link = /<a href="([^"]+)">Not you\?/.exec(page.html)?.[1] as string
    page = await go(new URL(decode(link), emulator.url).href)
    page = await go(new URL(actionOf(page.html), emulator.url).href, { username: 'bob', password: 'nope' })
    expect(page.html).toContain('Unknown user or wrong password.')
  })
})

describe('favicon', () => {
  it('is served at /favicon.ico and /favicon.svg, and every page links it', async () => {
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      const response = await fetch(`${emulator.url}${path}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('image/svg+xml')
      expect(await response.text()).toMatch(/^<svg /)
    }
    const first = await fetch(start(), { redirect: 'manual' })
    const cookie = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const page = await fetch(new URL(first.headers.get('location') as string, emulator.url), {
      headers: { cookie },
    })
    expect(await page.text()).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">')
  })
})
