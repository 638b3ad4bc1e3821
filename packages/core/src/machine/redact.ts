const REDACTED = '[redacted]'
/** Context keys and URL parameters alike: a name that is a secret in one place is one in the other. */
const SECRET_NAMES =
  'accessToken|refreshToken|idToken|codeVerifier|dpopKey|callbackUrl|code|state|nonce|code_challenge|code_verifier|access_token|refresh_token|id_token'
const SECRET_KEY = new RegExp(`^(?:${SECRET_NAMES})$`)
const SECRET_PARAM = new RegExp(`([?&](?:${SECRET_NAMES})=)[^&#]*`, 'g')

function redactValue(value: unknown, key: string | undefined, copies: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEY.test(key)) return REDACTED
    return key === 'url' || key === 'authorizationUrl' ? value.replace(SECRET_PARAM, `$1${REDACTED}`) : value
  }
  if (typeof value !== 'object' || value === null) return value
  // An object met twice (an effect's output is also in the next context) gets the same redacted copy.
  if (copies.has(value)) return copies.get(value)
  if (Array.isArray(value)) {
    const copy: unknown[] = []
    copies.set(value, copy)
    for (const item of value) copy.push(redactValue(item, undefined, copies))
    return copy
  }
  // Only plain data is copied; class instances (actor refs, machines) are left for the serializer to summarise.
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const copy: Record<string, unknown> = {}
  copies.set(value, copy)
  for (const [k, v] of Object.entries(value)) copy[k] = redactValue(v, k, copies)
  return copy
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
  return redactValue(value, undefined, new WeakMap()) as T
}

/**
 * Wraps an inspector (an observer or a function, as XState's `inspect` option takes) so that it sees every
 * inspection event through `redact`: the default wherever jiko-auth attaches an inspector.
 *
 * @example
 * ```ts
 * createActor(machine, { inspect: redactingInspector(createBrowserInspector().inspect) })
 * ```
 */
export function redactingInspector<T>(
  inspect: { next?: (event: T) => void } | ((event: T) => void),
): (event: T) => void {
  return (event) => {
    const safe = redact(event)
    if (typeof inspect === 'function') inspect(safe)
    else inspect.next?.(safe)
  }
}
