const REDACTED = '[redacted]'
const SECRET_KEYS = new Set([
  'accessToken',
  'refreshToken',
  'idToken',
  'codeVerifier',
  'nonce',
  'dpopKey',
  'state',
  'callbackUrl',
])
const SECRET_PARAMS = [
  'code',
  'state',
  'nonce',
  'code_challenge',
  'code_verifier',
  'access_token',
  'refresh_token',
]

function redactUrl(value: string): string {
  const queryStart = value.indexOf('?')
  if (queryStart < 0) return value
  const params = new URLSearchParams(value.slice(queryStart + 1))
  const secret = SECRET_PARAMS.filter((name) => params.has(name))
  if (secret.length === 0) return value
  for (const name of secret) params.set(name, REDACTED)
  return `${value.slice(0, queryStart)}?${params}`
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function redactValue(value: unknown, key: string | undefined, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEYS.has(key)) return REDACTED
    return key === 'url' || key === 'authorizationUrl' ? redactUrl(value) : value
  }
  // Only plain data is copied; class instances (actor refs, machines) are left for the serializer to summarise.
  if (typeof value !== 'object' || value === null || seen.has(value)) return value
  if (Array.isArray(value)) {
    seen.add(value)
    return value.map((item) => redactValue(item, undefined, seen))
  }
  if (!isPlainObject(value)) return value
  seen.add(value)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k, seen)]))
}

/**
 * A deep copy with every secret the machine handles replaced by "[redacted]": tokens, the PKCE verifier and state,
 * the callback URL (it holds the code) and those parameters in any `url`. Works on a context, an event, a
 * persisted snapshot or a whole inspection event; the original is not changed.
 *
 * @example
 * ```ts
 * import { createBrowserInspector } from '@statelyai/inspect'
 * const inspector = createBrowserInspector({ serialize: redact })
 * createActor(machine, { inspect: inspector.inspect })
 * ```
 */
export function redact<T>(value: T): T {
  return redactValue(value, undefined, new WeakSet()) as T
}
