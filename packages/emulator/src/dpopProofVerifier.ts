import { createHash, randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, EmbeddedJWK, errors, type JWK, jwtVerify } from 'jose'

/** How far a DPoP proof's `iat` may be from the server's time, either way (seconds). */
export const DPOP_MAX_SKEW_SECONDS = 300

/** How long the API accepts a nonce it handed out (seconds); it hands out a new one every minute. */
export const DPOP_NONCE_TTL_SECONDS = 300

const NONCE_ROTATION_SECONDS = 60

/** The only proof algorithm Jiko accepts. */
export const DPOP_ALGORITHMS = ['ES256'] as const

/** A request to the API that presented `Authorization: DPoP <token>`, as the server received it. */
export interface DpopProofRequest {
  /** Every `DPoP` header field line of the request. */
  proofs: readonly string[] | undefined
  method: string
  /** The target URI as the client addressed it (its query is ignored). */
  targetUri: string
  accessToken: string
  /** The access token's `cnf.jkt`: the thumbprint of the key it is bound to. */
  jkt: string
  /** The server's time, epoch seconds. */
  now: number
}

export type DpopProofCheck =
  | { valid: true }
  | { valid: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; reason: string; replayed?: true }

/**
 * Checks DPoP proofs (RFC 9449 §4.3, §7.1) at the protected API: one `DPoP` header, a `dpop+jwt` signed ES256 by
 * the public `jwk` of its header, `htm` and `htu` of this request, `iat` within {@link DPOP_MAX_SKEW_SECONDS},
 * `ath` = base64url(SHA-256(access token)), the key's thumbprint = the token's `cnf.jkt`, a `jti` never seen
 * before (remembered until the proof's `iat` is out of the window) and, when `requireNonce`, a `nonce` this
 * verifier handed out in the last {@link DPOP_NONCE_TTL_SECONDS}.
 *
 * @example
 * ```ts
 * const dpop = new DpopProofVerifier({ requireNonce: false })
 * const check = await dpop.verify({ proofs: req.headersDistinct.dpop, method, targetUri, accessToken, jkt, now })
 * ```
 */
export class DpopProofVerifier {
  /** `jkt jti` → the epoch second after which the proof is too old to be replayed anyway. */
  readonly #seen = new Map<string, number>()
  /** nonce → epoch second it was first handed out, newest last. */
  readonly #nonces = new Map<string, number>()
  readonly requireNonce: boolean

  constructor(options: { requireNonce?: boolean } = {}) {
    this.requireNonce = options.requireNonce ?? false
  }

  /** The nonce to send in `DPoP-Nonce` (a new one every minute), or undefined when nonces are not required. */
  nonce(now: number): string | undefined {
    if (!this.requireNonce) return undefined
    for (const [nonce, issuedAt] of this.#nonces) {
      if (issuedAt + DPOP_NONCE_TTL_SECONDS >= now) break
      this.#nonces.delete(nonce)
    }
    const newest = [...this.#nonces].at(-1)
    if (newest && newest[1] + NONCE_ROTATION_SECONDS > now) return newest[0]
    const nonce = randomBytes(16).toString('base64url')
    this.#nonces.set(nonce, now)
    return nonce
  }

  async verify(request: DpopProofRequest): Promise<DpopProofCheck> {
    const fail = (reason: string): DpopProofCheck => ({ valid: false, error: 'invalid_dpop_proof', reason })
    const { proofs, now } = request
    if (!proofs?.length) {
      return fail('Authorization: DPoP needs a DPoP proof: send a DPoP header (RFC 9449) with the request')
    }
    if (proofs.length > 1) return fail('send exactly one DPoP header')
    let payload: Record<string, unknown>
    let jwk: JWK
    try {
      const verified = await jwtVerify(proofs[0] as string, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS],
        currentDate: new Date(now * 1000),
      })
      payload = verified.payload
      jwk = verified.protectedHeader.jwk as JWK
    } catch (error) {
      return fail(describeProofError(error))
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') {
      return fail('the DPoP proof must carry a jti, a new unique identifier for every proof')
    }
    if (payload.htm !== request.method) {
      return fail(`the DPoP proof htm must be ${request.method}, the method of the request`)
    }
    const expectedHtu = withoutQuery(request.targetUri)
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== expectedHtu) {
      return fail(`the DPoP proof htu must be ${expectedHtu}, the request URI without query and fragment`)
    }
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > DPOP_MAX_SKEW_SECONDS) {
      return fail(`the DPoP proof iat must be within ${DPOP_MAX_SKEW_SECONDS} seconds of the server's time`)
    }
    if (payload.ath !== createHash('sha256').update(request.accessToken).digest('base64url')) {
      return fail('the DPoP proof ath must be the base64url SHA-256 hash of the access token it comes with')
    }
    if ((await calculateJwkThumbprint(jwk)) !== request.jkt) {
      return fail(
        'the DPoP proof is signed by another key than the one the access token is bound to (cnf.jkt)',
      )
    }
    if (this.requireNonce) {
      const issuedAt = typeof payload.nonce === 'string' ? this.#nonces.get(payload.nonce) : undefined
      if (issuedAt === undefined || issuedAt + DPOP_NONCE_TTL_SECONDS < now) {
        const reason =
          payload.nonce === undefined
            ? 'the API requires a DPoP nonce'
            : 'the DPoP proof nonce is unknown or expired'
        return {
          valid: false,
          error: 'use_dpop_nonce',
          reason: `${reason}: make a new proof with the nonce of this response's DPoP-Nonce header`,
        }
      }
    }
    return this.#remember(`${request.jkt} ${payload.jti}`, Math.max(now, payload.iat), now)
  }

  /** Records a proof's jti; refuses it when it was seen before. */
  #remember(key: string, from: number, now: number): DpopProofCheck {
    // Oldest first: stop at the first one still in the window.
    for (const [seen, until] of this.#seen) {
      if (until >= now) break
      this.#seen.delete(seen)
    }
    const until = this.#seen.get(key)
    if (until !== undefined && until >= now) {
      return {
        valid: false,
        error: 'invalid_dpop_proof',
        reason:
          'the DPoP proof was already used (its jti was seen before): make a new proof for every request',
        replayed: true,
      }
    }
    this.#seen.delete(key)
    this.#seen.set(key, from + DPOP_MAX_SKEW_SECONDS)
    return { valid: true }
  }
}

function withoutQuery(uri: string): string | undefined {
  const url = URL.parse(uri)
  if (!url) return undefined
  url.search = ''
  url.hash = ''
  return url.href
}

function describeProofError(error: unknown): string {
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `the DPoP proof must be signed with ${DPOP_ALGORITHMS.join(' or ')}`
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'the DPoP proof signature does not verify with the jwk of its header'
  }
  if (error instanceof errors.JWTExpired) return 'the DPoP proof has expired (exp)'
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'typ') {
    return 'the DPoP proof header typ must be "dpop+jwt"'
  }
  const detail = error instanceof Error ? ` (${error.message})` : ''
  return `the DPoP proof must be a JWT signed with the public key in its jwk header${detail}`
}
