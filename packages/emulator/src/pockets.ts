import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import { DPOP_ALGORITHMS, type DpopProofVerifier } from './dpopProofVerifier.js'
import type { ApiKey } from './importApiKeys.js'
import { BodyTooLargeError, readBody } from './readBody.js'
import { REQUIRED_COMPONENTS, verifyRequestSignature } from './verifyRequestSignature.js'

export interface Pocket {
  id: string
  name: string
  currency: string
  balance: string
}

/**
 * Deterministic demo pockets of a user — or of a service client's own account: a client-credentials token's `sub`
 * is its client id.
 *
 * @example
 * ```ts
 * expect(body.data).toEqual(pocketsOf('alice'))
 * ```
 */
export function pocketsOf(subject: string): Pocket[] {
  const seed = [...subject].reduce((sum, c) => sum + c.charCodeAt(0), 0)
  return [
    {
      id: `pkt_${subject}_main`,
      name: 'Main',
      currency: 'USD',
      balance: ((seed * 137) % 100_000).toFixed(2),
    },
    {
      id: `pkt_${subject}_savings`,
      name: 'Savings',
      currency: 'USD',
      balance: ((seed * 911) % 500_000).toFixed(2),
    },
    {
      id: `pkt_${subject}_tbills`,
      name: 'T-Bills',
      currency: 'USD',
      balance: ((seed * 53) % 1_000_000).toFixed(2),
    },
  ]
}

/**
 * The transfer `POST /api/v2/pockets/transfers` answers (201): the body it was sent, with an `id` and
 * `status: 'pending'`.
 *
 * @example
 * ```ts
 * const transfer = (await response.json()) as Transfer
 * expect(transfer).toMatchObject({ from: 'pkt_alice_main', to: 'pkt_alice_savings', status: 'pending' })
 * ```
 */
export interface Transfer {
  id: string
  from: string
  to: string
  amount: string | number
  currency: string
  status: 'pending'
}

/** The largest request body the API reads. */
export const API_BODY_LIMIT_BYTES = 1024 * 1024

export interface PocketsApiOptions {
  issuer: string
  audience: string
  jwks: JSONWebKeySet
  /** Tokens issued to this subject before this time (epoch seconds) are revoked. */
  revokedBefore: Map<string, number>
  /** The API signing keys of each client that registered some: its requests must be signed. */
  apiKeys: ReadonlyMap<string, ReadonlyMap<string, ApiKey>>
  /** The emulator's clock, epoch seconds. */
  now: () => number
  /** Checks the DPoP proofs of `Authorization: DPoP` requests (and hands out the API's nonces, if it wants them). */
  dpop: DpopProofVerifier
  stats: { apiRequests: number; signedApiRequests: number; dpopProofs: number; replayedDpopProofs: number }
}

/** The authorization scheme a request used, which is also the scheme of the challenges it gets back. */
type Scheme = 'Bearer' | 'DPoP'

interface TokenClaims {
  sub?: string
  scope?: unknown
  iat?: number
  client_id?: unknown
  azp?: unknown
  cnf?: { jkt?: unknown }
}

interface Route {
  method: 'GET' | 'POST'
  scope: string
  answer: (res: ServerResponse, subject: string, body: Buffer) => void
}

/** The route a path belongs to, if any. */
function routeOf(path: string): Route | undefined {
  if (path === '/api/pockets' || path.startsWith('/api/pockets/')) {
    const id = safeDecode(path.replace(/^\/api\/pockets\/?/, ''))
    return { method: 'GET', scope: 'pockets.read', answer: (res, subject) => answerPockets(res, subject, id) }
  }
  if (path === '/api/v2/pockets/transfers') {
    return {
      method: 'POST',
      scope: 'transfers.write',
      answer: (res, _subject, body) => createTransfer(res, body),
    }
  }
  return undefined
}

