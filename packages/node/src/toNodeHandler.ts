import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JikoAuth } from './createJikoAuth.js'
import type { ProtectedSession, ProtectOptions } from './protect.js'

export interface NodeAdapterOptions {
  /** Trust `X-Forwarded-Proto`/`X-Forwarded-Host` from a proxy in front of the app (default false). */
  trustProxy?: boolean
}

/**
 * Turns a node:http request into a Fetch API Request. Throws a TypeError when the Host (or a trusted forwarded
 * host) is not a valid authority; the adapters answer that 400 instead of throwing into node:http.
 */
export function toRequest(req: IncomingMessage, options: NodeAdapterOptions = {}): Request {
  const forwardedProto = options.trustProxy
    ? String(req.headers['x-forwarded-proto'] ?? '')
        .split(',')[0]
        ?.trim()
    : ''
  const forwardedHost = options.trustProxy
    ? String(req.headers['x-forwarded-host'] ?? '')
        .split(',')[0]
        ?.trim()
    : ''
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted
  // Only http or https: any other forwarded value is ignored.
  const protocol =
    forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : encrypted ? 'https' : 'http'
  const host = forwardedHost || req.headers.host || 'localhost'
  const origin = new URL(`${protocol}://${host}`).origin
  // The target as sent; an absolute-form one (`GET http://other/x`, proxy style) keeps its path only.
  const raw = req.url ?? '/'
  const path = raw.startsWith('/')
    ? raw
    : (({ pathname, search }) => `${pathname}${search}`)(new URL(raw, origin))
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(`${origin}${path}`, {
    method,
    headers,
    ...(hasBody ? { body: pulledBody(req), duplex: 'half' } : {}),
  } as RequestInit)
}

/**
 * The request body as a web stream that reads from the socket only when the handler reads: nothing is read ahead,
 * so a body nobody reads (or a handler that stops at its limit) leaves the rest in the socket, however large it is.
 * (`Readable.toWeb` would queue the whole body in memory as fast as it arrives.)
 */
function pulledBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  // Never closed with return(): that would destroy the socket before the answer is written.
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next()
        if (done) controller.close()
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * Writes a Fetch API Response to a node:http response (every Set-Cookie kept). When the request's body was not read
 * to its end (too large, or not needed), the connection is closed after the answer rather than reading the rest.
 */
export async function writeResponse(
  response: Response,
  res: ServerResponse,
  req?: IncomingMessage,
): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  if (req && !req.complete) headers.connection = 'close'
  res.writeHead(response.status, headers)
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined)
}

/**
 * The handler for node:http.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(toNodeHandler(auth)).listen(3000)
 * ```
 */
export function toNodeHandler(auth: JikoAuth, options: NodeAdapterOptions = {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = requestOrAnswer(req, res, options)
    if (request) await writeResponse(await auth.handler(request), res, req)
  }
}

/**
 * The request as a Fetch Request, or undefined once a `400` has been answered: a Host that is not a valid
 * authority must never throw into node:http (an unhandled rejection ends the process).
 */
function requestOrAnswer(req: IncomingMessage, res: ServerResponse, options: NodeAdapterOptions) {
  try {
    return toRequest(req, options)
  } catch {
    res.writeHead(400, { 'content-type': 'application/json', connection: 'close' })
    res.end(
      JSON.stringify({ error: { code: 'JIKO_BAD_REQUEST', message: 'The request’s Host is not valid' } }),
    )
    return undefined
  }
}

/**
 * Express middleware: serves the auth routes under the basePath, passes every other request on.
 *
 * @example
 * ```ts
 * app.use(expressMiddleware(auth))
 * ```
 */
export function expressMiddleware(auth: JikoAuth, options: NodeAdapterOptions = {}) {
  const handle = toNodeHandler(auth, options)
  return (
    req: IncomingMessage & { originalUrl?: string },
    res: ServerResponse,
    next: (error?: unknown) => void,
  ) => {
    const path = (req.originalUrl ?? req.url ?? '/').split('?')[0] ?? '/'
    if (!path.startsWith(`${auth.basePath}/`)) return next()
    if (req.originalUrl) req.url = req.originalUrl
    handle(req, res).catch(next)
  }
}

/**
 * Guards a node:http route: the signed-in session, or undefined once the `401`/`303`/`403` has been written.
 *
 * @example
 * ```ts
 * const session = await protectNode(auth, req, res, { scopes: ['pockets.read'] })
 * if (!session) return
 * ```
 */
export async function protectNode(
  auth: JikoAuth,
  req: IncomingMessage,
  res: ServerResponse,
  options: ProtectOptions & NodeAdapterOptions = {},
): Promise<ProtectedSession | undefined> {
  const request = requestOrAnswer(req, res, options)
  if (!request) return undefined
  const result = await auth.protect(request, options)
  if (!(result instanceof Response)) return result
  await writeResponse(result, res, req)
  return undefined
}

/**
 * Express middleware guarding the routes after it: `res.locals.jikoSession` (and `req.jikoSession`) is the
 * signed-in session, or the request is answered `401` (API), `303` to the login route (`mode: 'page'`) or `403`
 * (missing scope).
 *
 * @example
 * ```ts
 * app.use('/api', requireAuth(auth, { scopes: ['pockets.read'] }))
 * app.get('/account', requireAuth(auth, { mode: 'page' }), (_req, res) => res.send(res.locals.jikoSession.user?.name))
 * ```
 */
export function requireAuth(auth: JikoAuth, options: ProtectOptions & NodeAdapterOptions = {}) {
  return (
    req: IncomingMessage & { jikoSession?: ProtectedSession },
    res: ServerResponse & { locals?: Record<string, unknown> },
    next: (error?: unknown) => void,
  ) => {
    protectNode(auth, req, res, options).then((session) => {
      if (!session) return
      req.jikoSession = session
      // Express types res.locals, so `res.locals.jikoSession` needs no cast in a route.
      if (res.locals) res.locals.jikoSession = session
      next()
    }, next)
  }
}
