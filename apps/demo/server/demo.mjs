// The demo: the Jiko emulator, and an app server that uses @jiko-auth/node with SQLite sessions and serves the page.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ErrorCode, JIKO_SIGNED_COMPONENTS, JikoAuthError, toJikoAuthError } from '@jiko-auth/core'
import { DEFAULT_USERS, startEmulator } from '@jiko-auth/emulator'
import { createJikoAuth, toRequest, writeResponse } from '@jiko-auth/node'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { browserOf, createMachineStream } from './machineStream.mjs'

const appDir = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** Every setting, from the environment, with its default. */
export function settingsFromEnv(env = process.env) {
  return {
    port: Number(env.DEMO_PORT ?? 3000),
    emulatorPort: Number(env.DEMO_EMULATOR_PORT ?? 4000),
    dataDir: resolve(env.DEMO_DATA_DIR ?? join(appDir, '.data')),
    accessTokenTtlSeconds: Number(env.DEMO_ACCESS_TOKEN_TTL ?? 120),
    secret: env.JIKO_AUTH_SECRET,
    withEmulator: env.DEMO_EMULATOR !== 'off',
  }
}

/** A file in the data folder, created on first start by `make`. */
async function kept(dir, name, make) {
  const file = join(dir, name)
  if (!existsSync(file)) writeFileSync(file, await make(), { mode: 0o600 })
  return readFileSync(file, 'utf8')
}

/** The demo's request-signing key pair (ECDSA P-256, RFC 9421), generated on first start and kept. */
async function apiSigningKeys(dir) {
  let pair
  const generate = async () => {
    pair ??= await generateKeyPair('ES256', { extractable: true })
    return pair
  }
  const privateKey = await kept(dir, 'api-signing.key.pem', async () =>
    exportPKCS8((await generate()).privateKey),
  )
  const publicKey = await kept(dir, 'api-signing.pub.pem', async () =>
    exportSPKI((await generate()).publicKey),
  )
  return { privateKey, publicKey, keyId: 'demo-api-key', alg: 'ecdsa-p256-sha256' }
}

/** The demo client's key pair (PS256), generated on first start and kept. */
async function clientKeys(dir) {
  let pair
  const generate = async () => {
    pair ??= await generateKeyPair('PS256', { extractable: true })
    return pair
  }
  const privateKey = await kept(dir, 'client.key.pem', async () => exportPKCS8((await generate()).privateKey))
  const publicKey = await kept(dir, 'client.pub.pem', async () => exportSPKI((await generate()).publicKey))
  return { privateKey, publicKey }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.png': 'image/png',
}

/** What the demo asks Jiko for; the page shows it beside what was granted. */
const SCOPES = ['openid', 'profile', 'pockets.read']

function serveStatic(res, path) {
  const root = join(appDir, 'dist')
  // Browsers ask for /favicon.ico whatever the page says: answer with the page's icon.
  const file = normalize(
    join(root, path === '/' ? 'index.html' : path === '/favicon.ico' ? 'favicon.svg' : path),
  )
  const inside = file.startsWith(root)
  // A missing file is a 404; only extension-less paths (the page's own routes) fall back to index.html.
  if (inside && extname(file) && !existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
    return
  }
  const target = inside && existsSync(file) && extname(file) ? file : join(root, 'index.html')
  if (!existsSync(target)) {
    res
      .writeHead(500, { 'content-type': 'text/plain' })
      .end('The page is not built: run `pnpm demo` from the repository root.')
    return
  }
  res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' })
  res.end(readFileSync(target))
}

function sendJson(res, status, body) {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body))
}

/**
 * Starts the emulator (unless DEMO_EMULATOR=off) and the demo server. Resolves to what it started and `stop()`.
 */
