// RFC 9421 HTTP Message Signatures and RFC 9530 Content-Digest, against the RFCs' own examples, and Jiko's profile.
import { createHash, createPublicKey, verify } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK } from 'jose'
import { parseDictionary } from 'structured-headers'
import { describe, expect, it } from 'vitest'
import { createContentDigest, ErrorCode, type JikoAuthError, signRequest } from '../src/index.js'

/** RFC 9421 Appendix B.1.4, test-key-ed25519 (the private JWK). */
const TEST_KEY_ED25519 = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
}

/** RFC 9421 Appendix B.2, the test request. */
function testRequest() {
  return new Request('http://example.com/foo?param=Value&Pet=dog', {
    method: 'POST',
    headers: {
      host: 'example.com',
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-length': '18',
    },
    body: '{"hello": "world"}',
  })
}

/** The signature base signRequest signed, rebuilt from what it sent (for the checks below). */
function signatureOf(request: Request, label: string) {
  const signature = parseDictionary(request.headers.get('signature') as string).get(label)
  return Buffer.from((signature as [ArrayBuffer, unknown])[0])
}

describe('RFC 9530 Content-Digest', () => {
  it('matches the RFC’s example for {"hello": "world"} (sha-256), and sha-512 matches node:crypto', async () => {
    const body = new TextEncoder().encode('{"hello": "world"}')
    expect(await createContentDigest(body)).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:')
    const sha512 = createHash('sha512').update(body).digest('base64')
    expect(await createContentDigest(body, 'sha-512')).toBe(`sha-512=:${sha512}:`)
  })

  it('digests an empty body and a 1 MB one', async () => {
    const empty = createHash('sha256').update('').digest('base64')
    expect(await createContentDigest(new Uint8Array())).toBe(`sha-256=:${empty}:`)
    const big = new Uint8Array(1024 * 1024).fill(7)
    const expected = createHash('sha256').update(big).digest('base64')
    expect(await createContentDigest(big)).toBe(`sha-256=:${expected}:`)
  })
})

/** The test request signed with B.2.6's parameters: the covered components, created, keyid, label, no alg. */
const signB26 = () =>
  signRequest(testRequest(), {
    key: TEST_KEY_ED25519,
    keyId: 'test-key-ed25519',
    alg: 'ed25519',
    components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
    created: 1618884473,
    label: 'sig-b26',
    includeAlg: false,
  })

