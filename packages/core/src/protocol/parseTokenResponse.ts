import { z } from 'zod'
import { ErrorCode, JikoAuthError } from '../errors.js'

/**
 * Tokens as the server side keeps them. Times are milliseconds since the epoch.
 */
export interface TokenSet {
  accessToken: string
  /** `DPoP` for a sender-constrained token (RFC 9449), only when DPoP was asked for. */
  tokenType: 'Bearer' | 'DPoP'
  issuedAt: number
  expiresAt: number
  refreshToken?: string
  idToken?: string
  /** The granted scopes, space-separated, when the server says them. */
  scope?: string
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1, 'access_token must be a non-empty string'),
  token_type: z.string(),
  expires_in: z.number().int('expires_in must be a whole number').positive('expires_in must be positive'),
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().min(1).optional(),
  scope: z.string().optional(),
})

/**
 * Validates a successful token response (step 6) and turns it into a TokenSet. When the response carries no
 * refresh token the previous one is kept; when it carries one (rotation) the new one replaces it.
 *
 * @example
 * ```ts
 * const tokens = parseTokenResponse(json, { now: clock.now(), previous })
 * ```
 */
export function parseTokenResponse(
  body: unknown,
  options: { now: number; previous?: TokenSet; dpop?: boolean },
): TokenSet {
  const result = tokenResponseSchema.safeParse(body)
  if (!result.success) {
    const issue = result.error.issues[0]
    const field = issue?.path.join('.') || 'body'
    // The message names the field, never its value: a value may be a token.
    throw new JikoAuthError(ErrorCode.InvalidResponse, `The token response is invalid: ${field}`, {
      hint: issue?.message ?? 'The token response must be a JSON object',
    })
  }
  const data = result.data
  // A DPoP-bound token only when DPoP was asked for; then never a Bearer one (no silent downgrade).
  const expected = options.dpop ? 'dpop' : 'bearer'
  if (data.token_type.toLowerCase() !== expected) {
    throw new JikoAuthError(ErrorCode.InvalidResponse, 'The token response is invalid: token_type', {
      hint: options.dpop
        ? 'token_type must be DPoP: DPoP was asked for; check that the server offers DPoP to this client'
        : 'token_type must be Bearer; set dpop: true to accept DPoP-bound tokens',
    })
  }
  const tokens: TokenSet = {
    accessToken: data.access_token,
    tokenType: options.dpop ? 'DPoP' : 'Bearer',
    issuedAt: options.now,
    expiresAt: options.now + data.expires_in * 1000,
  }
  const refreshToken = data.refresh_token ?? options.previous?.refreshToken
  if (refreshToken !== undefined) tokens.refreshToken = refreshToken
  const idToken = data.id_token ?? options.previous?.idToken
  if (idToken !== undefined) tokens.idToken = idToken
  const scope = data.scope ?? options.previous?.scope
  if (scope !== undefined) tokens.scope = scope
  return tokens
}
