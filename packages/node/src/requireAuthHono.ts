import type { JikoAuth } from './createJikoAuth.js'
import type { ProtectedSession, ProtectOptions } from './protect.js'

/** The part of Hono's context the guard uses (so that this package does not depend on Hono). */
interface HonoContext {
  req: { raw: Request }
  set(key: 'jikoSession', value: ProtectedSession): void
}

/**
 * Hono middleware guarding the routes after it: `c.get('jikoSession')` is the signed-in session, or the request is
 * answered `401` (API), `303` to the login route (`mode: 'page'`) or `403` (missing scope).
 *
 * @example
 * ```ts
 * app.use('/api/*', requireAuthHono(auth, { scopes: ['pockets.read'] }))
 * ```
 */
export function requireAuthHono(auth: JikoAuth, options: ProtectOptions = {}) {
  return async (c: HonoContext, next: () => Promise<void>): Promise<Response | undefined> => {
    const result = await auth.protect(c.req.raw, options)
    if (result instanceof Response) return result
    c.set('jikoSession', result)
    await next()
    return undefined
  }
}
