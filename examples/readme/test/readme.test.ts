// Every code block of every README (the root's, packages/*, apps/*, examples/*) is tested here, or marked a
// fragment. The convention, on the block's info string:
//
//   ```ts fragment   not compiled, not run: a piece of a larger program (a `it.skip` here, so it shows)
//   ```ts            a whole module: typechecked (strict, NodeNext; .tsx with the DOM library and react-jsx)
//   ```ts run        typechecked, then run with node in an empty temp folder: it must exit 0
//   ```ts signin     run, then alice signs in through the block's `auth` (src/signInAsAlice.ts): its session
//                    and an access token must come back
//   ```sh            each command checked: `pnpm <script>` exists where the block runs it (blocks start at the
//                    repository root, `cd` moves), `--filter` names a package, `npm install` names packages the
//                    workspace knows, `bash <file>` exists, our CLIs know every flag given, and `keygen` runs
//   ```json          parsed
//
// Any other language, or none, fails: mark such a block `fragment`. A block that runs gets: the Jiko emulator
// (headless, signing alice in) in place of `https://auth.jiko.io`, a free port in place of `listen(3000)` (then
// the sign-in goes over HTTP), a real redis-server at REDIS_URL, and JIKO_CLIENT_ID, JIKO_PRIVATE_KEY_PEM (made
// by `jiko-auth keygen`, as the READMEs say), JIKO_AUTH_SECRET, JIKO_API_SIGNING_KEY_PEM and
// JIKO_SERVICE_CLIENT_ID. See README.md beside this folder.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RunningEmulator, startEmulator } from '@jiko-auth/emulator'
import { freePort, type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CodeBlock, codeBlocksOf, findReadmes } from '../src/readmeBlocks.ts'
import { type ShellCommand, shellCommands } from '../src/shellCommands.ts'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const harnessDir = fileURLToPath(new URL('..', import.meta.url))
const blocksDir = join(harnessDir, '.blocks')
const outDir = join(blocksDir, 'dist')

const COMPILED: Record<string, string> = { ts: '.ts', tsx: '.tsx', js: '.js', jsx: '.jsx' }
const SHELL = new Set(['sh', 'bash', 'shell'])
const MARKERS = new Set(['fragment', 'run', 'signin'])
/** The issuer README blocks name, replaced by the emulator's when they run. */
const JIKO_ISSUER = 'https://auth.jiko.io'

interface Block extends CodeBlock {
  /** Where the README says it is, for test names and tsc's errors. */
  where: string
  /** The file it is compiled as, under .blocks/ (compiled blocks only). */
  file?: string
}

const blocks: Block[] = findReadmes(repoRoot).flatMap((readme) =>
  codeBlocksOf(repoRoot, readme).map((block) => {
    const where = `${block.readme}:${block.line}`
    const extension = COMPILED[block.lang]
    const name = `${block.readme.replace(/\/?README\.md$/, '').replace(/\W+/g, '-') || 'root'}-L${block.line}`
    return extension ? { ...block, where, file: `${name}${extension}` } : { ...block, where }
  }),
)

// ---------------------------------------------------------------------------------------------------------------
// Typechecking: every compiled block written under .blocks/ (inside the workspace, so @jiko-auth/* resolve to the
// packages), two tsc programs, each diagnostic mapped back to its README line.

/** tsc's errors by README location (`packages/node/README.md:7`), per block file. */
const diagnostics = new Map<string, string[]>()

function tscConfig(files: string[], dom: boolean) {
  return {
    // What a user's project has: strict, NodeNext, Node's types; the DOM library only for .tsx (browser code).
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      moduleDetection: 'force',
      strict: true,
      skipLibCheck: true,
      allowJs: true,
      checkJs: true,
      types: ['node'],
      lib: dom ? ['ES2023', 'DOM', 'DOM.Iterable'] : ['ES2023'],
      ...(dom ? { jsx: 'react-jsx' } : {}),
      rootDir: '.',
      outDir: 'dist',
      noEmitOnError: false,
      pretty: false,
    },
    files,
  }
}

/** tsc's output; a run that failed without an error about a file (a crash, a bad tsconfig) is itself an error. */
function runTsc(project: string): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  return new Promise((done) => {
    execFile(
      process.execPath,
      [tsc, '-p', project],
      { cwd: blocksDir, timeout: 110_000 },
      (error, stdout, stderr) => {
        const failed = error && !/^\S+?\(\d+,\d+\): error /m.test(stdout)
        done(failed ? `${stdout}\n${stderr}\n${project}: tsc failed: ${error}` : stdout)
      },
    )
  })
}

