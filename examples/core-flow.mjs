// The whole Jiko flow with @jiko-auth/core's machine against the local emulator:
// login → consent (headless, as alice) → code exchange → two refreshes (rotated) → logout.
import { createDirectMachine, resolveConfig } from '@jiko-auth/core'
import { startEmulator } from '@jiko-auth/emulator'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { createActor, waitFor } from 'xstate'

const redirectUri = 'http://localhost:3000/auth/callback'
const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true })
const emulator = await startEmulator({
  clients: [{ clientId: 'example', redirectUris: [redirectUri], publicKey: await exportSPKI(publicKey) }],
})
console.log(`emulator: ${emulator.issuer}`)

const config = resolveConfig({
  issuer: emulator.issuer,
  revocationEndpoint: `${emulator.issuer}/api/oauth2/revoke`,
  clientId: 'example',
  redirectUri,
  scopes: ['openid', 'pockets.read'],
  privateKey: await exportPKCS8(privateKey),
})
const actor = createActor(createDirectMachine({ config }))
actor.subscribe((snapshot) => console.log(`state: ${snapshot.value}`))
actor.start()

actor.send({ type: 'LOGIN', returnTo: '/' })
const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))

// A browser would go through the emulator's login and consent pages; signIn() plays that part, as alice.
const url = await emulator.signIn(context.authorizationUrl, { user: 'alice' })
actor.send({ type: 'CALLBACK', url })
let snapshot = await waitFor(actor, (s) => s.matches('authenticated') || s.matches('error'))
if (snapshot.matches('error')) throw new Error(snapshot.context.error.message)
console.log(
  `signed in as ${snapshot.context.session.user?.sub} (a validated id_token), scope "${snapshot.context.session.scope}"`,
)

for (const round of [1, 2]) {
  const before = snapshot.context.session.tokens.refreshToken
  actor.send({ type: 'REFRESH' })
  snapshot = await waitFor(
    actor,
    (s) => s.matches('authenticated') && s.context.session.tokens.refreshToken !== before,
  )
  console.log(`refresh ${round}: refresh token rotated`)
}

const pockets = await fetch(`${emulator.issuer}/api/pockets`, {
  headers: { authorization: `Bearer ${snapshot.context.session.tokens.accessToken}` },
})
console.log(`pockets API: ${pockets.status}, ${(await pockets.json()).data.length} pockets`)

actor.send({ type: 'LOGOUT' })
console.log('grants seen by the emulator:', emulator.stats.grants)
actor.stop()
await emulator.stop()
