import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exportJWK, exportSPKI } from 'jose'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/index.js'
import { ASSERTION_TYPE, assertion, eddsa, ps256 } from './handClient.js'

/** A CLI start runs the source through tsx: on a loaded 2-core machine (CI runs packages side by side) it can take 15 s. */
const STARTUP_MS = 30_000

// The CLI's source through tsx, never its last build (dist/), so the test runs the code under test.
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    out += d
  })
  // The exit code, or the signal that killed it (so that a failure says which).
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  )
  return { child, output: () => out, exited }
}

describe('jiko-emulator CLI', { timeout: 2 * STARTUP_MS }, () => {
  it('starts from flags, prints the issuer and a summary, serves discovery, stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiko-cli-'))
    const pem = join(dir, 'client.pub.pem')
    writeFileSync(pem, await exportSPKI(ps256.publicKey))
    const { child, output, exited } = run([
      '--port',
      '0',
      '--client-id',
      'demo',
      '--redirect-uri',
      'http://localhost:3000/auth/callback',
      '--public-key',
      pem,
    ])
    await expect.poll(output, { timeout: STARTUP_MS }).toMatch(/users/)
    const issuer = /issuer\s+(\S+)/.exec(output())?.[1] as string
    expect(output()).toMatch(/clients\s+demo \(PS256\)/)
    expect(output()).toMatch(/alice \/ alice-password/)
    // oidc-provider's entry says "Unsupported runtime" on Node 20; the emulator loads it without that line.
    expect(output()).not.toMatch(/oidc-provider WARNING/)
    const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string
    }
    expect(doc.issuer).toBe(issuer)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('starts from a config file with a JWK-registered EdDSA client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiko-cli-'))
    const config = join(dir, 'emulator.json')
    const jwk = await exportJWK(eddsa.publicKey)
    writeFileSync(
      config,
      JSON.stringify({
        clients: [
          {
            clientId: 'from-file',
            redirectUris: ['http://localhost:3000/cb'],
            publicKey: jwk,
            algorithm: 'EdDSA',
          },
        ],
        headless: 'bob',
      }),
    )
    const { child, output, exited } = run(['--port', '0', '--config', config])
    await expect.poll(output, { timeout: STARTUP_MS }).toMatch(/headless/)
    expect(output()).toMatch(/clients\s+from-file \(EdDSA\)/)
    expect(output()).toMatch(/approving as bob/)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it('registers an API signing key with --api-public-key and --api-key-id (alg taken from the key)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiko-cli-'))
    const pem = join(dir, 'client.pub.pem')
    const apiPem = join(dir, 'api.pub.pem')
    writeFileSync(pem, await exportSPKI(ps256.publicKey))
    const { publicKey } = generateKeyPairSync('ed25519')
    writeFileSync(apiPem, publicKey.export({ type: 'spki', format: 'pem' }))
    const flags = ['--port', '0', '--client-id', 'demo', '--redirect-uri', 'http://localhost:3000/cb']
    const { child, output, exited } = run([
      ...flags,
      '--public-key',
      pem,
      '--api-public-key',
      apiPem,
      '--api-key-id',
      'api-1',
    ])
    await expect.poll(output, { timeout: STARTUP_MS }).toMatch(/users/)
    expect(output()).toMatch(/clients\s+demo \(PS256, API key api-1 ed25519\)/)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)

    const noKeyId = run([...flags, '--public-key', pem, '--api-public-key', apiPem])
    expect(await noKeyId.exited).toBe(1)
    expect(noKeyId.output()).toMatch(/--api-public-key needs --api-key-id/)
  })

  it('registers a service client with --grant-type client_credentials, without --redirect-uri', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiko-cli-'))
    const pem = join(dir, 'service.pub.pem')
    writeFileSync(pem, await exportSPKI(ps256.publicKey))
    const flags = ['--port', '0', '--client-id', 'batch', '--public-key', pem]
    const { child, output, exited } = run([...flags, '--grant-type', 'client_credentials'])
    await expect.poll(output, { timeout: STARTUP_MS }).toMatch(/users/)
    expect(output()).toMatch(/clients\s+batch \(PS256, client_credentials\)/)
    const issuer = /issuer\s+(\S+)/.exec(output())?.[1] as string
    const tokenEndpoint = `${issuer}/api/oauth2/token`
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'pockets.read',
        client_id: 'batch',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion({ tokenEndpoint } as RunningEmulator, { clientId: 'batch' }),
      }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: 'pockets.read' })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)

    const unknown = run([...flags, '--grant-type', 'password'])
    expect(await unknown.exited).toBe(1)
    expect(unknown.output()).toMatch(
      /--grant-type must be one of authorization_code, refresh_token, client_credentials/,
    )
    const noRedirect = run(flags)
    expect(await noRedirect.exited).toBe(1)
    expect(noRedirect.output()).toMatch(/--redirect-uri unless --grant-type client_credentials/)
  })

  it('refuses to start without a client, saying how', async () => {
    const { exited, output } = run(['--port', '0'])
    expect(await exited).toBe(1)
    expect(output()).toMatch(/register at least one client/)
  })
})
