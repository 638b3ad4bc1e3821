import { describe, expect, it } from 'vitest'
import {
  type CryptoAdapter,
  computeCodeChallenge,
  createPkcePair,
  createState,
  webCryptoAdapter,
} from '../src/index.js'

describe('PKCE (RFC 7636)', () => {
  it('computes the S256 challenge of Appendix B', async () => {
    expect(await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
  })

  it('derives the verifier of Appendix B from its octets', async () => {
    const octets = new Uint8Array([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ])
    const crypto: CryptoAdapter = { ...webCryptoAdapter, randomBytes: () => octets }
    const pair = await createPkcePair(crypto)
    expect(pair).toEqual({
      verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      method: 'S256',
    })
  })

  it('makes 43-character verifiers from the unreserved alphabet, fresh each time', async () => {
    const pairs = await Promise.all(Array.from({ length: 50 }, () => createPkcePair()))
    for (const { verifier } of pairs) expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43}$/)
    expect(new Set(pairs.map((p) => p.verifier)).size).toBe(50)
  })
})

describe('state', () => {
  it('carries 256 bits from the injected random source', () => {
    let asked = 0
    const crypto: CryptoAdapter = {
      ...webCryptoAdapter,
      randomBytes: (n) => {
        asked = n
        return new Uint8Array(n).fill(255)
      },
    }
    expect(createState(crypto)).toBe(`${'_'.repeat(42)}8`)
    expect(asked * 8).toBeGreaterThanOrEqual(128)
  })

  it('is unique', () => {
    expect(new Set(Array.from({ length: 1000 }, () => createState())).size).toBe(1000)
  })
})
