#!/usr/bin/env node
// `pnpm demo`: starts everything, prints where to go, stops on Ctrl-C.
import { settingsFromEnv, startDemo } from './demo.mjs'

const settings = settingsFromEnv()
const demo = await startDemo(settings).catch((error) => {
  console.error(`The demo could not start: ${error.message}`)
  if (error.code === 'EADDRINUSE')
    console.error('A port is taken: set DEMO_PORT / DEMO_EMULATOR_PORT to free ones.')
  process.exit(1)
})

console.log(`
  jiko-auth demo
  ──────────────
  Open            ${demo.origin}
  Jiko emulator   ${demo.issuer}
  Sign in as      ${demo.users.map((u) => `${u.id} / ${u.password}`).join('   ')}
  Data            ${settings.dataDir}  (sessions survive restarts)

  The demo client's public key, as Jiko's Settings page asks for it:
${demo.publicKey.trim().replace(/^/gm, '    ')}

  Ctrl-C stops everything.
`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    demo.stop().then(() => process.exit(0))
  })
}
