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

/**
 * The first cookie named `cookieName` whose value `accept` takes, or undefined. A request may carry several cookies
 * of one name (a sibling subdomain can plant one beside ours, and it is sent first): the one that is ours wins, so
 * a planted cookie can neither sign the user out nor in.
 */
export function readCookie(
  request: Request,
  cookieName: string,
  accept: (raw: string) => boolean,
): string | undefined {
  const header = request.headers.get('cookie')
  if (!header) return undefined
  const first = parseCookie(header)[cookieName]
  if (first === undefined || accept(first)) return first
  // Rare: the first one is not ours. The cookie library skips a value its decoder refuses and tries the next one.
  return parseCookie(header, {
    decode: (encoded) => {
      const raw = decodeCookieValue(encoded)
      return accept(raw) ? raw : undefined
    },
  })[cookieName]
}

/** The cookie library's own default decoding: percent-decoded when it can be, as it is otherwise. */
function decodeCookieValue(encoded: string): string {
  if (!encoded.includes('%')) return encoded
  try {
    return decodeURIComponent(encoded)
  } catch {
    return encoded
  }
}

/** The value of a signed cookie, or undefined when absent or not signed by us. */
export function readSigned(jar: CookieJar, raw: string | undefined) {
  if (!raw) return undefined
  const value = signature.unsign(raw, Buffer.from(jar.signingKey))
  return value === false ? undefined : value
}

/** The value of the first cookie named `cookieName` that we signed, or undefined. */
export function readSignedCookie(jar: CookieJar, request: Request, cookieName: string): string | undefined {
  return readSigned(
    jar,
    readCookie(request, cookieName, (raw) => readSigned(jar, raw) !== undefined),
  )
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
