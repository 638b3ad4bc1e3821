import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireRedis, spawnRedis, stopProcess } from './spawnRedis.js'

export interface RedisServer {
  url: string
  /** Stops the server (SIGKILL when `crash`); `start()` brings it back on the same port. */
  stop(options?: { crash?: boolean }): Promise<void>
  start(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void
  resume(): void
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A private redis-server on a free loopback port, or the one REDIS_URL names. Fails — never skips — when neither
 * is there, saying how to get one.
 */
export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  if (process.env.REDIS_URL && !options.persistent) {
    const unsupported = () => {
      throw new Error('stopping or pausing Redis needs the private redis-server (unset REDIS_URL)')
    }
    return {
      url: process.env.REDIS_URL,
      stop: async () => unsupported(),
      start: async () => unsupported(),
      pause: unsupported,
      resume: unsupported,
    }
  }
  requireRedis('redis-server')
  const port = await freePort()
  const dataDir = options.persistent ? mkdtempSync(join(tmpdir(), 'jiko-redis-')) : undefined
  let child: ChildProcess | undefined
  const start = async () => {
    // Persistent: an append-only file fsynced on every write, so a stop and start keeps every acknowledged write.
    const persistence = dataDir
      ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']
    child = await spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence])
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: (options) => stopProcess(child, options),
  }
}
