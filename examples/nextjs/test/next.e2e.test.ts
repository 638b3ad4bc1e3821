// The example as it ships: a real `next build` (with no JIKO_* variable), a real `next start` against the emulator,
// and a browser-like client (cookie jar, manual redirects) through proxy.ts, the route handlers, a Server Component
// and a Server Action.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RunningEmulator, startEmulator } from '@jiko-auth/emulator'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const appDir = fileURLToPath(new URL('..', import.meta.url))
const nextBin = join(appDir, 'node_modules/next/dist/bin/next')

/** The environment without any JIKO_* variable: what `next build` sees in a CI or Docker build. */
function envWithoutJiko(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
  for (const name of Object.keys(env)) if (name.startsWith('JIKO_') || name === 'APP_ORIGIN') delete env[name]
  return env
}

/** `next <args>` in its own process group (so that stopping it stops its workers), its output kept. */
function next(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [nextBin, ...args], {
    cwd: appDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })

async function stop(child: ChildProcess | undefined) {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
  process.kill(-child.pid, 'SIGTERM')
  const killer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 5000)
  await exited(child)
  clearTimeout(killer)
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A browser without JavaScript: one cookie jar per host, redirects followed by hand. */
class Browser {
  private readonly jar = new Map<string, Map<string, string>>()

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).host
    const cookies = this.jar.get(host) ?? new Map<string, string>()
    const headers = new Headers(init.headers)
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      if (attributes.some((a) => /^\s*max-age=0$/i.test(a))) cookies.delete(name)
      else cookies.set(name, pair.slice(eq + 1))
    }
    this.jar.set(host, cookies)
    return response
  }

  /** Follows redirects (app ↔ emulator) to the first answer that is not one; resolves to it and its URL. */
  async navigate(url: string): Promise<{ response: Response; url: string }> {
    let current = url
    for (let hop = 0; hop < 10; hop++) {
      const response = await this.fetch(current)
      const location = response.headers.get('location')
      if (!location || response.status < 300 || response.status >= 400) return { response, url: current }
      current = new URL(location, current).href
    }
    throw new Error(`too many redirects from ${url}`)
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'jiko-nextjs-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

it('`next build` succeeds with no JIKO_* variable set: the settings are read on first use', async () => {
  const databaseBefore = existsSync(join(appDir, '.data/sessions.db'))
  const build = next(['build'], envWithoutJiko())
  const code = await exited(build.child)
  expect(code, build.output()).toBe(0)
  expect(build.output()).toMatch(/Proxy/)
  // The session store is opened on first use: the build created no database.
  if (!databaseBefore) expect(existsSync(join(appDir, '.data/sessions.db'))).toBe(false)
}, 240_000)

describe('`next start` against the emulator', () => {
  let emulator: RunningEmulator
  let server: ReturnType<typeof next> | undefined
  let origin: string
  const browser = new Browser()

  /**
   * Starts the emulator and `next start` on a free port. The port is free when probed, but another test's server
   * may take it before Next binds it: only an answer from Next itself (its `x-powered-by`) counts, and a port
   * taken meanwhile is given up for another.
   */
  async function start(): Promise<boolean> {
    const port = await freePort()
    origin = `http://localhost:${port}`
    const keys = await generateKeyPair('PS256', { extractable: true })
    emulator = await startEmulator({
      headless: 'alice',
      clients: [
        {
          clientId: 'nextjs-example',
          redirectUris: [`${origin}/auth/callback`],
          publicKey: await exportSPKI(keys.publicKey),
        },
      ],
    })
    server = next(['start', '-p', String(port), '-H', '127.0.0.1'], {
      ...envWithoutJiko(),
      APP_ORIGIN: origin,
      JIKO_ISSUER: emulator.issuer,
      JIKO_CLIENT_ID: 'nextjs-example',
      JIKO_REDIRECT_URI: `${origin}/auth/callback`,
      JIKO_PRIVATE_KEY: await exportPKCS8(keys.privateKey),
      JIKO_AUTH_SECRET: randomBytes(48).toString('base64url'),
      JIKO_SQLITE_PATH: join(dataDir, 'sessions.db'),
    })
    const deadline = Date.now() + 60_000
    for (;;) {
      const { child, output } = server
      if (child.exitCode !== null) {
        if (/EADDRINUSE/.test(output())) return false
        throw new Error(`next start exited:\n${output()}`)
      }
      if (Date.now() > deadline) throw new Error(`next start did not answer:\n${output()}`)
      const poweredBy = await fetch(`${origin}/favicon.ico`).then(
        (response) => response.headers.get('x-powered-by'),
        () => undefined,
      )
      if (poweredBy === 'Next.js') return true
      // Another server answers on this port: Next could not have it.
      if (poweredBy !== undefined && /EADDRINUSE/.test(output())) return false
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  beforeAll(async () => {
    for (let attempt = 1; !(await start()); attempt++) {
      await stop(server?.child)
      await emulator.stop()
      if (attempt === 3) throw new Error('three free ports were taken before next start could bind them')
    }
  })

  // A failing step shows what the server logged.
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') console.log(`next start output:\n${server?.output()}`)
  })

  afterAll(async () => {
    await stop(server?.child)
    await emulator?.stop()
  })

  it('proxy.ts sends a signed-out visitor of /account to the login route, to come back there', async () => {
    const response = await browser.fetch(`${origin}/account`)
    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('location') ?? '', origin)
    expect(`${location.pathname}${location.search}`).toBe('/auth/login?returnTo=%2Faccount')
  })

  it('the home page (a Server Component) says "Signed out" and links to the login', async () => {
    const html = await (await browser.fetch(`${origin}/`)).text()
    expect(html).toContain('Signed out')
    expect(html).toContain('href="/auth/login?returnTo=/account"')
  })

  it('signs in through the emulator and lands on /account, which shows the user', async () => {
    const { response, url } = await browser.navigate(`${origin}/account`)
    expect(url).toBe(`${origin}/account`)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('Account of Alice Martin')
    expect(emulator.stats.grants.authorization_code).toBe(1)
  })

  it('the home page (a Server Component) shows who is signed in', async () => {
    const html = await (await browser.fetch(`${origin}/`)).text()
    expect(html).toContain('Signed in as Alice Martin')
  })

  it('the Server Action reads the session and answers the user’s subject', async () => {
    const manifest = JSON.parse(
      readFileSync(join(appDir, '.next/server/server-reference-manifest.json'), 'utf8'),
    ) as { node: Record<string, { exportedName?: string }> }
    const actionId = Object.keys(manifest.node).find((id) => manifest.node[id]?.exportedName === 'whoAmI')
    expect(actionId).toBeDefined()
    // What React's client sends for `whoAmI()`: a POST to the page with the action's id.
    const response = await browser.fetch(`${origin}/account`, {
      method: 'POST',
      headers: {
        origin,
        accept: 'text/x-component',
        'next-action': actionId as string,
        'content-type': 'text/plain;charset=UTF-8',
      },
      body: '[]',
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('"sub: alice"')
  })

  it('POST /auth/logout from the app signs out: / says "Signed out", /account goes to the login again', async () => {
    // (Node's fetch sets Sec-Fetch-Mode itself, so this is the script's logout, answered 200, not the form's 303.)
    const logout = await browser.fetch(`${origin}/auth/logout`, { method: 'POST', headers: { origin } })
    expect(logout.status).toBe(200)
    expect(await (await browser.fetch(`${origin}/`)).text()).toContain('Signed out')
    expect((await browser.fetch(`${origin}/account`)).status).toBe(303)
  })
})
