// A user's app, as it would be written outside this repository against the published packages: the Jiko emulator
// as the authorization server, @jiko-auth/node in an Express server, a route guarded by requireAuth, sessions in
// the store its argument names (`memory`, `sqlite` in the file SQLITE_PATH, `redis` at REDIS_URL). It signs alice
// in the way a browser would (fetch, redirects by hand, a cookie jar), calls the guarded route, prints
// `{ storage, user, protected, anonymous }` as JSON and stops everything.
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { AuthStore } from '@jiko-auth/core'
import { startEmulator } from '@jiko-auth/emulator'
import {
  createJikoAuth,
  expressMiddleware,
  generateKeyFiles,
  type ProtectedSession,
  requireAuth,
} from '@jiko-auth/node'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import express from 'express'

const storageName = process.argv[2] ?? 'memory'
const storage = openStorage(storageName)

// The server first, on a free port: the redirect URI registered at Jiko names it.
const app = express()
const server = app.listen(0)
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
const origin = `http://localhost:${(server.address() as AddressInfo).port}`

const keys = await generateKeys()
const emulator = await startEmulator({
  headless: 'alice',
  clients: [{ clientId: 'my-app', redirectUris: [`${origin}/auth/callback`], publicKey: keys.publicKey }],
})

const auth = createJikoAuth({
  issuer: emulator.issuer,
  clientId: 'my-app',
  redirectUri: `${origin}/auth/callback`,
  scopes: ['openid', 'profile', 'email', 'pockets.read'],
  privateKey: keys.privateKey,
  storage,
  secret: 'a-secret-of-at-least-32-bytes-for-this-example',
})

app.use(expressMiddleware(auth))
app.get('/api/me', requireAuth(auth), (_req, res) => {
  // requireAuth puts the session in res.locals, which Express types: no cast.
  const session: ProtectedSession = res.locals.jikoSession
  res.json({ user: session.user })
})

try {
  const jar = new Map<string, Map<string, string>>()
  const anonymous = await browse(`${origin}/api/me`, jar)
  // Sign in, then land back on the guarded route.
  let response = await browse(`${origin}/auth/login?returnTo=/api/me`, jar)
  for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
    if (hops > 10) throw new Error('too many redirects')
    const location = new URL(response.headers.get('location') ?? '', response.url)
    response = await browse(location.href, jar)
  }
  const body = (await response.json()) as { user?: { sub: string } }
  console.log(
    JSON.stringify({
      storage: storageName,
      user: body.user,
      protected: response.status,
      anonymous: anonymous.status,
    }),
  )
} finally {
  await emulator.stop()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await storage.close?.()
}

/** The session store the argument names. */
function openStorage(name: string): AuthStore {
  if (name === 'memory') return memoryStorage()
  if (name === 'sqlite') return sqliteStorage({ path: required('SQLITE_PATH') })
  if (name === 'redis') return redisStorage({ url: required('REDIS_URL') })
  throw new Error(`no storage ${name}: memory, sqlite or redis`)
}

function required(variable: string): string {
  const value = process.env[variable]
  if (!value) throw new Error(`${variable} is not set`)
  return value
}

/** A PS256 key pair made the way the docs say (`generateKeyFiles`, what `npx @jiko-auth/node keygen` runs). */
async function generateKeys(): Promise<{ privateKey: string; publicKey: string }> {
  const files = await generateKeyFiles({ alg: 'PS256', prefix: 'keys/jiko', force: true })
  return {
    privateKey: readFileSync(files.privateKeyPath, 'utf8'),
    publicKey: readFileSync(files.publicKeyPath, 'utf8'),
  }
}

/** One request as a browser without JavaScript sends it: the jar's cookies for the host, no redirect followed. */
async function browse(url: string, jar: Map<string, Map<string, string>>): Promise<Response> {
  const host = new URL(url).host
  const cookies = jar.get(host) ?? new Map<string, string>()
  jar.set(host, cookies)
  const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq).trim()
    if (/;\s*max-age=0/i.test(line)) cookies.delete(name)
    else cookies.set(name, pair.slice(eq + 1))
  }
  return response
}
