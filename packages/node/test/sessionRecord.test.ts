import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deriveKey, openRecord } from '../src/sealRecord.js'
import { Browser, SECRET, signIn, startApp, type TestApp } from './harness.js'

async function storedTokens(app: TestApp, browser: Browser) {
  const id = decodeURIComponent(browser.cookiesFor(app.origin).get('jiko-session') as string).split(
    '.',
  )[0] as string
  const key = `jiko:session:${createHash('sha256').update(id).digest('base64url')}`
  const sealed = (await app.storage.get(key)) as string
  const record = await openRecord<{
    flow: {
      context: { returnTo?: string; session: { user?: { sub: string }; tokens: Record<string, unknown> } }
    }
  }>(deriveKey(SECRET, 'session-encryption'), key, sealed)
  return { sealed, session: record?.flow.context.session, context: record?.flow.context }
}

describe('the stored session', () => {
  it('keeps the user but not the id token by default (a third of its bytes), nor the spent returnTo', async () => {
    const app = await startApp()
    try {
      const browser = new Browser()
      await signIn(app, browser)
      const { sealed, session, context } = await storedTokens(app, browser)
      expect(session?.user?.sub).toBe('alice')
      expect(context).not.toHaveProperty('returnTo')
      expect(session?.tokens.idToken).toBeUndefined()
      expect(session?.tokens.refreshToken).toEqual(expect.any(String))
      expect(sealed.length).toBeLessThanOrEqual(2048)
    } finally {
      await app.stop()
    }
  })

  it('keeps the id token with session.keepIdToken', async () => {
    const app = await startApp({ session: { keepIdToken: true } })
    try {
      const browser = new Browser()
      await signIn(app, browser)
      expect((await storedTokens(app, browser)).session?.tokens.idToken).toEqual(expect.any(String))
    } finally {
      await app.stop()
    }
  })
})
