const REDACTED = '[redacted]'
/** Context keys and URL parameters alike: a name that is a secret in one place is one in the other. */
const SECRET_NAMES =
  'accessToken|refreshToken|idToken|codeVerifier|dpopKey|callbackUrl|state|nonce|code_challenge|code_verifier|access_token|refresh_token|id_token'
// `code` is a secret in a URL (the authorization code) but, as a key, an error's public code (JIKO_…).
const SECRET_KEY = new RegExp(`^(?:${SECRET_NAMES})$`)
const SECRET_PARAM = new RegExp(`([?&](?:code|${SECRET_NAMES})=)[^&#]*`, 'g')

/**
 * Copies `value` with every secret replaced. `plain` also turns what is not plain data into plain data (functions
 * dropped, an instance's own fields copied, a cycle or depth past 10 cut), so the copy can be posted or stringified.
 */
function redactValue(
  value: unknown,
  key: string | undefined,
  copies: WeakMap<object, unknown>,
  plain: boolean,
  depth: number,
): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEY.test(key)) return REDACTED
    return key === 'url' || key === 'authorizationUrl' ? value.replace(SECRET_PARAM, `$1${REDACTED}`) : value
  }
  if (typeof value === 'function' || typeof value === 'symbol') return plain ? undefined : value
  if (typeof value !== 'object' || value === null) return value
  // An object met twice (an effect's output is also in the next context) gets the same redacted copy.
  if (copies.has(value)) return copies.get(value)
  if (plain && depth > 10) return '[…]'
  const proto = Object.getPrototypeOf(value)
  // Instances (actor refs, machines) are left as they are, unless plain data is asked for.
  if (!plain && !Array.isArray(value) && proto !== Object.prototype && proto !== null) return value
  // An array or a Set becomes an array; a Map or any other object, an object of its entries.
  const list = Array.isArray(value) || value instanceof Set
  const copy: Record<string, unknown> | unknown[] = list ? [] : {}
  // A cycle in plain data is cut where it closes.
  copies.set(value, plain ? '[circular]' : copy)
  const entries: [unknown, unknown][] = list
    ? [...(value as Iterable<unknown>)].map((item) => [undefined, item])
    : value instanceof Map
      ? [...value]
      : Object.entries(value)
  for (const [k, v] of entries) {
    const item = redactValue(v, list ? undefined : String(k), copies, plain, depth + 1)
    if (Array.isArray(copy)) copy.push(item)
    else if (item !== undefined) copy[String(k)] = item
  }
  copies.set(value, copy)
  return copy
}

/**
 * A deep copy with every secret the machine handles replaced by "[redacted]": tokens, the PKCE verifier and state,
 * the callback URL (it holds the code) and those parameters in any `url`. Works on a context, an event or a
 * persisted snapshot; the original is not changed. Instances inside (actor refs, machines) are kept as they are:
 * to serialise a whole inspection event, use `redactForInspector`.
 *
 * @example
 * ```ts
 * logger.debug('flow', redact(actor.getPersistedSnapshot()))
 * ```
 */
export function redact<T>(value: T): T {
  return redactValue(value, undefined, new WeakMap(), false, 0) as T
}

/**
 * An inspector's `serialize` option: `redact`, and plain data that `postMessage` can clone and JSON can hold
 * (functions dropped, instances copied field by field with the same redaction, cycles and depth cut).
 *
 * @example
 * ```ts
 * import { createBrowserInspector } from '@statelyai/inspect'
 * const inspector = createBrowserInspector({ serialize: redactForInspector })
 * ```
 */
export function redactForInspector<T>(value: T): T {
  return redactValue(value, undefined, new WeakMap(), true, 0) as T
}

/**
 * Wraps an inspector (an observer or a function, as XState's `inspect` option takes) so that it sees every
 * inspection event through `redact`, and reads the actor's snapshot through it too (`actorRef.getSnapshot()`, as
 * Stately's inspector does): the default wherever jiko-auth attaches an inspector.
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
    const safe = redact(event) as T & { actorRef?: object }
    if (safe.actorRef) safe.actorRef = redactingRef(safe.actorRef)
    if (typeof inspect === 'function') inspect(safe)
    else inspect.next?.(safe)
  }
}

const redactingRef = (ref: object) =>
  new Proxy(ref, {
    get: (target, name) => {
      const member = Reflect.get(target, name)
      return name === 'getSnapshot' || name === 'getPersistedSnapshot'
        ? () => redact((member as () => unknown).call(target))
        : member
    },
  })
