import type { IncomingMessage, ServerResponse } from 'node:http'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'

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

export interface PocketsApiOptions {
  issuer: string
  audience: string
  jwks: JSONWebKeySet
  /** Tokens issued to this subject before this time (epoch seconds) are revoked. */
  revokedBefore: Map<string, number>
}

/**
 * `GET /api/pockets` and `GET /api/pockets/:id`, protected like Jiko's: Bearer JWT signed by the emulator,
 * unexpired, scope `pockets.read`; 401/403 with RFC 6750 `WWW-Authenticate`.
 */
export function createPocketsApi(options: PocketsApiOptions) {
  const keys = createLocalJWKSet(options.jwks)
  const deny = (res: ServerResponse, status: 401 | 403, error: string, description: string) => {
    const challenge = `Bearer realm="jiko", error="${error}", error_description="${description}"`
    res.writeHead(status, {
      'content-type': 'application/json',
      'www-authenticate': status === 403 ? `${challenge}, scope="pockets.read"` : challenge,
    })
    res.end(JSON.stringify({ error, error_description: description }))
  }

  return async function handlePockets(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end()
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
    let payload: { sub?: string; scope?: unknown; iat?: number }
    try {
      ;({ payload } = await jwtVerify(match[1], keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['RS256'],
      }))
    } catch {
      deny(res, 401, 'invalid_token', 'the access token is invalid or expired')
      return
    }
    const revokedBefore = payload.sub ? options.revokedBefore.get(payload.sub) : undefined
    if (revokedBefore !== undefined && (payload.iat ?? 0) <= revokedBefore) {
      deny(res, 401, 'invalid_token', 'the access token was revoked')
      return
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
    if (!scopes.includes('pockets.read')) {
      deny(res, 403, 'insufficient_scope', 'the pockets.read scope is required')
      return
    }
    const pockets = pocketsOf(payload.sub ?? 'unknown')
    const id = path.replace(/^\/api\/pockets\/?/, '')
    const body = id ? pockets.find((p) => p.id === decodeURIComponent(id)) : { data: pockets }
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
}
