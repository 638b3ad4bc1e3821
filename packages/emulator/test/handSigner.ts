// A client-side RFC 9421 signer written by hand with node:crypto, for the tests only: it shares no code with the
// emulator's verifier (which runs the http-message-signatures library), so the two implementations check each other.
import { createHash, type KeyObject, sign } from 'node:crypto'

export interface HandSignOptions {
  key: KeyObject
  alg: 'ed25519' | 'ecdsa-p256-sha256'
  keyId: string | undefined
  /** Default: @method @authority @target-uri authorization, and content-digest when there is a body. */
  components?: string[]
  /** Epoch seconds (default: now); `null` leaves the parameter out. */
  created?: number | null
  /** Add `;alg="…"` with this value. */
  algParam?: string
  label?: string
  /** Values the signature base uses instead of the request's own: a signature made for another request. */
  signed?: { method?: string; url?: string; authority?: string; headers?: Record<string, string> }
}

export interface HandRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: string
}

/** `sha-256=:…:` (or sha-512) of a body, as RFC 9530 writes it. */
export function contentDigest(body: string, alg: 'sha-256' | 'sha-512' = 'sha-256'): string {
  const hash = createHash(alg === 'sha-256' ? 'sha256' : 'sha512')
    .update(body)
    .digest('base64')
  return `${alg}=:${hash}:`
}

/** The request's headers plus Signature-Input and Signature (appended to any already there). */
export function handSign(request: HandRequest, options: HandSignOptions): Record<string, string> {
  const label = options.label ?? 'sig1'
  const components = options.components ?? [
    '@method',
    '@authority',
    '@target-uri',
    'authorization',
    ...(request.body ? ['content-digest'] : []),
  ]
  const url = new URL(options.signed?.url ?? request.url)
  const header = (name: string) => {
    const all = { ...request.headers, ...options.signed?.headers }
    const found = Object.entries(all).find(([key]) => key.toLowerCase() === name)
    if (!found) throw new Error(`handSign: no ${name} header to sign`)
    return found[1].trim()
  }
  const componentValue = (name: string): string => {
    switch (name) {
      case '@method':
        return (options.signed?.method ?? request.method).toUpperCase()
      case '@authority':
        return options.signed?.authority ?? url.host
      case '@target-uri':
        return url.href
      case '@path':
        return url.pathname
      case '@query':
        return url.search || '?'
      case '@scheme':
        return url.protocol.slice(0, -1)
      default:
        return header(name)
    }
  }
  let params = `(${components.map((c) => `"${c}"`).join(' ')})`
  const created = options.created === undefined ? Math.floor(Date.now() / 1000) : options.created
  if (created !== null) params += `;created=${created}`
  if (options.keyId !== undefined) params += `;keyid="${options.keyId}"`
  if (options.algParam) params += `;alg="${options.algParam}"`
  const base = [
    ...components.map((c) => `"${c}": ${componentValue(c)}`),
    `"@signature-params": ${params}`,
  ].join('\n')
  const data = Buffer.from(base)
  const signature =
    options.alg === 'ed25519'
      ? sign(null, data, options.key)
      : sign('sha256', data, { key: options.key, dsaEncoding: 'ieee-p1363' })
  const append = (name: string, value: string) =>
    (request.headers[name] ? `${request.headers[name]}, ` : '') + value
  return {
    ...request.headers,
    'signature-input': append('signature-input', `${label}=${params}`),
    signature: append('signature', `${label}=:${signature.toString('base64')}:`),
  }
}
