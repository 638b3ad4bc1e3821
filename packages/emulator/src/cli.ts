#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { algorithmOf } from './importApiKeys.js'
import type { ApiPublicKey, ClientRegistration, GrantType } from './registerClient.js'
import type { EmulatorOptions, RunningEmulator } from './startEmulator.js'
import { startEmulator } from './startEmulator.js'
import { DEFAULT_USERS } from './users.js'

const USAGE = `Usage: jiko-emulator [options]

  --port <n>              port to listen on (default 4000; 0 = any free port)
  --host <addr>           interface (default 127.0.0.1)
  --issuer <url>          issuer URL (default http://{host}:{port})
  --client-id <id>        register a client (with --redirect-uri and --public-key)
  --redirect-uri <url>    the client's redirect URI (repeatable; not needed by a client_credentials-only client)
  --public-key <file>     the client's public key, PEM ("BEGIN PUBLIC KEY")
  --algorithm <alg>       PS256 (default) or EdDSA
  --grant-type <grant>    authorization_code, refresh_token or client_credentials (repeatable; default
                          authorization_code + refresh_token)
  --api-public-key <file> the client's API signing key, PEM (Ed25519 or EC P-256): its API requests must then
                          carry an RFC 9421 signature by it
  --api-key-id <id>       the keyid of those signatures (required with --api-public-key)
  --api-alg <alg>         ed25519 or ecdsa-p256-sha256 (default: from the key)
  --headless <user>       approve every login as this user, without pages
  --persist <file>        keep grants and tokens in this JSON file across restarts
  --config <file>         a JSON file with { clients, users, headless, ... } (flags override it)
  --help                  this text`

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'public-key': { type: 'string' },
      algorithm: { type: 'string' },
      'grant-type': { type: 'string', multiple: true },
      'api-public-key': { type: 'string' },
      'api-key-id': { type: 'string' },
      'api-alg': { type: 'string' },
      headless: { type: 'string' },
      persist: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const fromFile: Partial<EmulatorOptions> = values.config
    ? JSON.parse(readFileSync(values.config, 'utf8'))
    : {}
  const clients = [...(fromFile.clients ?? [])]
  if (values['client-id']) {
    const grantTypes = grantTypesFromFlags(values['grant-type'])
    const codeFlow = grantTypes === undefined || grantTypes.includes('authorization_code')
    if (!values['public-key'] || (codeFlow && !values['redirect-uri']?.length)) {
      throw new Error(
        '--client-id needs --public-key, and --redirect-uri unless --grant-type client_credentials (see --help)',
      )
    }
    const algorithm = values.algorithm ?? 'PS256'
    if (algorithm !== 'PS256' && algorithm !== 'EdDSA') throw new Error('--algorithm must be PS256 or EdDSA')
    clients.push({
      clientId: values['client-id'],
      ...(values['redirect-uri']?.length ? { redirectUris: values['redirect-uri'] } : {}),
      ...(grantTypes ? { grantTypes } : {}),
      publicKey: readFileSync(values['public-key'], 'utf8'),
      algorithm,
      ...(values['api-public-key'] ? { apiPublicKey: apiKeyFromFlags(values) } : {}),
    })
  } else if (values['api-public-key'] || values['grant-type']) {
    throw new Error('--api-public-key and --grant-type belong to a client: add --client-id (see --help)')
  }
  if (clients.length === 0)
    throw new Error('register at least one client: --client-id … or --config (see --help)')
  const options: EmulatorOptions = { ...fromFile, clients, port: Number(values.port) }
  if (values.host) options.host = values.host
  if (values.issuer) options.issuer = values.issuer
  if (values.headless) options.headless = values.headless
  if (values.persist) options.persistFile = values.persist
  // The handlers come first: a signal that arrives as soon as the summary is out (or while starting) must stop the
  // server cleanly, not kill the process. Kept for every signal: a second Ctrl-C while stopping changes nothing.
  let emulator: RunningEmulator | undefined
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    Promise.resolve(emulator?.stop()).then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  emulator = await startEmulator(options)
  const users = options.users ?? DEFAULT_USERS
  console.log(`Jiko emulator listening
  issuer     ${emulator.issuer}
  discovery  ${emulator.issuer}/.well-known/openid-configuration
  token      ${emulator.tokenEndpoint}
  pockets    ${emulator.issuer}/api/pockets
  clients    ${clients.map(describeClient).join(', ')}
  users      ${users.map((u) => `${u.id} / ${u.password}`).join(', ')}${options.headless ? `\n  headless   approving as ${options.headless}` : ''}`)
}

function grantTypesFromFlags(flags: string[] | undefined): GrantType[] | undefined {
  const known: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials']
  const unknown = flags?.find((grant) => !known.includes(grant))
  if (unknown !== undefined)
    throw new Error(`--grant-type must be one of ${known.join(', ')}, not "${unknown}"`)
  return flags?.length ? (flags as GrantType[]) : undefined
}

function apiKeyFromFlags(values: {
  'api-public-key'?: string
  'api-key-id'?: string
  'api-alg'?: string
}): ApiPublicKey {
  const key = readFileSync(values['api-public-key'] as string, 'utf8')
  const keyId = values['api-key-id']
  if (!keyId) throw new Error('--api-public-key needs --api-key-id, the keyid its signatures carry')
  const alg = values['api-alg'] ?? algorithmOf(key)
  if (alg !== 'ed25519' && alg !== 'ecdsa-p256-sha256') {
    throw new Error('--api-alg must be ed25519 or ecdsa-p256-sha256 (the API key is Ed25519 or EC P-256)')
  }
  return { keyId, key, alg }
}

function describeClient(client: ClientRegistration): string {
  const registered = client.apiPublicKey
  const apiKeys = registered === undefined ? [] : Array.isArray(registered) ? registered : [registered]
  const signing = apiKeys.map((k) => `, API key ${k.keyId} ${k.alg}`).join('')
  const grants = client.grantTypes ? `, ${client.grantTypes.join(' + ')}` : ''
  return `${client.clientId} (${client.algorithm ?? 'PS256'}${grants}${signing})`
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`jiko-emulator: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
