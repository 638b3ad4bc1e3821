import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'

const HOW_TO_GET_ONE =
  'No Redis for the tests: install redis-server and redis-tools (apt-get install -y redis-server redis-tools), or set REDIS_URL to a running server.'

/** Fails, saying how to get them, when `redis-server` (or also `redis-cli`) is not installed. */
export function requireRedis(...programs: ('redis-server' | 'redis-cli')[]) {
  for (const program of programs) {
    if (spawnSync(program, ['--version']).error) throw new Error(HOW_TO_GET_ONE)
  }
}

/** Starts `redis-server` with these arguments; resolves once its output shows `readyWhen`. */
export async function spawnRedis(
  args: string[],
  readyWhen = 'Ready to accept connections',
): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk
      if (output.includes(readyWhen)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)))
  })
  return child
}

/** Stops a process started by `spawnRedis` (SIGKILL when `crash`), and waits for it to exit. */
export async function stopProcess(child: ChildProcess | undefined, { crash = false } = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill(crash ? 'SIGKILL' : 'SIGTERM')
  })
}

const run = promisify(execFile)

/** One `redis-cli` command against the server on a loopback port; its output without the last line break. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  })
  return stdout.trimEnd()
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 50 ms until it answers true; fails with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const giveUpAt = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}