/**
 * Jiko's protected API: `GET /api/pockets`, `GET /api/pockets/:id` (scope `pockets.read`) and
 * `POST /api/v2/pockets/transfers` (scope `transfers.write`). A JWT access token signed by the emulator, unexpired,
 * unrevoked: `Authorization: Bearer`, or `Authorization: DPoP` with a valid DPoP proof when the token is DPoP-bound
 * (`cnf.jkt`; such a token is refused as Bearer); when the token's `client_id` registered API keys, an RFC 9421
 * signature by one of them too. 401/403 with RFC 6750 / RFC 9449 `WWW-Authenticate`.
 *
 * @example
 * ```ts
 * const pockets = createPocketsApi({ issuer, audience, jwks, revokedBefore, apiKeys, now, dpop, stats })
 * await pockets(req, res, '/api/pockets')
 * ```
 */
export function createPocketsApi(options: PocketsApiOptions) {
  const keys = createLocalJWKSet(options.jwks)

  return async function handlePockets(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    options.stats.apiRequests += 1
    const route = routeOf(path)
    if (!route) return sendJson(res, 404, { error: 'not_found' })
    if (req.method !== route.method) {
      res.writeHead(405, { allow: route.method }).end()
      return
    }
    const header = req.headers.authorization ?? ''
    const match = /^(Bearer|DPoP) ([\w.~+/-]+=*)$/i.exec(header)
    if (!match?.[1] || !match[2]) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="jiko", DPoP realm="jiko", algs="${DPOP_ALGORITHMS.join(' ')}"`,
        'content-type': 'application/json',
      })
      res.end(
        JSON.stringify({
          error: 'invalid_request',
          error_description: 'a Bearer or DPoP access token is required',
        }),
      )
      return
    }
    const scheme: Scheme = match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'
    const accessToken = match[2]
    let payload: TokenClaims
    try {
      ;({ payload } = await jwtVerify(accessToken, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['RS256'],
      }))
    } catch {
      return deny(res, scheme, 401, 'invalid_token', 'the access token is invalid or expired')
    }
    const revokedBefore = payload.sub ? options.revokedBefore.get(payload.sub) : undefined
    if (revokedBefore !== undefined && (payload.iat ?? 0) <= revokedBefore) {
      return deny(res, scheme, 401, 'invalid_token', 'the access token was revoked')
    }
    if (!(await checkBinding(req, res, scheme, accessToken, payload, options))) return
    let body: Buffer
    try {
      body = await readBody(req, API_BODY_LIMIT_BYTES)
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error
      res.setHeader('connection', 'close')
      return sendJson(res, 413, { error: 'invalid_request', error_description: error.message })
    }
    const clientId = String(payload.client_id ?? payload.azp ?? '')
    const clientKeys = options.apiKeys.get(clientId)
    if (clientKeys) {
      const check = await verifyRequestSignature(
        { method: req.method, targetUri: targetUriOf(req), headers: req.headersDistinct, body },
        { keys: clientKeys, clientId, now: options.now() },
      )
      if (!check.valid) return denySignature(res, scheme, check.reason, body.length > 0)
      options.stats.signedApiRequests += 1
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
    if (!scopes.includes(route.scope)) {
      return deny(res, scheme, 403, 'insufficient_scope', `the ${route.scope} scope is required`, route.scope)
    }
    route.answer(res, payload.sub ?? 'unknown', body)
  }
}

/**
 * Holds a DPoP-bound token (`cnf.jkt`) to its key: `Authorization: DPoP` with a valid proof, never Bearer; an
 * unbound token only as Bearer. False when it answered the request (401).
 */
async function checkBinding(
  req: IncomingMessage,
  res: ServerResponse,
  scheme: Scheme,
  accessToken: string,
  payload: TokenClaims,
  options: PocketsApiOptions,
): Promise<boolean> {
  const jkt = typeof payload.cnf?.jkt === 'string' ? payload.cnf.jkt : undefined
  if (scheme === 'Bearer') {
    if (jkt === undefined) return true
    const description = 'the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof'
    deny(res, 'DPoP', 401, 'invalid_token', description)
    return false
  }
  if (jkt === undefined) {
    deny(
      res,
      'Bearer',
      401,
      'invalid_token',
      'the access token is not DPoP-bound: send it as Authorization: Bearer',
    )
    return false
  }
  const check = await options.dpop.verify({
    proofs: req.headersDistinct.dpop,
    method: req.method ?? 'GET',
    targetUri: targetUriOf(req),
    accessToken,
    jkt,
    now: options.now(),
  })
  const nonce = options.dpop.nonce(options.now())
  if (nonce !== undefined) res.setHeader('dpop-nonce', nonce)
  if (check.valid) {
    options.stats.dpopProofs += 1
    return true
  }
  if (check.replayed) options.stats.replayedDpopProofs += 1
  deny(res, 'DPoP', 401, check.error, check.reason)
  return false
}

function answerPockets(res: ServerResponse, subject: string, id: string) {
  const pockets = pocketsOf(subject)
  const body = id ? pockets.find((p) => p.id === id) : { data: pockets }
  if (!body) return sendJson(res, 404, { error: 'not_found' })
  sendJson(res, 200, body)
}

function createTransfer(res: ServerResponse, body: Buffer) {
  let input: Record<string, unknown>
  try {
    input = JSON.parse(body.toString('utf8'))
  } catch {
    return sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'the body must be JSON: { "from", "to", "amount", "currency" }',
    })
  }
  const { from, to, amount, currency } = input ?? {}
  const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''
  const isAmount = isText(amount) || (typeof amount === 'number' && Number.isFinite(amount))
  if (!isText(from) || !isText(to) || !isText(currency) || !isAmount) {
    return sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'from, to and currency must be non-empty strings, amount a string or a number',
    })
  }
  const transfer: Transfer = {
    id: `trf_${randomBytes(8).toString('hex')}`,
    from,
    to,
    amount,
    currency,
    status: 'pending',
  }
  sendJson(res, 201, transfer)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The target URI the client addressed: X-Forwarded-Proto/-Host when a proxy in front sets them. */
function targetUriOf(req: IncomingMessage): string {
  const scheme = req.headersDistinct['x-forwarded-proto']?.[0] ?? 'http'
  const authority = req.headersDistinct['x-forwarded-host']?.[0] ?? req.headers.host ?? ''
  return `${scheme}://${authority}${req.url ?? '/'}`
}

/** An RFC 6750 (Bearer) or RFC 9449 §7.1 (DPoP, with the accepted `algs`) challenge. */
function challengeOf(scheme: Scheme, error: string, description: string, scope?: string): string {
  const quoted = description.replace(/["\\]/g, "'")
  const params = [`realm="jiko"`, `error="${error}"`, `error_description="${quoted}"`]
  if (scope) params.push(`scope="${scope}"`)
  if (scheme === 'DPoP') params.push(`algs="${DPOP_ALGORITHMS.join(' ')}"`)
  return `${scheme} ${params.join(', ')}`
}

function deny(
  res: ServerResponse,
  scheme: Scheme,
  status: 401 | 403,
  error: string,
  description: string,
  scope?: string,
) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'www-authenticate': challengeOf(scheme, error, description, scope),
  })
  res.end(JSON.stringify({ error, error_description: description }))
}

/** 401 invalid_signature, with an RFC 9421 `Accept-Signature` listing what to sign. */
function denySignature(res: ServerResponse, scheme: Scheme, reason: string, hasBody: boolean) {
  const components = [...REQUIRED_COMPONENTS, ...(hasBody ? ['content-digest'] : [])]
  res.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': challengeOf(scheme, 'invalid_signature', reason),
    'accept-signature': `sig1=(${components.map((c) => `"${c}"`).join(' ')});created`,
  })
  res.end(JSON.stringify({ error: 'invalid_signature', error_description: reason }))
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
