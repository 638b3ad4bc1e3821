// The packages as a user outside this repository gets them: each published package packed with `pnpm pack`
// (workspace: ranges become real versions), installed with npm (not pnpm) from the tarballs alone into a fresh
// project in the OS's temp directory (better-sqlite3 compiled there by npm, against Node's headers), a user's app
// (user-project/app.ts) and React page (page.tsx, rendered by react.tsx) typechecked strictly without skipLibCheck
// under three module resolutions and without the DOM library, then compiled and run: alice signs in through the
// emulator and reaches a route guarded by requireAuth with sessions in memory, in a SQLite file and in a real
// redis-server; the page renders on the server with react-dom/server.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const userProject = fileURLToPath(new URL('../user-project', import.meta.url))

/** Every published package. */
const PACKAGES = ['core', 'node', 'storage-memory', 'storage-sqlite', 'storage-redis', 'react', 'emulator']
/** What the user installs beside them, pinned. */
const THIRD_PARTY = [
  'express@5.3.0',
  'react@19.3.1',
  'react-dom@19.3.1',
  'typescript@5.9.3',
  '@types/express@5.0.6',
  '@types/node@20.19.43',
  '@types/react@19.3.3',
  '@types/react-dom@19.3.0',
]

/**
 * Type errors and engine warnings a user may see: none. (Found by this test and fixed: core's types needed the DOM
 * library; the emulator's reached into oidc-provider's, whose @types/koa broke beside express 5.3; cookie 2 asked
 * for Node 22 under @jiko-auth/node's Node 20.19.)
 */
const KNOWN_TYPE_ERRORS: string[] = []
const KNOWN_ENGINE_WARNINGS: string[] = []

interface Run {
  code: number
  stdout: string
  stderr: string
}

/**
 * The environment of a user's shell: none of the npm_* / pnpm_* variables pnpm and vitest set for this test, but
 * what a user here sets for better-sqlite3, which npm compiles from source: Node's headers for node-gyp (it must never
 * download them), and no attempt at fetching a prebuilt binary (only package registries are reachable here).
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(npm_|pnpm_|vitest)/i.test(name)) delete env[name]
    if (name === 'NODE_OPTIONS' || name === 'NODE_ENV') delete env[name]
  }
  return {
    ...env,
    npm_config_update_notifier: 'false',
    npm_config_nodedir: dirname(dirname(process.execPath)),
    npm_config_build_from_source: 'true',
    ...extra,
  }
}

function run(
  command: string,
  args: string[],
  cwd: string,
  timeout: number,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: userEnv(extraEnv), timeout, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        // A command that could not start or timed out has no exit code: its error says why.
        resolve({
          code,
          stdout,
          stderr: error && typeof error.code !== 'number' ? `${stderr}\n${error}` : stderr,
        })
      },
    )
  })
}

/** Runs a command that must succeed, and says how long it took. */
async function must(
  label: string,
  command: string,
  args: string[],
  cwd: string,
  timeout: number,
): Promise<Run> {
  const started = performance.now()
  const result = await run(command, args, cwd, timeout)
  if (result.code !== 0) {
    throw new Error(`${label} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`)
  return result
}

/** The compiler the user installed, on one of the user project's tsconfig files. */
const tsc = (project: string, args: string[] = []) =>
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, ...args], projectDir, 60_000)

/** `file TSxxxx` for each error tsc printed, node_modules/ left off, sorted and without repeats. */
function errorsOf(output: string): string[] {
  const errors = [...output.matchAll(/^(?:node_modules\/)?(\S+?)\(\d+,\d+\): error (TS\d+)/gm)]
  return [...new Set(errors.map(([, file, code]) => `${file} ${code}`))].sort()
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

let workDir: string
let projectDir: string
let install: Run
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedisServer()
  workDir = mkdtempSync(join(tmpdir(), 'jiko-tarballs-'))
  const packDir = join(workDir, 'packs')
  projectDir = join(workDir, 'app')
  for (const name of PACKAGES) {
    await must(
      `pnpm pack ${name}`,
      'pnpm',
      ['pack', '--pack-destination', packDir],
      join(repoRoot, 'packages', name),
      60_000,
    )
  }
  const tarballs = readdirSync(packDir)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => join(packDir, file))
  cpSync(userProject, projectDir, { recursive: true })
  await must('npm init', 'npm', ['init', '-y'], projectDir, 30_000)
  // The packages are ESM only: the user's project is a module.
  await must('npm pkg set type=module', 'npm', ['pkg', 'set', 'type=module'], projectDir, 30_000)
  install = await must(
    'npm install',
    'npm',
    ['install', ...tarballs, ...THIRD_PARTY, '--no-audit', '--no-fund'],
    projectDir,
    360_000,
  )
})

