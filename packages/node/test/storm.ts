import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { type Browser, requestFrom, SECRET, type TestApp } from './harness.js'
import { type Outcome, WorkerProcess } from './workerProcess.js'

// The worker runs this package's source through tsx, never its last build (dist/), so it tests the code under test.
const workerScript = fileURLToPath(new URL('./fixtures/refreshWorker.ts', import.meta.url))

/** The session cookie of a signed-in browser, as a header value. */
export const cookieOf = (app: TestApp, browser: Browser) =>
  requestFrom(app, browser).headers.get('cookie') as string

export interface StormRound {
  outcomes: Outcome[]
  /** Refresh grants the emulator answered during the round. */
  grants: number | undefined
  /** How long the round took, in milliseconds. */
  ms: number
}

/**
 * Refresh storms across processes: `processes` workers each run `callersEach` concurrent getAccessToken() spread
 * over the `cookies` (sessions), in two rounds: 900 s later (the first token is due), then 1 801 s later (the
 * refreshed one is due in turn). `during(round)` runs while a round is under way (e.g. to kill a server).
 */
export async function crossProcessStorm(
  app: TestApp,
  cookies: string[],
  workerEnv: Record<string, unknown>,
  processes: number,
  callersEach: number,
  during?: (round: number) => Promise<void>,
) {
  const workers = Array.from(
    { length: processes },
    () => new WorkerProcess(workerScript, { ...workerEnv, cookies, secret: SECRET, options: app.client }),
  )
  try {
    for (const worker of workers) expect(await worker.next()).toBe('ready')
    const before = await Promise.all(
      cookies.map((cookie) => app.auth.getAccessToken(new Request(app.origin, { headers: { cookie } }))),
    )
    const rounds: StormRound[] = []
    for (const [round, offsetMs] of [900_000, 1_800_000 + 1000].entries()) {
      app.emulator.stats.reset()
      const started = performance.now()
      const outcomes = Promise.all(workers.map((w) => w.round(offsetMs, callersEach)))
      await during?.(round)
      rounds.push({
        outcomes: await outcomes,
        grants: app.emulator.stats.grants.refresh_token,
        ms: performance.now() - started,
      })
    }
    return { before, rounds }
  } finally {
    for (const worker of workers) worker.stop()
  }
}

/**
 * Every caller got a token, each session one new token per round (never an earlier one), and the emulator
 * answered `grantsPerRound` refresh grants (one per session unless said otherwise).
 */
export function expectOneRefreshPerSession(
  { before, rounds }: Awaited<ReturnType<typeof crossProcessStorm>>,
  callers: number,
  grantsPerRound: (grants: number | undefined) => void = (grants) => expect(grants).toBe(before.length),
) {
  const sessions = before.length
  const seen = new Set<string>(before)
  for (const { outcomes, grants } of rounds) {
    expect(outcomes.flatMap((o) => o.errors)).toEqual([])
    expect(outcomes.reduce((sum, o) => sum + o.fulfilled, 0)).toBe(callers)
    for (let session = 0; session < sessions; session++) {
      const tokens = new Set(outcomes.flatMap((o) => o.bySession?.[session] ?? []))
      expect(tokens.size).toBe(1)
      for (const token of tokens) {
        expect(seen.has(token)).toBe(false)
        seen.add(token)
      }
    }
    grantsPerRound(grants)
  }
}
