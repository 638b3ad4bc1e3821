// The demo in a real browser: Debian's chromium driven by playwright-core, the real emulator pages, SQLite sessions.
// Looked at as a user would: screenshots at 1280×800 and 390×844, both diagrams' drawn boxes measured (no label on
// another label or on a state, none under 12 px), an axe-core scan of each screen, no console error. The server's
// machine is streamed to each browser for its own requests only, and the stream carries no secret.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@jiko-auth/storage-contract'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const startScript = fileURLToPath(new URL('../server/start.mjs', import.meta.url))
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const docs = fileURLToPath(new URL('../docs/', import.meta.url))
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const STATELY = 'https://stately.ai/'

const SIZES = {
  wide: { width: 1280, height: 800 },
  narrow: { width: 390, height: 844 },
} as const
const SIDES = ['browser', 'server'] as const
type Side = (typeof SIDES)[number]

function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error(
      'No chromium for the browser test: install it with `apt-get install -y chromium` (scripts/setup.sh does)',
    )
  }
}

let demo: ChildProcess | undefined
let env: Record<string, string>
let origin: string
let context: BrowserContext
let page: Page
const consoleErrors: string[] = []
/** The first browser's server-machine stream, as sent, from its first page load on. */
let aliceStream: StreamCapture | undefined
/** What a secret looks like where the browser saw it: the callback's code and state. */
const callbackSecrets: string[] = []