afterAll(async () => {
  await redis?.stop()
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

describe('the packages installed with npm from their tarballs', () => {
  it('carry real versions in place of workspace: ranges, and every file their exports name', () => {
    const manifests = PACKAGES.map((name) =>
      readJson(join(projectDir, 'node_modules/@jiko-auth', name, 'package.json')),
    )
    const versions = new Map(manifests.map((manifest) => [manifest.name, manifest.version]))
    expect(manifests.map((manifest) => manifest.name)).toEqual(PACKAGES.map((name) => `@jiko-auth/${name}`))
    for (const manifest of manifests) {
      expect(JSON.stringify(manifest), manifest.name).not.toContain('workspace:')
      for (const [dependency, range] of Object.entries<string>(manifest.dependencies ?? {})) {
        if (!dependency.startsWith('@jiko-auth/')) continue
        expect(range.replace(/^[\^~]/, ''), `${manifest.name} → ${dependency}`).toBe(versions.get(dependency))
      }
      const targets = Object.values<string | Record<string, string>>(manifest.exports).flatMap((target) =>
        typeof target === 'string' ? [target] : Object.values(target),
      )
      expect(targets.length, manifest.name).toBeGreaterThan(1)
      for (const target of targets) {
        expect(
          existsSync(join(projectDir, 'node_modules', manifest.name, target)),
          `${manifest.name} ${target}`,
        ).toBe(true)
      }
    }
  })

  it('resolve each other: one copy of each, from its tarball, none asked of the registry', () => {
    const lock = readJson(join(projectDir, 'package-lock.json'))
    const ours = Object.entries<{ resolved?: string }>(lock.packages).filter(([path]) =>
      path.includes('@jiko-auth/'),
    )
    expect(ours.map(([path]) => path).sort()).toEqual(
      PACKAGES.map((name) => `node_modules/@jiko-auth/${name}`).sort(),
    )
    for (const [path, entry] of ours) expect(entry.resolved, path).toMatch(/^file:.*\.tgz$/)
    // core, node and react all run the one XState machine: a second xstate would be a second machine definition.
    expect(Object.keys(lock.packages).filter((path) => path.endsWith('node_modules/xstate'))).toEqual([
      'node_modules/xstate',
    ])
  })

  it('built better-sqlite3 from source with npm, against the installed Node', () => {
    const addon = join(projectDir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    expect(statSync(addon).size).toBeGreaterThan(0)
  })

  it.each(['node16', 'nodenext', 'bundler'])(
    'typecheck a user app under module %s, strict, without skipLibCheck',
    async (resolution) => {
      const result = await tsc(`tsconfig.${resolution}.json`)
      expect(result.stdout + result.stderr).toBe('')
      expect(result.code).toBe(0)
    },
  )

  describe('compiled to JS and run', () => {
    beforeAll(async () => {
      const build = await tsc('tsconfig.nodenext.json', ['--noEmit', 'false', '--outDir', 'dist'])
      expect(build.stdout + build.stderr).toBe('')
    })

    /** Runs the app with a store; its last line of output. */
    async function signIn(storage: string, env: NodeJS.ProcessEnv = {}) {
      const result = await run(process.execPath, ['dist/app.js', storage], projectDir, 60_000, env)
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')
    }

    it('alice signs in through the emulator and reaches the route guarded by requireAuth', async () => {
      expect(await signIn('memory')).toMatchObject({ user: { sub: 'alice' }, protected: 200, anonymous: 401 })
    })

    it('the same with sessions in a SQLite file, in a folder that did not exist', async () => {
      const path = join(workDir, 'data', 'sessions.db')
      expect(await signIn('sqlite', { SQLITE_PATH: path })).toMatchObject({
        storage: 'sqlite',
        user: { sub: 'alice' },
        protected: 200,
      })
      expect(statSync(path).size).toBeGreaterThan(0)
    })

    it('the same with sessions in a real redis-server', async () => {
      // The server the test started, or the one REDIS_URL names: only keys this sign-in added are looked at.
      const client = await createClient({ url: redis.url }).connect()
      try {
        const before = new Set(await client.keys('jiko:*'))
        expect(await signIn('redis', { REDIS_URL: redis.url })).toMatchObject({
          storage: 'redis',
          user: { sub: 'alice' },
          protected: 200,
        })
        expect((await client.keys('jiko:*')).filter((key) => !before.has(key)).length).toBeGreaterThan(0)
      } finally {
        client.destroy()
      }
    })

    it('the React page renders on the server, loading until the browser asks for the session', async () => {
      const result = await run(process.execPath, ['dist/react.js'], projectDir, 30_000)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim()).toBe('<p data-state="idle">Loading…</p>')
    })
  })
})

describe('what a user may see: no type error, no engine warning', () => {
  it('a Node-only project (lib without DOM) type-checks the packages without skipLibCheck', async () => {
    const result = await tsc('tsconfig.no-workarounds.json')
    expect(errorsOf(result.stdout)).toEqual([...KNOWN_TYPE_ERRORS].sort())
  })

  it('npm warns of no engine mismatch on this Node', () => {
    const warned = [...install.stderr.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map(([, name]) => name)
    expect(warned.sort()).toEqual(KNOWN_ENGINE_WARNINGS)
  })
})