export async function startDemo(settings = settingsFromEnv()) {
  mkdirSync(settings.dataDir, { recursive: true })
  const origin = `http://localhost:${settings.port}`
  const issuer = `http://127.0.0.1:${settings.emulatorPort}`
  const keys = await clientKeys(settings.dataDir)
  const apiKeys = await apiSigningKeys(settings.dataDir)
  const secret =
    settings.secret ?? (await kept(settings.dataDir, 'secret', () => randomBytes(48).toString('base64url')))

  let emulator
  if (settings.withEmulator) {
    const signingKey = JSON.parse(
      await kept(settings.dataDir, 'emulator-signing-key.json', async () =>
        JSON.stringify(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)),
      ),
    )
    emulator = await startEmulator({
      port: settings.emulatorPort,
      clients: [
        {
          clientId: 'demo',
          redirectUris: [`${origin}/`],
          publicKey: keys.publicKey,
          // Jiko's Customer API wants every request signed: the emulator checks it with this key.
          apiPublicKey: { keyId: apiKeys.keyId, key: apiKeys.publicKey, alg: apiKeys.alg },
        },
      ],
      accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
      persistFile: join(settings.dataDir, 'emulator.json'),
      signingKey,
    })
  }

  const storage = sqliteStorage({ path: join(settings.dataDir, 'sessions.db') })
  // The server's machine, step by step, to the page of the browser that caused each step (redacted by the library).
  const machineStream = createMachineStream()
  const auth = createJikoAuth({
    issuer,
    revocationEndpoint: `${issuer}/api/oauth2/revoke`,
    clientId: 'demo',
    // The page itself is the redirect target (SPA-callback mode), so the machine visibly passes through
    // awaitingCallback and exchanging in the browser.
    redirectUri: `${origin}/`,
    scopes: SCOPES,
    privateKey: keys.privateKey,
    apiSigning: { privateKey: apiKeys.privateKey, keyId: apiKeys.keyId, alg: apiKeys.alg },
    storage,
    secret,
    logger: {
      info: (message) => console.log(message),
      warn: (message, fields) => console.warn(message, fields ?? ''),
    },
    inspect: machineStream.inspect,
  })

  /** The auth routes, with the demo's browser cookie added to the answer when this browser had none. */
  async function authRoutes(req, res, browser) {
    let request
    try {
      request = toRequest(req)
    } catch {
      return sendJson(res, 400, {
        error: { code: 'JIKO_BAD_REQUEST', message: 'The request’s Host is not valid' },
      })
    }
    let response = await auth.handler(request)
    if (browser.setCookie) {
      const headers = new Headers(response.headers)
      headers.append('set-cookie', browser.setCookie)
      const { status, statusText } = response
      response = new Response(response.body, { status, statusText, headers })
    }
    await writeResponse(response, res, req)
    // A sign-out deletes the session without a step of the machine: the page's server diagram goes back to idle.
    if (request.method === 'POST' && new URL(request.url).pathname === '/auth/logout' && response.ok) {
      machineStream.session(browser.id, 'idle', 'signed-out')
    }
  }

  /** The server's machine for this browser, as Server-Sent Events, starting from the session it holds now. */
  async function serverMachine(req, res, browser) {
    const session = await auth.handler(
      new Request(new URL('/auth/session', origin), { headers: { cookie: req.headers.cookie ?? '' } }),
    )
    const { state } = session.ok ? await session.json() : { state: 'idle' }
    if (req.destroyed) return
    machineStream.connect(req, res, browser.id, state)
  }

  async function pockets(req, res) {
    try {
      // The user's token, signed (RFC 9421) and sent by auth.fetch; the emulator verifies the signature.
      const response = await auth.fetch(toRequest(req), `${issuer}/api/pockets`)
      if (!response.ok) {
        throw new JikoAuthError(ErrorCode.HttpError, `The pockets API answered ${response.status}`, {
          status: response.status,
        })
      }
      const signature = { alg: apiKeys.alg, keyId: apiKeys.keyId, components: [...JIKO_SIGNED_COMPONENTS] }
      sendJson(res, 200, { ...(await response.json()), signature })
    } catch (error) {
      const failure = toJikoAuthError(error)
      const status = [ErrorCode.Unauthenticated, ErrorCode.SessionExpired].includes(failure.code) ? 401 : 502
      sendJson(res, status, { error: { code: failure.code, message: failure.message } })
    }
  }

  function route(req, res, browser) {
    const path = (req.url ?? '/').split('?')[0]
    if (path.startsWith('/auth/')) return authRoutes(req, res, browser)
    // Not an auth route, so the only Set-Cookie of its answer: node keeps it whatever writeHead adds.
    if (browser.setCookie) res.setHeader('set-cookie', browser.setCookie)
    if (path === '/api/pockets') return pockets(req, res)
    if (path === '/api/demo') return sendJson(res, 200, { scopes: SCOPES })
    if (path === '/api/demo/server-machine' && req.method === 'GET') return serverMachine(req, res, browser)
    if (req.method === 'GET') return serveStatic(res, path)
    res.writeHead(405).end()
  }

  const server = createServer((req, res) => {
    const browser = browserOf(req)
    // Every step the library takes while answering (login, callback, a refresh, auth.fetch's refresh ahead of
    // expiry) runs in this browser's async context: its inspection events go to this browser's page only.
    machineStream.run(browser.id, async () => {
      try {
        await route(req, res, browser)
      } catch (error) {
        console.error('demo: request failed', error)
        if (res.headersSent) res.destroy()
        else sendJson(res, 500, { error: { code: 'JIKO_UNKNOWN', message: 'The demo server failed' } })
      }
    })
  })
  await new Promise((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(settings.port, '127.0.0.1', resolveListen)
  })

  return {
    origin,
    issuer,
    publicKey: keys.publicKey,
    users: DEFAULT_USERS,
    async stop() {
      machineStream.close()
      await new Promise((done) => {
        server.close(() => done())
        server.closeAllConnections()
      })
      storage.close()
      await emulator?.stop()
    },
  }
}
