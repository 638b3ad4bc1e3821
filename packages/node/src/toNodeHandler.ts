import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { JikoAuth } from './createJikoAuth.js'

export interface NodeAdapterOptions {
  /** Trust `X-Forwarded-Proto`/`X-Forwarded-Host` from a proxy in front of the app (default false). */
  trustProxy?: boolean
}

/** Turns a node:http request into a Fetch API Request. */
export function toRequest(req: IncomingMessage, options: NodeAdapterOptions = {}): Request {
  const forwardedProto = options.trustProxy
    ? String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]
    : ''
  const forwardedHost = options.trustProxy ? String(req.headers['x-forwarded-host'] ?? '').split(',')[0] : ''
  const protocol = forwardedProto || ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http')
  const host = forwardedHost || req.headers.host || 'localhost'
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(`${protocol}://${host}${req.url ?? '/'}`, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit)
}

/** Writes a Fetch API Response to a node:http response (every Set-Cookie kept). */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
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
    await writeResponse(await auth.handler(toRequest(req, options)), res)
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
