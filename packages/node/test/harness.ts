import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenClient, type HttpAdapter, resolveConfig, type TokenClient } from '@jiko-auth/core'
import {
  type ClientRegistration,
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '@jiko-auth/emulator'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { createJikoAuth, type JikoAuth, type JikoAuthOptions, toNodeHandler } from '../src/index.js'

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!!'

/** A browser: one cookie jar per host, manual redirects, and every response kept for the secrets scan. */
export class Browser {
  readonly jar = new Map<string, Map<string, string>>()
  readonly seen: { url: string; status: number; headers: string; body: string }[] = []

  cookiesFor(url: string) {
    return this.jar.get(new URL(url).host) ?? new Map<string, string>()
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookies = this.cookiesFor(url)
    const headers = new Headers(init.headers)
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const expired = attributes.some((a) => /^\s*max-age=0$/i.test(a))
      if (expired) cookies.delete(name)
      else cookies.set(name, pair.slice(eq + 1))
    }
    this.jar.set(new URL(url).host, cookies)
    const body = await response.clone().text()
    const headerText = [...response.headers]
      .filter(([n]) => n !== 'set-cookie')
      .map(([n, v]) => `${n}: ${v}`)
      .join('\n')
    this.seen.push({ url, status: response.status, headers: headerText, body })
    return response
  }

  /** Follows redirects (app ↔ emulator) until a page that is not a redirect, or `stopAt` matches. */
  async navigate(
    url: string,
    stopAt?: (url: string) => boolean,
  ): Promise<{ response: Response; url: string }> {
    let current = url
    for (let hop = 0; hop < 20; hop++) {
      if (stopAt?.(current)) return { response: new Response(null), url: current }
      const response = await this.fetch(current)
      const location = response.headers.get('location')
      if (!location || response.status < 300 || response.status >= 400) return { response, url: current }
      current = new URL(location, current).href
    }
    throw new Error('too many redirects')
  }
}

export interface TestApp {
  auth: JikoAuth
  emulator: RunningEmulator
  origin: string
  logs: string[]
  /** Every secret that crossed the wire to the token endpoint: tokens, codes, verifiers, assertions. */
  secrets: Set<string>
  /** The refresh tokens the emulator issued, in order. */
  refreshTokens: string[]
  /** Every refresh token the app sent in a refresh_token grant, in order. */
  sentRefreshTokens: string[]
  /** Every client assertion the app sent, in order. */
  assertions: string[]
  /** Every authorization code the app exchanged. */
  codes: string[]
  /** Every token the app asked the revocation endpoint to revoke, in order. */
  revokedTokens: string[]
  /** The client part of the app's configuration (issuer, client id, key, …), for other processes of the app. */
  client: Omit<JikoAuthOptions, 'storage' | 'secret'>
  /** A token client with the app's own configuration, to check from outside what the emulator accepts. */
  tokenClient: TokenClient
  storage: ReturnType<typeof memoryStorage>
  /** Stops the emulator and starts it again on the same port (its state survives only with `persistFile`). */
  restartEmulator(): Promise<void>
  stop(): Promise<void>
}

