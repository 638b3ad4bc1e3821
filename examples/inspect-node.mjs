// The XState inspector on @jiko-auth/core's machine, in Node, with no network: a sign-in against the local emulator,
// inspected through @statelyai/inspect's WebSocket inspector with core's `redactForInspector` as serializer, into a local
// inspector server. A local receiver counts what arrives and checks that no secret is in it.
//   node examples/inspect-node.mjs          runs the flow, prints what the receiver saw, exits
//   node examples/inspect-node.mjs --keep   then keeps the server up: open its address to replay the events in
//                                           Stately's inspector (that page needs stately.ai)
import { createDirectMachine, resolveConfig } from '@jiko-auth/core'
import { redactForInspector } from '@jiko-auth/core/machine'
import { startEmulator } from '@jiko-auth/emulator'
import { createWebSocketInspector, createWebSocketReceiver } from '@statelyai/inspect'
import { createInspectorServer } from '@statelyai/inspect/server'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { createActor, waitFor } from 'xstate'

const port = Number(process.env.INSPECT_PORT ?? 8080)
const server = createInspectorServer({ port, autoOpen: false })
const received = []
createWebSocketReceiver({ server: `ws://localhost:${port}` }).subscribe((event) => received.push(event))
const inspector = createWebSocketInspector({ url: `ws://localhost:${port}`, serialize: redactForInspector })

const redirectUri = 'http://localhost:3000/auth/callback'
const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true })
const emulator = await startEmulator({
  clients: [{ clientId: 'example', redirectUris: [redirectUri], publicKey: await exportSPKI(publicKey) }],
})
const config = resolveConfig({
  issuer: emulator.issuer,
  clientId: 'example',
  redirectUri,
  scopes: ['openid', 'pockets.read'],
  privateKey: await exportPKCS8(privateKey),
})
const actor = createActor(createDirectMachine({ config }), { inspect: inspector.inspect })
actor.start()

actor.send({ type: 'LOGIN', returnTo: '/' })
const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
const callbackUrl = await emulator.signIn(context.authorizationUrl, { user: 'alice' })
actor.send({ type: 'CALLBACK', url: callbackUrl })
const { context: signedIn } = await waitFor(actor, (s) => s.matches('authenticated'))
actor.send({ type: 'LOGOUT' })

// What must never reach an inspector: the code, the PKCE verifier, the tokens.
const secrets = [
  new URL(callbackUrl).searchParams.get('code'),
  context.transaction.codeVerifier,
  signedIn.session.tokens.accessToken,
  signedIn.session.tokens.refreshToken,
]
// The inspector sends on idle callbacks: give the last events a moment to arrive.
let seen = -1
while (seen !== received.length) {
  seen = received.length
  await new Promise((resolve) => setTimeout(resolve, 300))
}
const text = JSON.stringify(received)
const kinds = [...new Set(received.map((event) => event.type))].join(', ')
console.log(`the local receiver got ${received.length} inspection events (${kinds})`)
const leaked = secrets.filter((secret) => secret && text.includes(secret)).length
console.log(
  leaked ? `${leaked} secrets reached the inspector` : 'no code, verifier or token among them: redacted',
)

actor.stop()
await emulator.stop()
if (process.argv.includes('--keep')) {
  console.log(`Open http://localhost:${port} to replay them in Stately's inspector; Ctrl-C stops.`)
} else {
  inspector.stop()
  server.stop()
  // The receiver keeps its socket open (it has no close()): leave without waiting for it.
  process.exit(leaked ? 1 : 0)
}