/** `file(line,col): error TSnnnn: message` → `README.md:line: TSnnnn message`, kept under the block's file. */
function collectDiagnostics(output: string) {
  for (const match of output.matchAll(/^(\S+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm)) {
    const [, file = '', line = '0', , code, message] = match
    const block = blocks.find((candidate) => candidate.file === file)
    const at = block ? `${block.readme}:${block.line + Number(line)}` : `${file}:${line}`
    const list = diagnostics.get(file) ?? []
    list.push(`${at}: ${code} ${message}`)
    diagnostics.set(file, list)
  }
  const unparsed = output.split('\n').filter((line) => line.trim() && !/^\S+?\(\d+,\d+\): error /.test(line))
  if (unparsed.some((line) => !/^\s/.test(line))) diagnostics.set('(tsc)', unparsed)
}

// ---------------------------------------------------------------------------------------------------------------
// What running blocks get: the emulator, a redis-server, keys made by the README's own keygen, settings.

let emulator: RunningEmulator
let redis: RedisServer
const runEnv: Record<string, string> = {}
const scratch = mkdtempSync(join(tmpdir(), 'jiko-readme-'))

/** Our CLIs by bin name (`jiko-auth`, `jiko-emulator`) and by package name: their JS files in the workspace. */
const bins = new Map<string, string>()
const workspacePackages = new Map<string, { dir: string; manifest: Manifest }>()
const knownDependencies = new Set<string>()

interface Manifest {
  name: string
  scripts?: Record<string, string>
  bin?: Record<string, string> | string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))

for (const group of ['packages', 'apps', 'examples', '.']) {
  const dirs =
    group === '.'
      ? [repoRoot, join(repoRoot, 'bench'), join(repoRoot, 'examples')]
      : readdirSync(join(repoRoot, group)).map((name) => join(repoRoot, group, name))
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'package.json'))) continue
    const manifest = readManifest(dir)
    workspacePackages.set(manifest.name, { dir, manifest })
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies'] as const) {
      for (const name of Object.keys(manifest[field] ?? {})) knownDependencies.add(name)
    }
    const bin = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {})
    for (const [name, file] of Object.entries(bin)) {
      bins.set(name, join(dir, file))
      bins.set(manifest.name, join(dir, file))
    }
  }
}

function execNode(args: string[], cwd: string, timeout = 30_000) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, args, { cwd, timeout }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

async function keygen(alg: string, out: string): Promise<string> {
  const cli = bins.get('jiko-auth') as string
  const result = await execNode([cli, 'keygen', '--alg', alg, '--out', out], scratch)
  if (result.code !== 0) throw new Error(`keygen failed: ${result.stdout}${result.stderr}`)
  return readFileSync(join(scratch, `${out}.key.pem`), 'utf8')
}

beforeAll(async () => {
  rmSync(blocksDir, { recursive: true, force: true })
  mkdirSync(blocksDir, { recursive: true })
  const compiled = blocks.filter((block) => block.file && !block.meta.includes('fragment'))
  for (const block of compiled) writeFileSync(join(blocksDir, block.file as string), `${block.code}\n`)
  copyFileSync(join(harnessDir, 'src/signInAsAlice.ts'), join(blocksDir, 'signInAsAlice.ts'))
  const files = compiled.map((block) => block.file as string)
  const serverFiles = [...files.filter((file) => !/\.[jt]sx$/.test(file)), 'signInAsAlice.ts']
  writeFileSync(join(blocksDir, 'tsconfig.node.json'), JSON.stringify(tscConfig(serverFiles, false), null, 2))
  const domFiles = files.filter((file) => /\.[jt]sx$/.test(file))
  writeFileSync(join(blocksDir, 'tsconfig.dom.json'), JSON.stringify(tscConfig(domFiles, true), null, 2))

  const [node, dom, privateKey, apiKey] = await Promise.all([
    runTsc('tsconfig.node.json'),
    domFiles.length > 0 ? runTsc('tsconfig.dom.json') : '',
    keygen('PS256', 'jiko'),
    keygen('ES256', 'api-signing'),
  ])
  collectDiagnostics(node)
  collectDiagnostics(dom)

  redis = await startRedisServer()
  emulator = await startEmulator({
    headless: 'alice',
    clients: [
      {
        clientId: 'my-app',
        redirectUris: ['https://app.example/auth/callback', 'http://localhost:3000/auth/callback'],
        publicKey: readFileSync(join(scratch, 'jiko.pub.pem'), 'utf8'),
      },
      {
        clientId: 'my-service',
        grantTypes: ['client_credentials'],
        publicKey: readFileSync(join(scratch, 'jiko.pub.pem'), 'utf8'),
      },
    ],
  })
  Object.assign(runEnv, {
    JIKO_CLIENT_ID: 'my-app',
    JIKO_SERVICE_CLIENT_ID: 'my-service',
    JIKO_PRIVATE_KEY_PEM: privateKey,
    JIKO_API_SIGNING_KEY_PEM: apiKey,
    JIKO_AUTH_SECRET: randomBytes(48).toString('base64'),
    REDIS_URL: redis.url,
  })
})

