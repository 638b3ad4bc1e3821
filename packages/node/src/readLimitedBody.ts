import { ErrorCode, JikoAuthError } from '@jiko-auth/core'

/** The most an auth route reads of a request body: a callback's parameters fit in far less. */
export const MAX_BODY_BYTES = 16 * 1024

/**
 * The request body as text, read while counting: past `maxBytes` (declared in `Content-Length` or seen while
 * streaming) the read stops and `JIKO_REQUEST_TOO_LARGE` (413) is thrown, so an unauthenticated request costs at
 * most that much memory.
 */
export async function readLimitedBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(body)
}

function tooLarge(maxBytes: number) {
  return new JikoAuthError(ErrorCode.RequestTooLarge, 'The request body is too large', {
    hint: `An auth route reads at most ${maxBytes / 1024} KB; send only the callback parameters`,
  })
}
