import { createHash } from 'node:crypto'
import { parseCookie, stringifySetCookie } from 'cookie'
import signature from 'cookie-signature'

export interface CookieJar {
  secure: boolean
  signingKey: Uint8Array
}

function name(jar: CookieJar, base: string): string {
  return jar.secure ? `__Host-${base}` : base
}

export const sessionCookieName = (jar: CookieJar) => name(jar, 'jiko-session')

/** One cookie per login in flight, keyed by its state, so parallel logins in several tabs do not collide. */
export const transactionCookieName = (jar: CookieJar, state: string) =>
  name(jar, `jiko-tx-${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`)

export function readCookies(request: Request): Record<string, string | undefined> {
  const header = request.headers.get('cookie')
  return header ? parseCookie(header) : {}
}

/** The value of a signed cookie, or undefined when absent or not signed by us. */
export function readSigned(jar: CookieJar, raw: string | undefined) {
  if (!raw) return undefined
  const value = signature.unsign(raw, Buffer.from(jar.signingKey))
  return value === false ? undefined : value
}

/** Set-Cookie for a signed value: HttpOnly, SameSite=Lax, Path=/, Secure (and __Host-) unless on http://localhost. */
export function setSigned(jar: CookieJar, cookieName: string, value: string, maxAgeSeconds: number): string {
  return stringifySetCookie({
    name: cookieName,
    value: signature.sign(value, Buffer.from(jar.signingKey)),
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: jar.secure,
    maxAge: maxAgeSeconds,
  })
}

export function clearCookie(jar: CookieJar, cookieName: string): string {
  return stringifySetCookie({
    name: cookieName,
    value: '',
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: jar.secure,
    maxAge: 0,
  })
}
