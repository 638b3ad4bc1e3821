import { ErrorCode, JikoAuthError, readCappedText } from '@jiko-auth/core'

/** The most an auth route reads of a request body: a callback's parameters fit in far less. */
export const MAX_BODY_BYTES = 16 * 1024

/**
 * The request body as text, read while counting: past `maxBytes` (declared in `Content-Length` or seen while
 * streaming) the read stops and `JIKO_REQUEST_TOO_LARGE` (413) is thrown, so an unauthenticated request costs at
 * most that much memory.
 */
export function readLimitedBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return readCappedText(
    request,
    maxBytes,
    () =>
      new JikoAuthError(ErrorCode.RequestTooLarge, 'The request body is too large', {
        hint: `An auth route reads at most ${maxBytes / 1024} KB; send only the callback parameters`,
      }),
  )
}