describe('RFC 9421 Appendix B.2.6 (Ed25519, deterministic): byte for byte', () => {
  it('reproduces the Signature-Input and the Signature', async () => {
    const signed = await signB26()
    expect(signed.headers.get('signature-input')).toBe(
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    )
    expect(signed.headers.get('signature')).toBe(
      'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
    )
    // The body still travels, with its digest.
    expect(await signed.text()).toBe('{"hello": "world"}')
    expect(signed.headers.get('content-digest')).toBe(
      'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    )
  })

  it('the RFC’s signature verifies over the RFC’s signature base (the base is what was signed)', async () => {
    const base = [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    ].join('\n')
    const signed = await signB26()
    const { d: _private, ...publicJwk } = TEST_KEY_ED25519
    const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' })
    expect(verify(null, Buffer.from(base), publicKey, signatureOf(signed, 'sig-b26'))).toBe(true)
  })
})

describe('Jiko’s profile', () => {
  it('covers @method @authority @target-uri authorization content-digest, with created, keyid and alg (ECDSA P-256)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const request = new Request('https://api.jiko.test:8443/v2/pockets/transfers?dry=1', {
      method: 'post',
      headers: { authorization: 'Bearer access-AAA', 'content-type': 'application/json' },
      body: '{"amount":"10.00"}',
    })
    const signed = await signRequest(request, {
      key: privateKey,
      keyId: 'k-1',
      alg: 'ecdsa-p256-sha256',
      created: 1700000000,
    })
    expect(signed.headers.get('signature-input')).toBe(
      'sig1=("@method" "@authority" "@target-uri" "authorization" "content-digest");created=1700000000;keyid="k-1";alg="ecdsa-p256-sha256"',
    )
    const digest = signed.headers.get('content-digest') as string
    const base = [
      '"@method": POST',
      '"@authority": api.jiko.test:8443',
      '"@target-uri": https://api.jiko.test:8443/v2/pockets/transfers?dry=1',
      '"authorization": Bearer access-AAA',
      `"content-digest": ${digest}`,
      '"@signature-params": ("@method" "@authority" "@target-uri" "authorization" "content-digest");created=1700000000;keyid="k-1";alg="ecdsa-p256-sha256"',
    ].join('\n')
    const signature = signatureOf(signed, 'sig1')
    expect(signature).toHaveLength(64)
    const key = createPublicKey({ key: (await exportJWK(publicKey)) as never, format: 'jwk' })
    expect(verify('sha256', Buffer.from(base), { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true)
  })

  it('never signs the fragment (it is not sent), and takes the method as it is', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const signed = await signRequest(
      new Request('https://api.jiko.test/v2/pockets?x=1#part', {
        method: 'PATCH',
        headers: { authorization: 'Bearer t' },
      }),
      { key: privateKey, keyId: 'k', alg: 'ed25519', created: 1, components: ['@method', '@target-uri'] },
    )
    const publicJwk = await exportJWK(privateKey)
    const { d: _d, ...pub } = publicJwk
    const base = [
      '"@method": PATCH',
      '"@target-uri": https://api.jiko.test/v2/pockets?x=1',
      '"@signature-params": ("@method" "@target-uri");created=1;keyid="k";alg="ed25519"',
    ].join('\n')
    const key = createPublicKey({ key: pub as never, format: 'jwk' })
    expect(verify(null, Buffer.from(base), key, signatureOf(signed, 'sig1'))).toBe(true)
  })

  it('adds no Content-Digest without a body, and signs a PEM or JWK key alike', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const jwk = await exportJWK(privateKey)
    const request = () =>
      new Request('https://api.jiko.test/v2/pockets', { headers: { authorization: 'Bearer t' } })
    const fromJwk = await signRequest(request(), { key: jwk, keyId: 'k', alg: 'ed25519', created: 1 })
    const fromKey = await signRequest(request(), {
      key: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
      keyId: 'k',
      alg: 'ed25519',
      created: 1,
    })
    expect(fromJwk.headers.has('content-digest')).toBe(false)
    expect(fromJwk.headers.get('signature-input')).toBe(
      'sig1=("@method" "@authority" "@target-uri" "authorization");created=1;keyid="k";alg="ed25519"',
    )
    // Ed25519 is deterministic: the same key signs the same base the same way.
    expect(fromJwk.headers.get('signature')).toBe(fromKey.headers.get('signature'))
  })

  it('refuses, with a typed error and no secret in it, a request without Authorization or a key of another type', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const failure = async (promise: Promise<unknown>) =>
      (await promise.catch((e: unknown) => e)) as JikoAuthError
    const unauthenticated = await failure(
      signRequest(new Request('https://api.jiko.test/'), {
        key: privateKey,
        keyId: 'k',
        alg: 'ecdsa-p256-sha256',
      }),
    )
    expect(unauthenticated.code).toBe(ErrorCode.SigningFailed)
    expect(unauthenticated.hint).toMatch(/Authorization/)
    const wrongKey = await failure(
      signRequest(
        new Request('https://api.jiko.test/', { headers: { authorization: 'Bearer secret-token' } }),
        {
          key: privateKey,
          keyId: 'k',
          alg: 'ed25519',
        },
      ),
    )
    expect(wrongKey.code).toBe(ErrorCode.SigningFailed)
    expect(`${wrongKey.message} ${wrongKey.hint}`).not.toContain('secret-token')
  })
})
