#!/usr/bin/env node
// `npx @jiko-auth/node keygen`: a key pair for Jiko (client assertions or API request signing).
import { parseArgs } from 'node:util'
import { toJikoAuthError } from '@jiko-auth/core'
import { generateKeyFiles, type KeyAlgorithm } from './generateKeyFiles.js'

const USAGE = `Usage: npx @jiko-auth/node keygen [--alg PS256|EdDSA|ES256] [--out <prefix>] [--force]

  --alg    PS256 (default) or EdDSA for client assertions (privateKey); ES256 or EdDSA for API request signing
  --out    where to write: <prefix>.key.pem (private, 0600), <prefix>.pub.pem, <prefix>.pub.jwk.json (default ./jiko)
  --force  replace files that exist`

const ALGORITHMS: KeyAlgorithm[] = ['PS256', 'EdDSA', 'ES256']

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      alg: { type: 'string', default: 'PS256' },
      out: { type: 'string', default: 'jiko' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help || positionals[0] !== 'keygen') {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  const alg = values.alg as KeyAlgorithm
  if (!ALGORITHMS.includes(alg)) {
    console.error(`--alg must be one of ${ALGORITHMS.join(', ')}`)
    return 2
  }
  const files = await generateKeyFiles({ alg, prefix: values.out, force: values.force })
  const use =
    alg === 'ES256'
      ? `apiSigning: { privateKey: <${files.privateKeyPath}>, keyId: '${files.kid}', alg: 'ecdsa-p256-sha256' }`
      : `privateKey: <${files.privateKeyPath}>, signingAlgorithm: '${alg}'`
  console.log(`Wrote ${files.privateKeyPath} (private, 0600: keep it secret, out of git)
      ${files.publicKeyPath} (paste it on Jiko's Settings page)
      ${files.jwkPath} (kid ${files.kid})

Then: ${use}`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const failure = toJikoAuthError(error)
    console.error(`${failure.message}${failure.hint ? `\n${failure.hint}` : ''}`)
    process.exitCode = 1
  },
)
