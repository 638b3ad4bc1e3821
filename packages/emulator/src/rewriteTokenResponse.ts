import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose'
import type { Faults, IdTokenTamper } from './faults.js'
import type { SigningKeys } from './signingKeys.js'

/** The id_token lifetime the emulator configures (seconds). */
export const ID_TOKEN_TTL_SECONDS = 3600

export interface TokenResponseContext {
  issuer: string
  clientId: string
  grantType: string
  faults: Faults
  keys: SigningKeys
}

/**
 * Rewrites a successful token response's id_token in place: re-signed with the newest key after a rotation, then
 * tampered with if `faults.tamperIdToken()` asked for it.
 */
export async function rewriteTokenResponse(
  body: Record<string, unknown>,
  context: TokenResponseContext,
): Promise<void> {
  const original = typeof body.id_token === 'string' ? body.id_token : undefined
  const kind = context.faults.takeIdTokenTamper(context.grantType, original !== undefined)
  if (original === undefined && kind === undefined) return
  const idToken =
    original !== undefined && context.keys.rotated ? await resign(original, context.keys) : original
  const result = kind ? await tamper(kind, idToken, context) : idToken
  if (result === undefined) delete body.id_token
  else body.id_token = result
}

async function resign(jwt: string, keys: SigningKeys): Promise<string> {
  return keys.sign(decodeJwt(jwt), decodeProtectedHeader(jwt) as { alg: string })
}

async function tamper(
  kind: IdTokenTamper,
  idToken: string | undefined,
  context: TokenResponseContext,
): Promise<string | undefined> {
  const now = Math.floor(Date.now() / 1000)
  if (idToken === undefined) {
    // Only `otherSubject` on a refresh gets here: mint the id_token the server "should not" have sent.
    const payload = {
      iss: context.issuer,
      sub: 'mallory',
      aud: context.clientId,
      iat: now,
      exp: now + ID_TOKEN_TTL_SECONDS,
    }
    return context.keys.sign(payload)
  }
  const [header = '', payload = '', signature = ''] = idToken.split('.')
  const claims = decodeJwt(idToken) as Record<string, unknown>
  const protectedHeader = decodeProtectedHeader(idToken) as { alg: string }
  const resigned = (changes: Record<string, unknown>) =>
    context.keys.sign({ ...claims, ...changes }, protectedHeader)
  switch (kind) {
    case 'missing':
      return undefined
    case 'badSignature': {
      const bytes = base64url.decode(signature)
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff
      return `${header}.${payload}.${base64url.encode(bytes)}`
    }
    case 'algNone':
      return `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${payload}.`
    case 'hs256':
      return new SignJWT(claims)
        .setProtectedHeader({ ...protectedHeader, alg: 'HS256' })
        .sign(new TextEncoder().encode(context.clientId))
    case 'wrongIssuer':
      return resigned({ iss: 'https://evil.example' })
    case 'wrongAudience':
      return resigned({ aud: 'someone-else' })
    case 'multipleAudiencesNoAzp': {
      const { azp: _azp, ...rest } = claims
      return context.keys.sign({ ...rest, aud: [context.clientId, 'other'] }, protectedHeader)
    }
    case 'expired':
      return resigned({ iat: now - 3600, exp: now - 3600 })
    case 'wrongNonce':
      return resigned({ nonce: 'not-the-nonce' })
    case 'otherSubject':
      return resigned({ sub: 'mallory' })
  }
}
