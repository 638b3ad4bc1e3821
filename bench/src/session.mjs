// A real signed-in session for the benchmarks: the emulator (headless) and createJikoAuth, driven through the
// handler in-process, as a browser would.
import { startEmulator } from '@jiko-auth/emulator'
import { createJikoAuth } from '@jiko-auth/node'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'

export const SECRET = 'benchmark-secret-of-at-least-32-bytes!!'
const ORIGIN = 'http://localhost:3999'

export async function startBenchEmulator(options = {}) {
  const keys = await generateKeyPair('PS256', { extractable: true })
  const emulator = await startEmulator({
    headless: 'alice',
    clients: [
      {
        clientId: 'bench',
        redirectUris: [`${ORIGIN}/auth/callback`],
        publicKey: await exportSPKI(keys.publicKey),
      },
    ],
    ...options,
  })
  const client = {
    issuer: emulator.issuer,
    clientId: 'bench',
    redirectUri: `${ORIGIN}/auth/callback`,
    scopes: ['openid', 'pockets.read'],
    privateKey: await exportPKCS8(keys.privateKey),
  }
  return { emulator, client }
}

/** Signs in through the handler; resolves to the session cookie header. */
export async function signIn(auth, emulator) {
  const login = await auth.handler(new Request(`${ORIGIN}/auth/login`))
  const txCookie = login.headers.getSetCookie()[0].split(';')[0]
  const callbackUrl = await emulator.signIn(login.headers.get('location'))
  const callback = await auth.handler(new Request(callbackUrl, { headers: { cookie: txCookie } }))
  const session = callback.headers.getSetCookie().find((c) => c.startsWith('jiko-session='))
  if (!session) throw new Error(`sign-in failed: ${callback.status}`)
  return session.split(';')[0]
}

export function createAuth(client, storage, extra = {}) {
  return createJikoAuth({ ...client, storage, secret: SECRET, ...extra })
}
