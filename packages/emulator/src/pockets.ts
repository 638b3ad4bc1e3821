import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import type { ApiKey } from './importApiKeys.js'
import { BodyTooLargeError, readBody } from './readBody.js'
import { REQUIRED_COMPONENTS, verifyRequestSignature } from './verifyRequestSignature.js'

export interface Pocket {
  id: string
  name: string
  currency: string
  balance: string
}

/** Deterministic demo pockets of a user. */
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
  stats: { apiRequests: number; signedApiRequests: number }
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
 * `POST /api/v2/pockets/transfers` (scope `transfers.write`). Bearer JWT signed by the emulator, unexpired,
 * unrevoked; when the token's `client_id` registered API keys, an RFC 9421 signature by one of them too.
 * 401/403 with RFC 6750 `WWW-Authenticate`.
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
    const match = /^Bearer ([\w.~+/-]+=*)$/i.exec(header)
    if (!match?.[1]) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="jiko"', 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ error: 'invalid_request', error_description: 'a Bearer access token is required' }),
      )
      return
    }
    let payload: { sub?: string; scope?: unknown; iat?: number; client_id?: unknown; azp?: unknown }
    try {
      ;({ payload } = await jwtVerify(match[1], keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['RS256'],
      }))
    } catch {
      return deny(res, 401, 'invalid_token', 'the access token is invalid or expired')
    }
    const revokedBefore = payload.sub ? options.revokedBefore.get(payload.sub) : undefined
    if (revokedBefore !== undefined && (payload.iat ?? 0) <= revokedBefore) {
      return deny(res, 401, 'invalid_token', 'the access token was revoked')
    }
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
      if (!check.valid) return denySignature(res, check.reason, body.length > 0)
      options.stats.signedApiRequests += 1
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
    if (!scopes.includes(route.scope)) {
      return deny(res, 403, 'insufficient_scope', `the ${route.scope} scope is required`, route.scope)
    }
    route.answer(res, payload.sub ?? 'unknown', body)
  }
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

function deny(res: ServerResponse, status: 401 | 403, error: string, description: string, scope?: string) {
  const challenge = `Bearer realm="jiko", error="${error}", error_description="${description}"`
  res.writeHead(status, {
    'content-type': 'application/json',
    'www-authenticate': scope ? `${challenge}, scope="${scope}"` : challenge,
  })
  res.end(JSON.stringify({ error, error_description: description }))
}

/** 401 invalid_signature, with an RFC 9421 `Accept-Signature` listing what to sign. */
function denySignature(res: ServerResponse, reason: string, hasBody: boolean) {
  const components = [...REQUIRED_COMPONENTS, ...(hasBody ? ['content-digest'] : [])]
  const quoted = reason.replace(/["\\]/g, "'")
  res.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': `Bearer realm="jiko", error="invalid_signature", error_description="${quoted}"`,
    'accept-signature': `sig1=(${components.map((c) => `"${c}"`).join(' ')});created`,
  })
  res.end(JSON.stringify({ error: 'invalid_signature', error_description: reason }))
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
