// `npx @jiko-auth/node keygen`, run from source: the files, their modes, the kid, and keys that work.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClientAssertion, importSigningKey, resolveConfig, signRequest } from '@jiko-auth/core'
import { calculateJwkThumbprint, importSPKI, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' })

describe('keygen', () => {
  it.each(['PS256', 'EdDSA'] as const)(
    '%s: a private PEM (0600), a public PEM and JWK whose kid is the thumbprint; it signs assertions Jiko can check',
    async (alg) => {
      const prefix = join(mkdtempSync(join(tmpdir(), 'jiko-keygen-')), 'keys/jiko')
      const result = run('keygen', '--alg', alg, '--out', prefix)
      expect(result.status).toBe(0)
      expect(result.stdout).toContain("paste it on Jiko's Settings page")
      expect(statSync(`${prefix}.key.pem`).mode & 0o777).toBe(0o600)
      const privatePem = readFileSync(`${prefix}.key.pem`, 'utf8')
      expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
      expect(result.stdout).not.toContain(privatePem.split('\n')[1])
      const jwk = JSON.parse(readFileSync(`${prefix}.pub.jwk.json`, 'utf8'))
      const { kid, alg: _alg, use: _use, ...bare } = jwk
      expect(kid).toBe(await calculateJwkThumbprint(bare))
      // The private key is accepted as configured, and what it signs verifies with the public PEM.
      const config = resolveConfig({
        issuer: 'https://auth.jiko.test',
        clientId: 'app',
        scopes: ['pockets.read'],
        privateKey: privatePem,
        signingAlgorithm: alg,
      })
      const assertion = await createClientAssertion(config, {
        key: await importSigningKey(privatePem, alg),
        now: Date.now(),
      })
      const publicKey = await importSPKI(readFileSync(`${prefix}.pub.pem`, 'utf8'), alg)
      expect((await jwtVerify(assertion, publicKey)).payload.iss).toBe('app')
    },
  )

  it('ES256 for API request signing: signRequest takes the key, and the kid is a ready keyId', async () => {
    const prefix = join(mkdtempSync(join(tmpdir(), 'jiko-keygen-')), 'api')
    expect(run('keygen', '--alg', 'ES256', '--out', prefix).status).toBe(0)
    const { kid } = JSON.parse(readFileSync(`${prefix}.pub.jwk.json`, 'utf8'))
    const signed = await signRequest(
      new Request('https://api.jiko.test/v2/pockets', { headers: { authorization: 'Bearer t' } }),
      { key: readFileSync(`${prefix}.key.pem`, 'utf8'), keyId: kid, alg: 'ecdsa-p256-sha256' },
    )
    expect(signed.headers.get('signature-input')).toContain(`keyid="${kid}"`)
  })

  it('never overwrites a key without --force, and says how', () => {
    const prefix = join(mkdtempSync(join(tmpdir(), 'jiko-keygen-')), 'jiko')
    expect(run('keygen', '--out', prefix).status).toBe(0)
    const before = readFileSync(`${prefix}.key.pem`, 'utf8')
    const again = run('keygen', '--out', prefix)
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('already exists')
    expect(again.stderr).toContain('--force')
    expect(readFileSync(`${prefix}.key.pem`, 'utf8')).toBe(before)
    // A key file left readable by others is replaced by a new, private one (never written into the old file).
    chmodSync(`${prefix}.key.pem`, 0o644)
    expect(run('keygen', '--out', prefix, '--force').status).toBe(0)
    expect(readFileSync(`${prefix}.key.pem`, 'utf8')).not.toBe(before)
    expect(statSync(`${prefix}.key.pem`).mode & 0o777).toBe(0o600)
  })

  it('answers usage for anything else', () => {
    const help = run('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('Usage: npx @jiko-auth/node keygen')
    expect(run('keygen', '--alg', 'RS256').status).toBe(2)
  })
})