afterAll(async () => {
  await emulator?.stop()
  await redis?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------------------------
// Running a block: its compiled JS, with the emulator's issuer and a free port put in, and for `signin` the
// sign-in appended, in a process of its own whose folder is a new empty one.

interface Ran {
  code: number | null
  stdout: string
  stderr: string
  cwd: string
}

async function runBlock(block: Block): Promise<Ran> {
  const compiled = join(outDir, (block.file as string).replace(/\.[jt]sx?$/, '.js'))
  let source = readFileSync(compiled, 'utf8').replaceAll(JIKO_ISSUER, emulator.issuer)
  const port = /\blisten\(3000\)/.test(source) ? await freePort() : undefined
  if (port) source = source.replace(/\blisten\(3000\)/g, `listen(${port}, '127.0.0.1')`)
  if (block.meta.includes('signin')) {
    const server = port ? `http://127.0.0.1:${port}` : undefined
    source += `
import { signInAsAlice as __signInAsAlice } from './signInAsAlice.js'
await __signInAsAlice(auth, ${JSON.stringify({ issuer: emulator.issuer, server })})
process.exit(0)
`
  }
  const runFile = compiled.replace(/\.js$/, '.run.mjs')
  writeFileSync(runFile, source)
  const cwd = mkdtempSync(join(scratch, 'run-'))
  const child: ChildProcess = spawn(process.execPath, [runFile], {
    cwd,
    env: { ...process.env, ...runEnv, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
  const code = await new Promise<number | null>((done) => child.once('exit', (exit) => done(exit)))
  clearTimeout(timer)
  return { code, stdout, stderr, cwd }
}

/** The keys under `jiko:` (the default prefix) in the test's Redis, which may be the one REDIS_URL names. */
async function redisKeys(): Promise<Set<string>> {
  const client = await createClient({ url: redis.url }).connect()
  try {
    return new Set(await client.keys('jiko:*'))
  } finally {
    client.destroy()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Shell blocks: what each command names must exist. The folder a README's blocks run in carries over from one
// block to the next (`cd examples/nextjs`, then "Terminal 1" there), starting at the repository root.

const shellCwd = new Map<string, string>()
const keygenDirs = new Map<Block, string>()
const PNPM_BUILTINS = new Set([
  'install',
  'i',
  'add',
  'remove',
  'update',
  'dlx',
  'create',
  'why',
  'list',
  'ls',
])

/**
 * A pnpm command line: the packages its `--filter`s name (pnpm's own, before the command, and those it passes on,
 * as to turbo), whether pnpm itself filters, and the other words.
 */
function pnpmWords(argv: string[]): { filters: string[]; pnpmFilters: string[]; words: string[] } {
  const filters: string[] = []
  const pnpmFilters: string[] = []
  const words: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string
    const filter = word.startsWith('--filter=')
      ? word.slice('--filter='.length)
      : word === '--filter' || word === '-F'
        ? (argv[++i] ?? '')
        : undefined
    if (filter === undefined) words.push(word)
    else {
      // `pkg...`, `...pkg`, `pkg^...`: the package with its dependencies or dependents.
      const name = filter.replace(/^\.{3}\^?|\^?\.{3}$/g, '')
      filters.push(name)
      if (words.length === 0) pnpmFilters.push(name === filter ? name : '')
    }
  }
  return { filters, pnpmFilters, words }
}

function binsIn(dir: string): Set<string> {
  const names = new Set<string>()
  for (const base of [dir, repoRoot]) {
    const binDir = join(base, 'node_modules/.bin')
    if (existsSync(binDir)) for (const name of readdirSync(binDir)) names.add(name)
  }
  return names
}

/** Checks one command of a block; returns what is wrong with it, if anything. */
async function checkCommand(block: Block, command: ShellCommand): Promise<string[]> {
  const cwd = shellCwd.get(block.readme) ?? repoRoot
  const [program = '', ...args] = command.argv
  const at = `${block.readme}:${block.line + 1 + command.line}: \`${command.argv.join(' ')}\``
  if (program === 'cd') {
    const target = resolve(cwd, args[0] ?? '')
    shellCwd.set(block.readme, target)
    return existsSync(target) ? [] : [`${at}: no folder ${relative(repoRoot, target)}`]
  }
  if (program === 'bash' && args[0] && !args[0].startsWith('-')) {
    return existsSync(resolve(cwd, args[0])) ? [] : [`${at}: no file ${args[0]}`]
  }
  if (program === 'npm' && ['install', 'i', 'add'].includes(args[0] ?? '')) {
    return args
      .slice(1)
      .filter((word) => !word.startsWith('-'))
      .map((word) => word.replace(/(.)@[^@/]*$/, '$1'))
      .filter((name) => !workspacePackages.has(name) && !knownDependencies.has(name))
      .map((name) => `${at}: ${name} is not a package this workspace knows (a typo?)`)
  }
  if (program === 'npx' && bins.has(args[0] ?? ''))
    return checkOurCli(at, args[0] as string, args.slice(1), block)
  if (bins.has(program)) return checkOurCli(at, program, args, block)
  if (program !== 'pnpm') return []

  const { filters, pnpmFilters, words } = pnpmWords(command.argv)
  const problems = filters
    .filter((name) => !workspacePackages.has(name))
    .map((name) => `${at}: --filter names no package of the workspace (${name})`)
  const [verb = '', ...rest] = words
  if (PNPM_BUILTINS.has(verb) || verb.startsWith('-') || verb === '') return problems
  if (verb === 'exec') {
    const [bin = '', ...binArgs] = rest
    if (bins.has(bin)) return [...problems, ...(await checkOurCli(at, bin, binArgs, block))]
    return binsIn(cwd).has(bin)
      ? problems
      : [...problems, `${at}: no ${bin} to exec in ${relative(repoRoot, cwd)}`]
  }
  const script = verb === 'run' ? (rest[0] ?? '') : verb
  if (pnpmFilters.length > 0) {
    // pnpm runs the script in each package it selects: one package named exactly must have it.
    for (const name of pnpmFilters.filter((filter) => workspacePackages.has(filter))) {
      const scripts = workspacePackages.get(name)?.manifest.scripts ?? {}
      if (!(script in scripts)) problems.push(`${at}: no script "${script}" in ${name}`)
    }
    return problems
  }
  const scripts = readManifest(cwd).scripts ?? {}
  if (script in scripts) return problems
  if (verb !== 'run' && binsIn(cwd).has(script)) return problems // `pnpm turbo …`: pnpm runs the bin
  const folder = relative(repoRoot, cwd) || 'the repository root'
  return [...problems, `${at}: no script "${script}" in ${folder}'s package.json`]
}

/** Our CLIs: `keygen` is run (in a temp folder) and must write a PKCS#8 key; other calls must use known flags. */
async function checkOurCli(at: string, bin: string, args: string[], blockOf: Block): Promise<string[]> {
  const cli = bins.get(bin) as string
  if (args[0] === 'keygen') {
    // One folder per block, as a reader who pastes the block runs it; the block's commands run one after another.
    const cwd = keygenDirs.get(blockOf) ?? mkdtempSync(join(scratch, 'keygen-'))
    keygenDirs.set(blockOf, cwd)
    const result = await execNode([cli, ...args], cwd)
    if (result.code !== 0) return [`${at}: exit ${result.code}: ${result.stdout}${result.stderr}`]
    const outAt = args.indexOf('--out')
    const prefix = join(cwd, outAt === -1 ? 'jiko' : (args[outAt + 1] ?? ''))
    const key = readFileSync(`${prefix}.key.pem`, 'utf8')
    const problems: string[] = []
    if (!key.startsWith('-----BEGIN PRIVATE KEY-----'))
      problems.push(`${at}: the private key is not PKCS#8 PEM`)
    if ((statSync(`${prefix}.key.pem`).mode & 0o777) !== 0o600)
      problems.push(`${at}: the private key is not 0600`)
    for (const file of [`${prefix}.pub.pem`, `${prefix}.pub.jwk.json`]) {
      if (!existsSync(file)) problems.push(`${at}: wrote no ${relative(cwd, file)}`)
    }
    return problems
  }
  const help = await execNode([cli, '--help'], repoRoot)
  return args
    .filter((word) => word.startsWith('--'))
    .map((flag) => flag.split('=')[0] as string)
    .filter((flag) => !new RegExp(`(^|\\s)${flag}(\\s|$)`, 'm').test(help.stdout))
    .map((flag) => `${at}: ${bin} --help knows no ${flag}`)
}

// ---------------------------------------------------------------------------------------------------------------

describe.each(findReadmes(repoRoot))('%s', (readme) => {
  const ofReadme = blocks.filter((block) => block.readme === readme)
  if (ofReadme.length === 0) {
    it('has no code block', () => expect(ofReadme).toEqual([]))
    return
  }
  for (const block of ofReadme) {
    const title = `line ${block.line}: \`\`\`${[block.lang, ...block.meta].join(' ')}`
    const unknown = block.meta.filter((word) => !MARKERS.has(word))
    if (block.meta.includes('fragment')) {
      it.skip(`${title} (a fragment)`, () => {})
    } else if (unknown.length > 0) {
      it(title, () => {
        expect.fail(
          `${block.where}: unknown marker ${unknown.join(', ')} (known: ${[...MARKERS].join(', ')})`,
        )
      })
    } else if (block.file) {
      it(`${title} typechecks`, () => {
        expect(diagnostics.get('(tsc)') ?? []).toEqual([])
        expect(diagnostics.get(block.file as string) ?? []).toEqual([])
      })
      if (block.meta.includes('run') || block.meta.includes('signin')) {
        it(`${title} runs`, async () => {
          const usesRedis = block.code.includes("from '@jiko-auth/storage-redis'")
          const keysBefore = usesRedis ? await redisKeys() : new Set<string>()
          const ran = await runBlock(block)
          expect(ran.code, `${block.where} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`).toBe(0)
          if (block.meta.includes('signin')) expect(ran.stdout).toContain('"sub":"alice"')
          // What the block says it stores must be where it says: an SQLite file (its folder made for it),
          // sessions in Redis.
          for (const [, path] of block.code.matchAll(/sqliteStorage\(\{\s*path:\s*'([^']+)'/g)) {
            expect(existsSync(join(ran.cwd, path as string)), `${path} in the block's folder`).toBe(true)
          }
          if (usesRedis) {
            const added = [...(await redisKeys())].filter((key) => !keysBefore.has(key))
            expect(added.length, 'new keys under jiko: in Redis').toBeGreaterThan(0)
          }
        })
      }
    } else if (SHELL.has(block.lang)) {
      it(`${title}: what its commands name exists`, async () => {
        const problems: string[] = []
        for (const command of shellCommands(block.code))
          problems.push(...(await checkCommand(block, command)))
        expect(problems).toEqual([])
      })
    } else if (block.lang === 'json') {
      it(`${title} parses`, () => {
        expect(() => JSON.parse(block.code)).not.toThrow()
      })
    } else {
      it(title, () => {
        expect.fail(
          `${block.where}: no test for a \`\`\`${block.lang || '(no language)'} block: give it a language the ` +
            'harness checks (ts, tsx, js, sh, json) or mark it `fragment`',
        )
      })
    }
  }
})

describe('the harness', () => {
  it('finds the READMEs and their blocks', () => {
    expect(findReadmes(repoRoot)).toEqual(expect.arrayContaining(['README.md', 'packages/node/README.md']))
    expect(blocks.filter((block) => block.readme === 'packages/node/README.md').length).toBeGreaterThan(3)
  })

  it('its sign-in typechecks with the blocks', () => {
    expect(diagnostics.get('signInAsAlice.ts') ?? []).toEqual([])
  })
})
