import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { HttpAdapter } from '@jiko-auth/core'

import { DEFAULT_MAX_RESPONSE_BYTES } from '@jiko-auth/core'

/** Connections to the authorization server are kept and reused, at most this many idle per host. */
const agentOptions = { keepAlive: true, maxFreeSockets: 16, scheduling: 'lifo' as const }

/**
 * A transport for `@jiko-auth/node`: `node:http`/`node:https` over keep-alive agents. Fetch-shaped (what
 * core's `HttpAdapter` asks), but without the WHATWG stream machinery `fetch` runs for every request, which costs
 * more client CPU than the token request's own work (see bench/results.md). Redirects are not followed and the
 * signal is honoured. At most `maxResponseBytes + 1` bytes of a body are read: a longer body is cut there and the
 * connection closed, so that core's reader, capped at `maxResponseBytes`, refuses it (`JIKO_RESPONSE_TOO_LARGE`)
 * without this process holding the rest.
 *
 * Not the default yet: Node 20's agent reuses an idle connection up to the server's keep-alive timeout exactly, so a
 * token request can meet a connection the server has just closed (a reset, `JIKO_NETWORK_ERROR`); `fetch` closes
 * idle connections a second before the server's hint. A token request is not retried on a reset (a refresh token
 * may have been spent), so prefer this transport only with a server whose keep-alive outlasts your traffic's gaps.
 *
 * @example
 * ```ts
 * const auth = createJikoAuth({ ...options, http: { http: createNodeHttpAdapter() } })
 * ```
 */
export function createNodeHttpAdapter({
  maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES,
}: {
  maxResponseBytes?: number
} = {}): HttpAdapter {
  const limit = maxResponseBytes + 1
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) }
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url)
      const secure = target.protocol === 'https:'
      const send = secure ? httpsRequest : httpRequest
      const request = send(
        target,
        {
          method: init.method,
          headers:
            init.body === undefined
              ? init.headers
              : { ...init.headers, 'content-length': Buffer.byteLength(init.body) },
          agent: secure ? agents.https : agents.http,
          signal: init.signal,
        },
        (response) => collect(response, limit).then(resolve, (error) => reject(asNetworkError(error))),
      )
      request.on('error', (error) => reject(asNetworkError(error)))
      request.end(init.body)
    })
}

function collect(response: IncomingMessage, limit: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    const finish = () => {
      const headers = new Headers()
      const raw = response.rawHeaders
      for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
      const status = response.statusCode ?? 502
      const empty = status === 204 || status === 304
      resolve(new Response(empty ? null : Buffer.concat(chunks, length), { status, headers }))
    }
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk.subarray(0, limit - length))
      length = Math.min(limit, length + chunk.length)
      if (length === limit) {
        // Enough to know it is too long: the rest is not read, and the connection is not reused.
        response.removeAllListeners('end')
        response.destroy()
        finish()
      }
    })
    response.on('error', reject)
    response.on('end', finish)
  })
}

/** As `fetch` reports them: an abort stays an `AbortError`; anything else is a network failure (a `TypeError`). */
function asNetworkError(error: Error): Error {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return error
  const code = (error as { code?: unknown }).code
  return new TypeError(`network error${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error })
}
