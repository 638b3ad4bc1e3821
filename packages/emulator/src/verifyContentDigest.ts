import { createHash } from 'node:crypto'
import { isInnerList, parseDictionary } from 'structured-headers'

const HASHES: Record<string, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' }

/**
 * Checks an RFC 9530 `Content-Digest` field against the body it came with. Every `sha-256` and `sha-512` member
 * must match; other algorithms are ignored, and at least one of the two is required. Returns why the check fails,
 * or `undefined` when it passes.
 */
export function verifyContentDigest(field: string, body: Uint8Array): string | undefined {
  let digests: ReturnType<typeof parseDictionary>
  try {
    digests = parseDictionary(field)
  } catch {
    return 'Content-Digest is not a structured field dictionary (RFC 9530: sha-256=:<base64 of the hash>:)'
  }
  let checked = 0
  for (const [name, member] of digests) {
    const hash = HASHES[name]
    if (!hash) continue
    const value = isInnerList(member) ? undefined : member[0]
    if (!(value instanceof ArrayBuffer)) {
      return `Content-Digest ${name} must be a byte sequence (${name}=:<base64 of the hash>:)`
    }
    if (!createHash(hash).update(body).digest().equals(Buffer.from(value))) {
      return `Content-Digest ${name} does not match the body (digest mismatch)`
    }
    checked += 1
  }
  return checked === 0 ? 'Content-Digest carries no sha-256 or sha-512 digest' : undefined
}
