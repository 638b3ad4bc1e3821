// 1b. Client CPU per login over a real network: the emulator runs in another process on loopback (headless, so the
// authorization step is one redirect), and only the client's own calls are counted, in process CPU time: the flow
// runner's three steps (as @jiko-auth/node runs them, with fetch and with its node:http keep-alive transport) and
// openid-client doing the same login with its default fetch. The browser's part (the emulator's redirects) runs in
// a third process, so neither its work nor its garbage is counted.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createMetadataCache, createTokenClient, resolveConfig } from '@jiko-auth/core'
import { createNodeHttpAdapter, nodeCryptoAdapter } from '@jiko-auth/node'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { cpuNs, median } from './measure.mjs'
import { createFlowRunner } from './nodeInternals.mjs'

const REDIRECT_URI = 'http://localhost:3998/auth/callback'

/** The emulator's CLI in a process of its own; resolves once it listens. */
async function startEmulatorProcess(publicKeyPem) {
  const dir = mkdtempSync(join(tmpdir(), 'jiko-bench-'))
  const keyFile = join(dir, 'client.pub.pem')
  writeFileSync(keyFile, publicKeyPem)
  const cli = fileURLToPath(new URL('../node_modules/@jiko-auth/emulator/dist/cli.js', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      cli,
      '--port',
      '0',
      '--headless',
      'alice',
      '--client-id',
      'bench',
      '--redirect-uri',
      REDIRECT_URI,
      '--public-key',
      keyFile,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout })
  const issuer = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)))
    lines.on('line', (line) => {
      const match = /^\s*issuer\s+(\S+)/.exec(line)
      if (match) resolve(match[1])
    })
  })
  return { issuer, stop: () => child.kill() }
}

/** The browser, in another process: the headless emulator's redirects, followed to the callback URL. */
function startBrowserProcess(issuer) {
  const script = fileURLToPath(new URL('./browserProcess.mjs', import.meta.url))
  const child = spawn(process.execPath, [script, issuer], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    async authorize(authorizationUrl) {
      child.stdin.write(`${authorizationUrl}\n`)
      return new URL((await lines.next()).value)
    },
    stop: () => child.stdin.end(),
  }
}

export async function loginNetwork({ rounds = 12, warmupRounds = 2, loginsPerRound = 20, only } = {}) {
  const keys = await generateKeyPair('PS256', { extractable: true })
  const emulator = await startEmulatorProcess(await exportSPKI(keys.publicKey))
  const browser = startBrowserProcess(emulator.issuer)
  try {
    const config = resolveConfig({
      issuer: emulator.issuer,
      clientId: 'bench',
      redirectUri: REDIRECT_URI,
      scopes: ['pockets.read'],
      privateKey: await exportPKCS8(keys.privateKey),
    })
    const jikoWith = (transport) => {
      const http = transport ? { http: transport } : undefined
      // `http` is core's HttpOptions ({ http: transport }), under the key `http` of each factory's options.
      const metadata = createMetadataCache(config, http ? { http } : {})
      const tokenClient = createTokenClient(config, {
        crypto: nodeCryptoAdapter,
        metadata,
        ...(http ? { http } : {}),
      })
      const flows = createFlowRunner(
        { client: config, crypto: nodeCryptoAdapter, http, leewaySeconds: 60, clock: undefined },
        { tokenClient, metadata },
      )
      return async (count) => {
        let spent = 0
        for (let i = 0; i < count; i++) {
          let started = cpuNs()
          const { authorizationUrl, flow } = await flows.startLogin('/')
          spent += cpuNs() - started
          const callback = await browser.authorize(authorizationUrl)
          started = cpuNs()
          const signedIn = await flows.completeLogin(flow, callback.search)
          await flows.refresh(signedIn)
          spent += cpuNs() - started
        }
        return spent / count
      }
    }

    let tokenEndpoint
    const peer = await oidc.discovery(
      new URL(emulator.issuer),
      'bench',
      { redirect_uris: [REDIRECT_URI] },
      oidc.PrivateKeyJwt(keys.privateKey, {
        // openid-client sets aud to the issuer; Jiko wants the token endpoint.
        [oidc.modifyAssertion](_header, payload) {
          payload.aud = tokenEndpoint
        },
      }),
      { execute: [oidc.allowInsecureRequests] },
    )
    tokenEndpoint = peer.serverMetadata().token_endpoint
    const openidClient = async (count) => {
      let spent = 0
      for (let i = 0; i < count; i++) {
        let started = cpuNs()
        const verifier = oidc.randomPKCECodeVerifier()
        const state = oidc.randomState()
        const url = oidc.buildAuthorizationUrl(peer, {
          redirect_uri: REDIRECT_URI,
          scope: 'pockets.read',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
        })
        spent += cpuNs() - started
        const callback = await browser.authorize(url.href)
        started = cpuNs()
        const tokens = await oidc.authorizationCodeGrant(peer, callback, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        })
        await oidc.refreshTokenGrant(peer, tokens.refresh_token)
        spent += cpuNs() - started
      }
      return spent / count
    }

    const all = [
      { name: 'jiko (fetch)', run: jikoWith(undefined) },
      { name: 'jiko (node:http keep-alive)', run: jikoWith(createNodeHttpAdapter()) },
      { name: 'openid-client', run: openidClient },
    ]
    // `only` (a name) runs one candidate alone: for a profile of it.
    const candidates = only ? all.filter((c) => c.name === only) : all
    const samples = new Map(candidates.map((c) => [c.name, []]))
    for (let round = 0; round < warmupRounds + rounds; round++) {
      for (let i = 0; i < candidates.length; i++) {
        const candidate = candidates[(i + round) % candidates.length]
        const perLogin = await candidate.run(loginsPerRound)
        if (round >= warmupRounds) samples.get(candidate.name).push(perLogin)
      }
    }
    return Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]))
  } finally {
    browser.stop()
    emulator.stop()
  }
}
