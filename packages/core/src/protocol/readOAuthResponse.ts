import { z } from 'zod'
import { ErrorCode, JikoAuthError, OAuthResponseError } from '../errors.js'
import type { HttpResult } from '../http.js'

const errorBodySchema = z.object({
  error: z.string().min(1),
  error_description: z.string().optional(),
  error_uri: z.string().optional(),
})

/**
 * Classifies an answer from the token or revocation endpoint. Returns the parsed JSON of a 2xx answer (or
 * `undefined` for an empty one); throws `OAuthResponseError` for an OAuth error body (whatever the status, a 200
 * included), `JIKO_RATE_LIMITED` for 429, `JIKO_HTTP_ERROR` for other failures, `JIKO_INVALID_RESPONSE` for a
 * 2xx that is not JSON.
 */
export function readOAuthResponse(result: HttpResult): unknown {
  const json = parseJson(result.body)
  const oauthError = json === undefined ? undefined : errorBodySchema.safeParse(json)
  if (oauthError?.success) {
    throw new OAuthResponseError(ErrorCode.OAuthError, oauthError.data, {
      status: result.status,
      ...retryAfter(result),
    })
  }
  if (result.status === 429) {
    throw new JikoAuthError(ErrorCode.RateLimited, 'The authorization server is rate limiting this client', {
      status: 429,
      hint: 'Wait for Retry-After seconds before trying again',
      ...retryAfter(result),
    })
  }
  if (result.status < 200 || result.status >= 300) {
    throw new JikoAuthError(ErrorCode.HttpError, `The authorization server answered HTTP ${result.status}`, {
      status: result.status,
      hint: result.status >= 500 ? 'The server failed; try again later' : 'Check the endpoint URL',
    })
  }
  if (result.body.trim() === '') return undefined
  if (json === undefined) {
    throw new JikoAuthError(ErrorCode.InvalidResponse, 'The authorization server did not answer with JSON', {
      status: result.status,
      hint: 'Check that the endpoint URL is the token endpoint, not a web page',
    })
  }
  return json
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function retryAfter(result: HttpResult): { retryAfterSeconds?: number } {
  const header = result.headers.get('retry-after')
  if (header === null) return {}
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000
  return Number.isFinite(seconds) ? { retryAfterSeconds: Math.max(0, Math.ceil(seconds)) } : {}
}