/** The app on a real node:http server, the emulator on another port, a logger that keeps every line. */
export async function startApp(
  overrides: Partial<JikoAuthOptions> & {
    algorithm?: 'PS256' | 'EdDSA'
    headless?: string | false
    emulator?: Partial<EmulatorOptions>
    /** More of the client's registration at the emulator (e.g. postLogoutRedirectUris). */
    registration?: Partial<ClientRegistration>
  } = {},
): Promise<TestApp> {
  const {
    algorithm = 'PS256',
    headless = 'alice',
    emulator: emulatorOverrides = {},
    registration = {},
    ...authOverrides
  } = overrides
  let handle: ReturnType<typeof toNodeHandler> = async (_req, res) => {
    res.writeHead(503).end()
  }
  const server: Server = createServer((req, res) => {
    handle(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`
  const keys = await generateKeyPair(algorithm, { extractable: true })
  const emulatorOptions: EmulatorOptions = {
    headless,
    clients: [
      {
        clientId: 'app',
        redirectUris: [`${origin}/auth/callback`],
        publicKey: await exportSPKI(keys.publicKey),
        algorithm,
        ...registration,
      },
    ],
    ...emulatorOverrides,
  }
  let emulator = await startEmulator(emulatorOptions)
  const logs: string[] = []
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    logs.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`)
  }
  const secrets = new Set<string>()
  const refreshTokens: string[] = []
  const assertions: string[] = []
  const sentRefreshTokens: string[] = []
  const codes: string[] = []
  const revokedTokens: string[] = []
  const recordingFetch: HttpAdapter = async (url, init) => {
    const form = new URLSearchParams(init.body)
    if (url.endsWith('/revoke')) revokedTokens.push(form.get('token') ?? '')
    assertions.push(form.get('client_assertion') ?? '')
    if (form.get('grant_type') === 'refresh_token') sentRefreshTokens.push(form.get('refresh_token') ?? '')
    if (form.get('code')) codes.push(form.get('code') as string)
    for (const name of ['code', 'code_verifier', 'client_assertion', 'refresh_token', 'token']) {
      const value = form.get(name)
      if (value) secrets.add(value)
    }
    const response = await fetch(url, init)
    const text = await response.clone().text()
    try {
      const json = JSON.parse(text) as Record<string, unknown>
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        if (typeof json[name] === 'string') secrets.add(json[name] as string)
      }
      if (typeof json.refresh_token === 'string') refreshTokens.push(json.refresh_token)
    } catch {}
    return response
  }
  const storage = memoryStorage()
  const client = {
    issuer: emulator.issuer,
    revocationEndpoint: `${emulator.issuer}/api/oauth2/revoke`,
    clientId: 'app',
    redirectUri: `${origin}/auth/callback`,
    scopes: ['openid', 'pockets.read'],
    privateKey: await exportPKCS8(keys.privateKey),
    signingAlgorithm: algorithm,
  }
  const auth = createJikoAuth({
    ...client,
    storage,
    secret: SECRET,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    http: { http: recordingFetch },
    ...authOverrides,
  })
  handle = toNodeHandler(auth)
  const app: TestApp = {
    auth,
    emulator,
    origin,
    logs,
    secrets,
    refreshTokens,
    assertions,
    sentRefreshTokens,
    codes,
    revokedTokens,
    client,
    tokenClient: createTokenClient(resolveConfig(client)),
    storage,
    async restartEmulator() {
      await emulator.stop()
      emulator = await startEmulator({ ...emulatorOptions, port: Number(new URL(emulator.issuer).port) })
      app.emulator = emulator
    },
    async stop() {
      await emulator.stop()
      storage.close?.()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
  return app
}

/** Signs the browser in (headless emulator) and returns where the app sent it back to. */
export async function signIn(app: TestApp, browser: Browser, returnTo = '/') {
  const { url } = await browser.navigate(
    `${app.origin}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
    (u) => u.startsWith(app.origin) && !u.includes('/auth/'),
  )
  return url
}

/** A Request carrying the browser's cookies for the app, as the app's own routes would receive it. */
/** A POST from one of the app's own pages to an auth route (what the React provider sends). */
export function postFromPage(app: TestApp, browser: Browser, route: 'refresh' | 'logout'): Promise<Response> {
  return browser.fetch(`${app.origin}/auth/${route}`, { method: 'POST', headers: { origin: app.origin } })
}

export function requestFrom(app: TestApp, browser: Browser, path = '/api/anything'): Request {
  const cookies = browser.cookiesFor(app.origin)
  return new Request(`${app.origin}${path}`, {
    headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  })
}

/** A response's JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
export const bodyOf = async (response: Response): Promise<any> => response.json()

/** Options for an app on https with no server behind it: for tests that only call the handler in-process. */
export async function httpsOptions(): Promise<JikoAuthOptions> {
  const { privateKey } = await generateKeyPair('PS256', { extractable: true })
  return {
    issuer: 'https://auth.jiko.test',
    clientId: 'app',
    redirectUri: 'https://app.example/auth/callback',
    scopes: ['pockets.read'],
    privateKey: await exportPKCS8(privateKey),
    // No server behind this issuer: Jiko's documented endpoints, not discovered ones.
    discovery: false,
    storage: memoryStorage(),
    secret: SECRET,
  }
}
