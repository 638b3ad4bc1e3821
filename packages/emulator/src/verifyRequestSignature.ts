import { createVerifier, httpbis } from 'http-message-signatures'
import {
  type Dictionary,
  type InnerList,
  type Item,
  isInnerList,
  type Parameters,
  parseDictionary,
  serializeDictionary,
} from 'structured-headers'
import type { ApiKey } from './importApiKeys.js'
import { verifyContentDigest } from './verifyContentDigest.js'

/** How far `created` may be from the server's time, either way (seconds). */
export const SIGNATURE_MAX_SKEW_SECONDS = 300

/** The components every signature must cover; `content-digest` too when the request has a body. */
export const REQUIRED_COMPONENTS = ['@method', '@authority', '@target-uri', 'authorization'] as const

/** A request as the server received it. */
export interface ReceivedRequest {
  method: string
  /** The target URI as the client addressed it: scheme, authority, path and query. */
  targetUri: string
  /** Every header field by lower-case name, with all of its field lines. */
  headers: Readonly<Record<string, string[] | undefined>>
  body: Uint8Array
}

export interface SignatureCheckOptions {
  /** The keys of the client the access token was issued to, by `keyId`. */
  keys: ReadonlyMap<string, ApiKey>
  clientId: string
  /** The server's time, epoch seconds. */
  now: number
}

export type SignatureCheck = { valid: true; keyId: string } | { valid: false; reason: string }

/**
 * Verifies a request's RFC 9421 signature the way Jiko's Customer API does: the signature labelled with one of the
 * client's `keyid`s must cover `@method`, `@authority`, `@target-uri`, `authorization` (and `content-digest` when
 * there is a body, which must match it), carry `created` within {@link SIGNATURE_MAX_SKEW_SECONDS} of `now`, name
 * the key's `alg` if it names one, and verify with that key. The signature base is rebuilt and checked by the
 * `http-message-signatures` library; the reason of a failure is written for the developer who signed the request.
 */
export async function verifyRequestSignature(
  request: ReceivedRequest,
  options: SignatureCheckOptions,
): Promise<SignatureCheck> {
  const fail = (reason: string): SignatureCheck => ({ valid: false, reason })
  const inputField = request.headers['signature-input']
  const signatureField = request.headers.signature
  if (!inputField?.length || !signatureField?.length) {
    return fail(
      `the request is not signed: client ${options.clientId} registered an API key, so send Signature-Input and ` +
        'Signature headers (RFC 9421)',
    )
  }
  let inputs: Dictionary
  let signatures: Dictionary
  try {
    inputs = parseDictionary(inputField.join(', '))
    signatures = parseDictionary(signatureField.join(', '))
  } catch (error) {
    return fail(
      `Signature-Input or Signature is not a structured field dictionary: ${(error as Error).message}`,
    )
  }
  const chosen = chooseSignature(inputs, options)
  if (typeof chosen === 'string') return fail(chosen)
  const { label, input, key } = chosen
  const signature = signatures.get(label)
  if (!signature || isInnerList(signature) || !(signature[0] instanceof ArrayBuffer)) {
    return fail(
      `the Signature header has no byte sequence labelled ${label} (the label of its Signature-Input)`,
    )
  }
  const problem =
    checkParameters(input[1], key, options.now) ?? checkComponents(input[0], request) ?? checkDigest(request)
  if (problem) return fail(problem)

  // Only the chosen signature goes to the library, which rebuilds the signature base and verifies it.
  const headers: Record<string, string[]> = {}
  for (const [name, lines] of Object.entries(request.headers)) if (lines) headers[name] = lines
  headers['signature-input'] = [serializeDictionary(new Map([[label, input]]))]
  headers.signature = [serializeDictionary(new Map([[label, signature]]))]
  let verified: boolean | null
  try {
    verified = await httpbis.verifyMessage(
      {
        keyLookup: async () => ({ id: key.keyId, algs: [key.alg], verify: createVerifier(key.key, key.alg) }),
        // `created` and `expires` were checked above, against the emulator's clock: switch the library's off.
        notAfter: Number.POSITIVE_INFINITY,
        tolerance: Number.POSITIVE_INFINITY,
      },
      { method: request.method, url: request.targetUri, headers },
    )
  } catch (error) {
    return fail(`cannot rebuild the signature base: ${(error as Error).message}`)
  }
  if (verified !== true) {
    return fail(
      `bad signature: it does not verify with key "${key.keyId}" (${key.alg}); the request received differs from ` +
        'the one signed (method, authority, target URI, a header or the body digest) or another key signed it',
    )
  }
  return { valid: true, keyId: key.keyId }
}

/** The first signature whose `keyid` is one of the client's keys, or why there is none. */
function chooseSignature(
  inputs: Dictionary,
  options: SignatureCheckOptions,
): { label: string; input: InnerList; key: ApiKey } | string {
  const seen: string[] = []
  for (const [label, input] of inputs) {
    if (!isInnerList(input)) return `Signature-Input ${label} must be an inner list of components`
    const keyId = input[1].get('keyid')
    if (typeof keyId !== 'string') continue
    const key = options.keys.get(keyId)
    if (key) return { label, input, key }
    seen.push(keyId)
  }
  if (seen.length === 0) return 'the signature has no keyid parameter: Jiko finds the key by keyid'
  const registered = [...options.keys.keys()].join('", "')
  return `unknown keyid "${seen.join('", "')}" for client ${options.clientId} (registered: "${registered}")`
}

function checkParameters(params: Parameters, key: ApiKey, now: number): string | undefined {
  const alg = params.get('alg')
  if (alg !== undefined && alg !== key.alg) {
    return `alg "${String(alg)}" does not match key "${key.keyId}", registered for ${key.alg}`
  }
  const created = params.get('created')
  if (typeof created !== 'number' || !Number.isInteger(created)) {
    return 'the signature has no created parameter (an integer, epoch seconds)'
  }
  if (now - created > SIGNATURE_MAX_SKEW_SECONDS) {
    return (
      `the signature expired: created is ${now - created} s before the server's time ` +
      `(at most ${SIGNATURE_MAX_SKEW_SECONDS} s)`
    )
  }
  if (created - now > SIGNATURE_MAX_SKEW_SECONDS) {
    return (
      `created is ${created - now} s after the server's time (at most ${SIGNATURE_MAX_SKEW_SECONDS} s): ` +
      "check the client's clock"
    )
  }
  const expires = params.get('expires')
  if (expires !== undefined && (typeof expires !== 'number' || now > expires)) {
    return `the signature expired: its expires parameter is past the server's time`
  }
  return undefined
}

function checkComponents(items: Item[], request: ReceivedRequest): string | undefined {
  const names = items.map(([name]) => name)
  if (names.some((name) => typeof name !== 'string')) {
    return 'Signature-Input components must be quoted strings ("@method" "authorization" …)'
  }
  const required: string[] = [...REQUIRED_COMPONENTS]
  if (request.body.length > 0) required.push('content-digest')
  const missing = required.filter((name) => !names.includes(name))
  if (missing.length === 0) return undefined
  const why = missing.includes('content-digest') ? ' (content-digest is required when there is a body)' : ''
  return `the signature must cover ${missing.join(', ')}${why}; it covers ${names.join(', ') || 'nothing'}`
}

function checkDigest(request: ReceivedRequest): string | undefined {
  const field = request.headers['content-digest']
  if (!field?.length) {
    return request.body.length > 0
      ? 'the request has a body but no Content-Digest header (RFC 9530, sha-256 or sha-512)'
      : undefined
  }
  return verifyContentDigest(field.join(', '), request.body)
}