/** A Chromium of its own (its own profile: its own cookies), as a second person would have. */
function launchBrowser() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'jiko-chromium-')), {
    executablePath: chromiumPath(),
    headless: true,
    viewport: SIZES.wide,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

interface StreamCapture {
  /** Everything received so far, as sent. */
  text(): string
  stop(): Promise<void>
}

/**
 * Reads `GET /api/demo/server-machine` as the browser of `browserContext` would (its cookies), keeping the raw text:
 * what goes over the wire, not what the page makes of it.
 */
async function captureStream(browserContext: BrowserContext): Promise<StreamCapture> {
  const cookie = (await browserContext.cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ')
  const controller = new AbortController()
  const response = await fetch(`${origin}/api/demo/server-machine`, {
    headers: { cookie },
    signal: controller.signal,
  })
  expect(response.headers.get('content-type')).toContain('text/event-stream')
  let text = ''
  const decoder = new TextDecoder()
  const reading = (async () => {
    try {
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      for (let read = await reader.read(); !read.done; read = await reader.read())
        text += decoder.decode(read.value, { stream: true })
    } catch {
      // Aborted by stop(), or the server stopped.
    }
  })()
  return {
    text: () => text,
    async stop() {
      controller.abort()
      await reading
    },
  }
}

/**
 * Takes out the one console error a refused sign-in makes: the server answers the page's POST of the callback with
 * 400 (access_denied), and Chrome logs every 4xx. Anything else stays for the last test to report.
 */
function expectRefusedCallbackError() {
  const index = consoleErrors.findIndex((text) => /status of 400 .*\/auth\/callback\)$/.test(text))
  expect(index, consoleErrors.join('\n')).toBeGreaterThanOrEqual(0)
  consoleErrors.splice(index, 1)
}

async function startDemo() {
  const child = spawn(process.execPath, [startScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  // The server's log, for when a test fails: test-artifacts/demo.log.
  const log = createWriteStream(join(artifacts, 'demo.log'), { flags: 'a' })
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk
      log.write(chunk)
    })
  }
  child.once('exit', () => log.end())
  const started = Date.now()
  while (!output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null || Date.now() - started > 20_000)
      throw new Error(`the demo did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  demo = child
  return output
}

async function stopDemo() {
  const child = demo
  if (!child || child.exitCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

const machineState = () => page.getByTestId('state')
const timelineStates = async () =>
  page
    .locator('[data-testid=timeline] li')
    .evaluateAll((items) => items.map((li) => li.getAttribute('data-state')))
/** One of the two machines' cards: its diagram, its last step (and the server's steps). */
const machine = (side: Side, on = page) => on.getByTestId(`${side}-machine`)
/** The server's steps as the page lists them, newest first: `EVENT → state`. */
const serverSteps = async (on = page) =>
  on
    .locator('[data-testid=server-timeline] li')
    .evaluateAll((items) =>
      items.map((li) => `${li.getAttribute('data-event')} → ${li.getAttribute('data-state')}`),
    )
/** The state the server's diagram has filled. */
const serverState = (on = page) =>
  machine('server', on).locator('.diagram [aria-current=true]').getAttribute('data-state')
/** An SVG text as drawn: without its tooltip (<title>). */
const shownText = (el: Element) =>
  [...el.childNodes]
    .filter((node) => node.nodeType === Node.TEXT_NODE)
    .map((node) => node.textContent)
    .join('')

/** The timeline's first line (the newest step), in words. */
const newestStep = () => page.locator('[data-testid=timeline] li').first().locator('.words').textContent()

interface Box {
  name: string
  left: number
  top: number
  right: number
  bottom: number
  fontPx?: number
}

/** A diagram as drawn: the box of every label line, label background, state and state name, in screen pixels. */
async function diagramBoxes(side: Side) {
  return page.evaluate((side) => {
    const svg = document.querySelector(`[data-machine=${side}] svg.diagram`) as SVGSVGElement
    const scale = svg.getScreenCTM()?.a ?? 1
    const boxes = (selector: string, name: (el: Element) => string) =>
      [...svg.querySelectorAll(selector)].map((el) => {
        const { left, top, right, bottom } = el.getBoundingClientRect()
        const fontPx = Number.parseFloat(getComputedStyle(el).fontSize) * scale
        return { name: name(el), left, top, right, bottom, fontPx }
      })
    const edgeOf = (el: Element) => el.closest('[data-edge]')?.getAttribute('data-edge') ?? '?'
    const stateOf = (el: Element) => el.closest('[data-state]')?.getAttribute('data-state') ?? '?'
    return {
      lines: boxes('.edge-label text', (el) => `${edgeOf(el)} “${el.lastChild?.textContent}”`),
      labels: boxes('.edge-label rect', edgeOf),
      nodes: boxes('.node rect', stateOf),
      names: boxes('.node text', stateOf),
    }
  }, side)
}

const overlap = (a: Box, b: Box) =>
  a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5
const inside = (inner: Box, outer: Box) =>
  inner.left >= outer.left - 0.5 &&
  inner.right <= outer.right + 0.5 &&
  inner.top >= outer.top - 0.5 &&
  inner.bottom <= outer.bottom + 0.5

/** What a reader would trip on in a diagram, in words: an empty list when it reads well. */
async function diagramProblems(side: Side): Promise<string[]> {
  const { lines, labels, nodes, names } = await diagramBoxes(side)
  const problems: string[] = []
  if (lines.length < 15 || nodes.length !== 7)
    problems.push(`drew ${lines.length} labels, ${nodes.length} states`)
  for (const text of [...lines, ...names]) {
    if ((text.fontPx ?? 0) < 12) problems.push(`${text.name} is drawn at ${text.fontPx} px`)
  }
  const all = [
    ...lines.map((line) => ({ ...line, kind: 'label' })),
    ...names.map((n) => ({ ...n, kind: 'state' })),
  ]
  for (const [i, a] of all.entries()) {
    for (const b of all.slice(i + 1)) if (overlap(a, b)) problems.push(`${a.name} overlaps ${b.name}`)
  }
  for (const [i, a] of labels.entries()) {
    for (const b of labels.slice(i + 1))
      if (overlap(a, b)) problems.push(`label ${a.name} overlaps label ${b.name}`)
    for (const node of nodes)
      if (overlap(a, node)) problems.push(`label ${a.name} overlaps state ${node.name}`)
  }
  for (const [i, a] of nodes.entries()) {
    for (const b of nodes.slice(i + 1)) if (overlap(a, b)) problems.push(`state ${a.name} overlaps ${b.name}`)
  }
  // Each text within its own shape: no name overflowing its pill, no label line past its background.
  for (const name of names) {
    const node = nodes.find((n) => n.name === name.name)
    if (!node || !inside(name, node)) problems.push(`“${name.name}” overflows its state`)
  }
  for (const line of lines) {
    const label = labels.find((l) => line.name.startsWith(`${l.name} `))
    if (!label || !inside(line, label)) problems.push(`${line.name} overflows its label`)
  }
  return problems
}

/** axe-core's serious and critical findings on the page as it is. */
async function accessibilityProblems(): Promise<string[]> {
  await page.addScriptTag({ path: axeSource })
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: Document) => Promise<{ violations: unknown[] }> } }
    ).axe
    const result = await axe.run(document)
    return result.violations as Array<{
      id: string
      impact: string
      help: string
      nodes: Array<{ target: string[] }>
    }>
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
}

/**
 * Screenshots at both sizes, with both diagrams measured and axe's scan at each: side by side on the wide screen,
 * one tab after the other on the narrow one.
 */
async function lookAt(screen: string) {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport)
    await page.evaluate(() => document.fonts.ready)
    const tabs = size === 'narrow'
    await expect.poll(() => page.getByRole('tablist', { name: 'Machine shown' }).isVisible()).toBe(tabs)
    for (const side of tabs ? SIDES : [undefined]) {
      if (side) await page.getByRole('tab', { name: side === 'browser' ? 'Browser' : 'Server' }).click()
      for (const other of SIDES)
        await expect.poll(() => machine(other).isVisible()).toBe(!side || side === other)
      const name = `${screen}-${size}${side === 'server' ? '-server' : ''}`
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
      if (process.env.UPDATE_DOCS_SCREENSHOT && screen === '2-signed-in' && size === 'wide') {
        await page.screenshot({ path: join(docs, 'demo.png'), fullPage: true })
      }
      for (const measured of side ? [side] : SIDES) {
        expect(await diagramProblems(measured), `${screen} at ${size}, ${measured}`).toEqual([])
      }
      expect(await accessibilityProblems(), `${screen} at ${name}`).toEqual([])
    }
    if (tabs) await page.getByRole('tab', { name: 'Browser' }).click()
  }
  await page.setViewportSize(SIZES.wide)
}

async function signInThroughJiko(decision: 'Approve' | 'Deny', user = 'alice', on = page) {
  const page = on
  await page.getByRole('button', { name: 'Sign in with Jiko' }).click()
  // Jiko asks who you are, unless it still has a session (after a denial, say): then straight to consent.
  const form = page.getByLabel('User')
  const consent = page.getByRole('list', { name: 'Requested scopes' })
  await expect.poll(async () => (await form.isVisible()) || (await consent.isVisible())).toBe(true)
  if (await form.isVisible()) {
    await form.fill(user)
    await page.getByLabel('Password').fill(`${user}-password`)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await expect
    .poll(() => page.getByRole('list', { name: 'Requested scopes' }).textContent())
    .toContain('pockets.read')
  await page.getByRole('button', { name: decision }).click()
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  rmSync(join(artifacts, 'demo.log'), { force: true })
  mkdirSync(docs, { recursive: true })
  const [port, emulatorPort] = [await freePort(), await freePort()]
  env = {
    DEMO_PORT: String(port),
    DEMO_EMULATOR_PORT: String(emulatorPort),
    DEMO_DATA_DIR: mkdtempSync(join(tmpdir(), 'jiko-demo-')),
  }
  origin = `http://localhost:${port}`
  const banner = await startDemo()
  if (!banner.includes('BEGIN PUBLIC KEY') || !banner.includes('alice / alice-password')) {
    throw new Error(`the banner lacks the public key or the credentials:\n${banner}`)
  }
  context = await launchBrowser()
  // Whatever network this machine has, Stately's inspector is unreachable until a test says otherwise.
  await context.route(`${STATELY}**`, (route) => route.abort('internetdisconnected'))
  context.on('console', (message) => {
    if (message.type() !== 'error') return
    const where = message.location().url
    // The reachability check of stately.ai fails on purpose in the offline test.
    if (where.startsWith(STATELY) || message.text().includes(STATELY)) return
    consoleErrors.push(`${message.text()} (${where})`)
  })
  context.on('weberror', (error) => consoleErrors.push(error.error().message))
  page = context.pages()[0] ?? (await context.newPage())
  // The callback's code and state as the browser sees them, for the check that the server's stream has neither.
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin !== origin) return
    for (const name of ['code', 'state']) {
      const value = url.searchParams.get(name)
      if (value) callbackSecrets.push(value)
    }
  })
})

