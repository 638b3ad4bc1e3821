import { ErrorCode, JikoAuthError, toJikoAuthError } from './errors.js'

/** Classifies a transport failure: timeout, abort, network error; anything else goes to the one converter. */
export function toTransportError(error: unknown): JikoAuthError {
  const name =
    typeof error === 'object' && error !== null && 'name' in error
      ? (error as { name: unknown }).name
      : undefined
  if (name === 'TimeoutError') {
    return new JikoAuthError(ErrorCode.Timeout, 'The authorization server did not answer in time', {
      hint: 'Check that the server is reachable, or raise the HTTP timeout',
      cause: error,
    })
  }
  if (name === 'AbortError')
    return new JikoAuthError(ErrorCode.Aborted, 'The request was aborted', { cause: error })
  if (error instanceof TypeError && /fetch failed|network|socket|ECONN|terminated/i.test(error.message)) {
    return new JikoAuthError(ErrorCode.NetworkError, 'Could not reach the authorization server', {
      hint: 'Check the issuer URL and that the server is up',
      cause: error,
    })
  }
  return toJikoAuthError(error)
}

/**
 * The HTTP transport, injected: fetch-shaped. It must honour `init.signal`.
 *
 * @example
 * ```ts
 * const http: HttpAdapter = (url, init) => fetch(url, { ...init, keepalive: true })
 * ```
 */
export type HttpAdapter = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<Response>

export interface HttpOptions {
  /** The transport (default: global `fetch`). */
  http?: HttpAdapter
  /** Milliseconds before a request is given up with `JIKO_TIMEOUT` (default 10 000). */
  timeoutMs?: number
  /** The largest response body accepted, in bytes (default 256 KiB). */
  maxResponseBytes?: number
  /** Aborts the request, e.g. when the machine leaves the state that started it. */
  signal?: AbortSignal
}

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024

export interface HttpResult {
  status: number
  headers: Headers
  /** The body as text, at most `maxResponseBytes` long. */
  body: string
}

const defaultHttp: HttpAdapter = (url, init) => fetch(url, { ...init, redirect: 'manual' })

/** POSTs a form and reads the capped body. Transport failures become typed errors; statuses are left to callers. */
export function postForm(
  url: string,
  form: URLSearchParams,
  options: HttpOptions = {},
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return send(
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...headers,
      },
      body: form.toString(),
    },
    options,
  )
}

/** GETs a JSON document (discovery metadata) and reads the capped body; statuses are left to callers. */
export function getJson(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  return send(url, { method: 'GET', headers: { accept: 'application/json' } }, options)
}

async function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  options: HttpOptions,
): Promise<HttpResult> {
  // One controller for both the timeout and the caller's signal (AbortSignal.any is slow on Node 20).
  const controller = new AbortController()
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException(`No answer within ${timeoutMs} ms`, 'TimeoutError'))
  }, timeoutMs)
  const onAbort = () => controller.abort(options.signal?.reason)
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  const http = options.http ?? defaultHttp
  try {
    const response = await http(url, { ...init, signal: controller.signal })
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    const body = await readCappedText(response, maxBytes, () => tooLarge(maxBytes, response.status))
    return { status: response.status, headers: response.headers, body }
  } catch (error) {
    if (error instanceof JikoAuthError) throw error
    // Whatever the transport threw, the signals tell which of the two fired.
    if (options.signal?.aborted) throw toTransportError(options.signal.reason ?? error)
    if (timedOut) throw toTransportError(controller.signal.reason)
    throw toTransportError(error)
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * The body of a response (or a request) as text, at most `maxBytes`: past it, reading stops and `tooLarge()` is
 * thrown. A declared `Content-Length` over the cap is refused before any read; a declared length within it is read
 * in one go; the stream is counted when the length is unknown, or when the body is compressed (the declared length
 * is then the compressed one, not what decompression gives).
 *
 * @example
 * ```ts
 * const text = await readCappedText(request, 16 * 1024, () => new JikoAuthError(ErrorCode.RequestTooLarge, '…'))
 * ```
 */
export async function readCappedText(
  message: Request | Response,
  maxBytes: number,
  tooLarge: () => JikoAuthError,
): Promise<string> {
  const length = message.headers.get('content-length')
  const declared = length === null ? Number.NaN : Number(length)
  if (declared > maxBytes) {
    await message.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  const encoding = message.headers.get('content-encoding')
  const compressed = encoding !== null && encoding.toLowerCase() !== 'identity'
  if (declared <= maxBytes && !compressed) return message.text()
  if (!message.body) return ''
  const reader = message.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

function tooLarge(maxBytes: number, status: number): JikoAuthError {
  return new JikoAuthError(ErrorCode.ResponseTooLarge, `The response body is larger than ${maxBytes} bytes`, {
    hint: 'Check that the endpoint URL is right (the token endpoint, or the discovery document)',
    status,
  })
}
