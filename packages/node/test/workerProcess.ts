import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * What a worker prints for a round: the distinct tokens it got (in all, and for each session), how many calls
 * succeeded, the error codes.
 */
export interface Outcome {
  tokens: string[]
  /** For each session of a storm over several (the session workers only). */
  bySession?: string[][]
  fulfilled: number
  errors: string[]
}

/**
 * One process of the app, running a fixture from this package's source through tsx (never its last build): it
 * prints `ready`, then answers each `{ offsetMs, callers }` round with an `Outcome` line.
 */
export class WorkerProcess {
  readonly child: ChildProcess
  readonly #lines: AsyncIterator<string>

  constructor(script: string, config: Record<string, unknown>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, WORKER_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    this.#lines = createInterface({ input: this.child.stdout as NodeJS.ReadableStream })[
      Symbol.asyncIterator
    ]()
  }

  async next(): Promise<string> {
    const { value, done } = await this.#lines.next()
    if (done) throw new Error('worker exited')
    return value
  }

  async round(offsetMs: number, callers: number): Promise<Outcome> {
    this.child.stdin?.write(`${JSON.stringify({ offsetMs, callers })}\n`)
    return JSON.parse(await this.next()) as Outcome
  }

  stop() {
    this.child.stdin?.end()
  }
}
