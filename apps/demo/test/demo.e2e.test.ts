// The demo in a real browser: Debian's chromium driven by playwright-core, the real emulator pages, SQLite sessions.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@jiko-auth/storage-contract'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const startScript = fileURLToPath(new URL('../server/start.mjs', import.meta.url))
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url))

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

async function startDemo() {
  const child = spawn(process.execPath, [startScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk
  })
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

const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
const machineState = () => page.getByTestId('state')
const timelineStates = async () =>
  page
    .locator('[data-testid=timeline] li')
    .evaluateAll((items) => items.map((li) => li.getAttribute('data-state')))

async function signInThroughJiko(decision: 'Approve' | 'Deny') {
  await page.getByRole('button', { name: 'Sign in with Jiko' }).click()
  await page.getByLabel('User').fill('alice')
  await page.getByLabel('Password').fill('alice-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect
    .poll(() => page.getByRole('list', { name: 'Requested scopes' }).textContent())
    .toContain('pockets.read')
  await page.getByRole('button', { name: decision }).click()
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
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
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'jiko-chromium-')), {
    executablePath: chromiumPath(),
    headless: true,
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
  page = context.pages()[0] ?? (await context.newPage())
})

afterAll(async () => {
  await context?.close()
  await stopDemo()
})

describe('the demo in chromium', () => {
  it('signs in through the real pages and draws every state of the flow', async () => {
    await page.goto(origin)
    await expect.poll(() => machineState().textContent()).toBe('idle')
    await shot('1-signed-out')
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
    expect(await page.locator('.diagram [data-state=authenticated]').getAttribute('aria-current')).toBe(
      'true',
    )
    expect(page.url()).toBe(`${origin}/`)
    const states = await timelineStates()
    for (const state of ['idle', 'redirecting', 'awaitingCallback', 'exchanging', 'authenticated']) {
      expect(states).toContain(state)
    }
    await shot('2-signed-in')
  })

  it('Refresh now passes through refreshing and comes back authenticated', async () => {
    const before = (await timelineStates()).filter((s) => s === 'refreshing').length
    await page.getByRole('button', { name: 'Refresh now' }).click()
    await expect
      .poll(async () => (await timelineStates()).filter((s) => s === 'refreshing').length)
      .toBe(before + 1)
    await expect.poll(() => machineState().textContent()).toBe('authenticated')
    await shot('3-refreshed')
  })

  it('keeps the session when the demo server restarts (SQLite)', async () => {
    await stopDemo()
    await startDemo()
    await page.reload()
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('authenticated')
    await expect.poll(() => page.getByRole('table', { name: 'Your pockets' }).textContent()).toContain('Main')
  })

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect.poll(() => machineState().textContent()).toBe('idle')
    await expect.poll(() => page.getByRole('button', { name: 'Sign in with Jiko' }).isVisible()).toBe(true)
    await shot('4-signed-out-again')
  })

  it('shows a denied consent in words, with a way back', async () => {
    await signInThroughJiko('Deny')
    await expect.poll(() => machineState().textContent(), { timeout: 15_000 }).toBe('error')
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('You declined access')
    await shot('5-denied')
    await page.getByRole('button', { name: 'Back' }).click()
    await expect.poll(() => machineState().textContent()).toBe('idle')
  })
})
