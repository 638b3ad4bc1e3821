/**
 * The hash tag Redis Cluster computes a key's slot from: the text between the first `{` and the next `}` when it is
 * not empty, otherwise the whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{')
  if (open === -1) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/**
 * The Redis key of a lock on a cluster, in the hash slot of the value it guards: a lock named `<key>:<purpose>`
 * guards the value `<key>` (see `AuthStore`), stored as `{prefix}v:<key>`; the lock's Redis key carries that
 * name's hash tag, so both land on one shard and fail over together. Value keys keep their names (stored sessions
 * stay where they are); a value key whose tag would hold a `}` cannot be matched and its lock lands elsewhere.
 *
 * @example
 * ```ts
 * lockKeyOf('jiko:session:abc:refresh', 'jiko:') // 'jiko:l:{jiko:v:jiko:session:abc}:refresh'
 * ```
 */
export function lockKeyOf(lock: string, prefix: string): string {
  const cut = lock.lastIndexOf(':')
  const guarded = cut === -1 ? lock : lock.slice(0, cut)
  const purpose = cut === -1 ? '' : lock.slice(cut)
  return `${prefix}l:{${hashTagOf(`${prefix}v:${guarded}`)}}${purpose}`
}