afterAll(async () => {
  await aliceStream?.stop()
  await context?.close()
  await stopDemo()
})

describe('the demo in chromium', () => {
  it('signed out: the diagram reads well at both sizes, and passes axe', async () => {
    await page.goto(origin)
    await expect.poll(() => machineState().textContent()).toBe('idle')
    await expect.poll(() => newestStep()).toBe('page loaded')
    // Signed out, the server holds nothing for this browser yet.
    await expect.poll(() => serverState()).toBe('idle')
    await expect.poll(() => page.getByTestId('server-live').textContent()).toBe('live')
    expect(await serverSteps()).toEqual([])
    aliceStream = await captureStream(context)
    await lookAt('1-signed-out')
  })

  it('signs in through the real pages and draws every state of the flow', async () => {
    await signInThroughJiko('Approve')
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
    await expect.poll(() => page.getByTestId('subject').textContent()).toBe('alice')
    // Who signed in, from the id_token the server validated.
    await expect.poll(() => page.getByTestId('user-name').textContent()).toBe('Alice Martin')
    await expect.poll(() => page.getByRole('table', { name: 'Your pockets' }).textContent()).toContain('Main')
    // The server's call to the pockets API was signed (RFC 9421), and the emulator checked the signature.
    await expect
      .poll(() => page.getByTestId('signed-request').textContent())
      .toContain(
        'signed request ✓ (ecdsa-p256-sha256, covering @method @authority @target-uri authorization)',
      )
    // Scopes as granted, and why they are fewer than asked.
    expect(await page.getByTestId('granted-scopes').textContent()).toBe('pockets.read')
    await expect
      .poll(() => page.getByTestId('scopes-note').textContent())
      .toContain('“openid” and “profile” are identity scopes')
    const browser = machine('browser')
    expect(await browser.locator('.diagram [data-state=authenticated]').getAttribute('aria-current')).toBe(
      'true',
    )
    // The transition just taken, edge and event, highlighted, with its name and time.
    expect(await browser.locator('.diagram .edge.taken').getAttribute('data-edge')).toBe(
      'exchanging→authenticated',
    )
    expect(await browser.locator('.diagram .label.taken').evaluate(shownText)).toBe('done')
    expect(await browser.getByTestId('last-step').textContent()).toMatch(
      /^Last step: exchanging → authenticated on done at \d/,
    )
    // The server's machine, as @jiko-auth/node stepped it for this browser's requests: the login before Jiko's pages
    // (replayed to the page when it came back), then the callback.
    const server = machine('server')
    await expect.poll(() => serverState()).toBe('authenticated')
    await expect
      .poll(() => serverSteps())
      .toEqual([
        'done → authenticated',
        'CALLBACK → exchanging',
        'done → awaitingCallback',
        'LOGIN → redirecting',
      ])
    expect(await server.locator('.diagram .edge.taken').getAttribute('data-edge')).toBe(
      'exchanging→authenticated',
    )
    expect(await server.getByTestId('last-step').textContent()).toMatch(
      /^Last step: exchanging → authenticated on done at \d/,
    )
    expect(await server.locator('[data-testid=server-timeline] li .words').allTextContents()).toEqual([
      'tokens received, kept encrypted in the session — signed in',
      'the callback from Jiko — checked, then its code exchanged at the token endpoint',
      'authorization URL ready — the browser goes to Jiko, the server keeps the transaction',
      'GET /auth/login — a new sign-in: PKCE verifier, state and nonce made',
    ])
    expect(page.url()).toBe(`${origin}/`)
    // Newest first, in plain words.
    const states = await timelineStates()
    expect(states.slice(0, 5)).toEqual([
      'authenticated',
      'exchanging',
      'awaitingCallback',
      'redirecting',
      'idle',
    ])
    expect(await page.locator('[data-testid=timeline] li .words').allTextContents()).toEqual(
      expect.arrayContaining([
        'signed in',
        'back from Jiko — the server exchanges the code for tokens',
        'back from Jiko — finishing the sign-in',
        'sign-in started — off to Jiko’s sign-in page',
        'page loaded',
      ]),
    )
    await lookAt('2-signed-in')
  })

  it('Refresh now passes through refreshing and comes back authenticated', async () => {
    const before = (await timelineStates()).filter((s) => s === 'refreshing').length
    await page.getByRole('button', { name: 'Refresh now' }).click()
    await expect
      .poll(async () => (await timelineStates()).filter((s) => s === 'refreshing').length)
      .toBe(before + 1)
    await expect.poll(() => machineState().textContent()).toBe('authenticated')
    await expect.poll(() => newestStep()).toBe('token refreshed')
    expect(await machine('browser').locator('.diagram .edge.taken').getAttribute('data-edge')).toBe(
      'refreshing→authenticated',
    )
    // The server took the refresh too: refreshing, then authenticated with the rotated tokens.
    await expect
      .poll(async () => (await serverSteps()).slice(0, 2))
      .toEqual(['done → authenticated', 'REFRESH → refreshing'])
    expect(await serverState()).toBe('authenticated')
    expect(await machine('server').locator('.diagram .edge.taken').getAttribute('data-edge')).toBe(
      'refreshing→authenticated',
    )
    await page.screenshot({ path: join(artifacts, '3-refreshed.png'), fullPage: true })
  })

  it('a second browser, another user, never receives the first browser’s server steps', async () => {
    const other = await launchBrowser()
    try {
      const bobPage = other.pages()[0] ?? (await other.newPage())
      await bobPage.goto(origin)
      await expect.poll(() => serverState(bobPage)).toBe('idle')
      const bobStream = await captureStream(other)
      try {
        await signInThroughJiko('Approve', 'bob', bobPage)
        await expect.poll(() => bobPage.getByTestId('subject').textContent(), { timeout: 15_000 }).toBe('bob')
        await expect.poll(() => serverState(bobPage)).toBe('authenticated')
        // Alice refreshes: her page sees her server's step, bob's sees nothing of it.
        const refreshes = async (on: Page) =>
          (await serverSteps(on)).filter((s) => s.startsWith('REFRESH')).length
        const before = await refreshes(page)
        await page.getByRole('button', { name: 'Refresh now' }).click()
        await expect.poll(() => refreshes(page)).toBe(before + 1)
        await expect.poll(() => aliceStream?.text().match(/"REFRESH"/g)?.length).toBe(2 * (before + 1))
        // Each browser's page and stream hold its own steps only.
        expect(await serverSteps(bobPage)).toEqual([
          'done → authenticated',
          'CALLBACK → exchanging',
          'done → awaitingCallback',
          'LOGIN → redirecting',
        ])
        const bobs = bobStream.text()
        expect(bobs).toContain('"sub":"bob"')
        expect(bobs).not.toContain('REFRESH')
        expect(bobs).not.toContain('alice')
        expect(aliceStream?.text()).not.toContain('bob')
      } finally {
        await bobStream.stop()
      }
    } finally {
      await other.close()
    }
  })

  it('the server’s stream carries no token, no code and no cookie: they read “[redacted]”', async () => {
    const sent = aliceStream?.text() ?? ''
    // The whole story went over it, with the secrets in their places, redacted.
    for (const seen of ['@xstate.actor', '@xstate.snapshot', '"LOGIN"', '"CALLBACK"', '"REFRESH"'])
      expect(sent).toContain(seen)
    for (const field of ['accessToken', 'refreshToken', 'codeVerifier', 'state', 'nonce', 'callbackUrl'])
      expect(sent).toContain(`"${field}":"[redacted]"`)
    // No JWT (access token, id_token)…
    expect(sent).not.toMatch(/eyJ[\w-]+\.eyJ/)
    // …no code or state the callback carried…
    expect(callbackSecrets.length).toBeGreaterThanOrEqual(2)
    // …no token or code the emulator issued (it keeps them, by value, in its data file)…
    const issued = (
      JSON.parse(readFileSync(join(env.DEMO_DATA_DIR as string, 'emulator.json'), 'utf8')) as [string][]
    )
      .map(([key]) => /^(?:AccessToken|RefreshToken|AuthorizationCode):(.+)$/.exec(key)?.[1])
      .filter((value) => value !== undefined)
    expect(issued.length).toBeGreaterThanOrEqual(3)
    // …and no cookie of this browser's: not the session's, not the demo's own.
    const cookies = (await context.cookies(origin)).map((cookie) => cookie.value)
    expect(cookies.length).toBeGreaterThanOrEqual(2)
    for (const secret of [...callbackSecrets, ...issued, ...cookies]) {
      expect(secret.length).toBeGreaterThanOrEqual(16)
      expect(sent).not.toContain(secret)
      expect(sent).not.toContain(encodeURIComponent(secret))
    }
  })

  it('keeps the session when the demo server restarts (SQLite)', async () => {
    await stopDemo()
    await startDemo()
    await page.reload()
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
    await expect.poll(() => newestStep()).toBe('page reloaded — session restored')
    await expect.poll(() => page.getByRole('table', { name: 'Your pockets' }).textContent()).toContain('Main')
    // A new process has no step to replay, but it holds the session: the server's diagram says so.
    await expect.poll(() => serverState()).toBe('authenticated')
    expect(await machine('server').getByTestId('last-step').textContent()).toBe(
      'Now in authenticated: what the server holds for this browser',
    )
  })

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect.poll(() => machineState().textContent()).toBe('idle')
    await expect.poll(() => newestStep()).toBe('signed out')
    await expect.poll(() => page.getByRole('button', { name: 'Sign in with Jiko' }).isVisible()).toBe(true)
    // The server deletes the session: no step of its machine, but its diagram goes back to idle.
    await expect.poll(() => serverState()).toBe('idle')
    expect((await serverSteps())[0]).toBe('sign-out → idle')
    await page.screenshot({ path: join(artifacts, '4-signed-out-again.png'), fullPage: true })
  })

  it('shows a denied consent in words, newest first in the timeline', async () => {
    await signInThroughJiko('Deny')
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('error')
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('You declined access')
    await expect.poll(() => newestStep()).toBe('sign-in failed (JIKO_AUTHORIZATION_ERROR)')
    expectRefusedCallbackError()
    // The step that led to the error is in view, at the top of the timeline.
    await expect.poll(() => page.locator('[data-testid=timeline] li').first().isVisible()).toBe(true)
    expect(await page.getByTestId('timeline').evaluate((list) => list.scrollTop)).toBe(0)
    await lookAt('5-denied')
  })

  it('after a denial, “Not you?” on Jiko’s page signs in as someone else', async () => {
    await page.getByRole('button', { name: 'Sign in again' }).click()
    // Jiko remembers alice: straight to her consent page, which offers another account.
    await expect.poll(() => page.getByRole('list', { name: 'Requested scopes' }).isVisible()).toBe(true)
    await expect(page.locator('main').textContent()).resolves.toContain('for alice')
    await page.getByRole('link', { name: 'Not you? Use another account' }).click()
    await page.getByLabel('User').fill('bob')
    await page.getByLabel('Password').fill('bob-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.locator('main').textContent()).toContain('for bob')
    await page.getByRole('button', { name: 'Approve' }).click()
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
    await expect.poll(() => page.getByTestId('subject').textContent()).toBe('bob')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect.poll(() => machineState().textContent()).toBe('idle')
  })

  it('the error card’s other button dismisses the error', async () => {
    await signInThroughJiko('Deny', 'bob')
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('error')
    expectRefusedCallbackError()
    await page.getByRole('button', { name: 'Dismiss' }).click()
    await expect.poll(() => machineState().textContent()).toBe('idle')
    await expect.poll(() => newestStep()).toBe('error dismissed — signed out')
  })

  it('offline, the inspector switch says Stately cannot be reached and offers the local view', async () => {
    const pages = context.pages().length
    await page.getByRole('checkbox', { name: 'Connect Stately’s XState inspector' }).click()
    await expect
      .poll(() => page.getByTestId('inspector-status').textContent())
      .toContain('Stately’s inspector cannot be reached')
    expect(context.pages().length).toBe(pages)
    expect(await page.getByRole('checkbox', { name: 'Connect Stately’s XState inspector' }).isChecked()).toBe(
      false,
    )
    await page.getByRole('button', { name: 'Show the local view instead' }).click()
    // The local view sees a whole sign-in, redacted: the callback URL (it holds the code) is not shown.
    await signInThroughJiko('Approve')
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
    const view = page.getByTestId('local-inspector')
    await expect.poll(() => view.textContent()).toContain('jikoAuth is authenticated')
    await view.getByText('jikoAuth is exchanging').first().click()
    const shown = await view.textContent()
    expect(shown).toContain('"callbackUrl": "[redacted]"')
    expect(shown).toMatch(/[?&]code=(\[redacted\]|%5Bredacted%5D)/)
    expect(shown).not.toMatch(/[?&]code=(?!\[redacted\]|%5Bredacted%5D)/)
  })

  it('with stately.ai reachable, the inspector window receives the machine, redacted and cloneable', async () => {
    // A stand-in for Stately's inspector page: says it is connected, keeps what it receives.
    await context.unroute(`${STATELY}**`)
    await context.route(`${STATELY}**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>inspector</title><script>
          window.received = []
          addEventListener('message', (event) => window.received.push(event.data))
          window.opener.postMessage({ type: '@statelyai.connected' }, '*')
        </script>`,
      }),
    )
    const popup = context.waitForEvent('page')
    await page.getByRole('checkbox', { name: 'Connect Stately’s XState inspector' }).click()
    const inspectorPage = await popup
    await expect
      .poll(() => page.getByTestId('inspector-status').textContent())
      .toContain('open in its own window')
    // The machine restarts for the inspector and posts its events one by one: give a busy machine time.
    await expect
      .poll(
        () =>
          inspectorPage.evaluate(() =>
            (window as unknown as { received: Array<{ type: string; name?: string }> }).received.map((e) =>
              e.type === '@xstate.actor' ? `${e.type} ${e.name}` : e.type,
            ),
          ),
        { timeout: 10_000 },
      )
      .toEqual(expect.arrayContaining(['@xstate.actor jikoAuth', '@xstate.snapshot']))
    await page.getByRole('checkbox', { name: 'Connect Stately’s XState inspector' }).click()
    await inspectorPage.close()
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
  })

  it('has no console error anywhere (favicons included) and answers /favicon.ico with an icon', async () => {
    for (const url of [`${origin}/favicon.ico`, `${origin}/favicon.svg`]) {
      const response = await fetch(url)
      expect(response.headers.get('content-type')).toBe('image/svg+xml')
    }
    expect((await fetch(`${origin}/missing.js`)).status).toBe(404)
    expect(consoleErrors).toEqual([])
  })
})
