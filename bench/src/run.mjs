// `pnpm bench`: every benchmark, one table, and bench/results.md. Ratios are measured side by side in one run.
import { readFileSync, writeFileSync } from 'node:fs'
import { browserWeight } from './browserWeight.mjs'
import { hotPath } from './hotPath.mjs'
import { loginCpu } from './loginCpu.mjs'
import { loginNetwork } from './loginNetwork.mjs'
import { loadAverage, ratio, us } from './measure.mjs'
import { refreshStorm } from './refreshStorm.mjs'
import { sessionMemory } from './sessionMemory.mjs'

const version = (name) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
const verdict = (ok) => (ok ? 'met' : 'missed')

const rows = []
const row = (benchmark, measured, goal, ok) => rows.push({ benchmark, measured, goal, result: verdict(ok) })

console.error('1/6 client CPU per login…')
const login = await loginCpu()
const loginLoad = loadAverage()
const floorRatio = (name) => ratio(login[name], login.floor)
row(
  'Client CPU per login, the real server path (PS256, process CPU time)',
  `flow runner ${us(login.jiko)} = ${floorRatio('jiko')} the floor (${us(login.floor)}), ${ratio(login.jiko, login['openid-client'])} openid-client (${us(login['openid-client'])}); ${loginLoad}`,
  '≤ 1.40× floor and ≤ 0.60× openid-client',
  login.jiko <= 1.4 * login.floor && login.jiko <= 0.6 * login['openid-client'],
)
row(
  'Client CPU per login, protocol functions alone',
  `${us(login['jiko functions'])} = ${floorRatio('jiko functions')} the floor; ${loginLoad}`,
  '≤ 1.15× floor',
  login['jiko functions'] <= 1.15 * login.floor,
)
row(
  "Client CPU per login, the machine's own share (the same three steps, instant effects)",
  `${us(login['machine share'])} = ${floorRatio('machine share')} the floor; ${loginLoad}`,
  '≤ 0.20× floor',
  login['machine share'] <= 0.2 * login.floor,
)

console.error('2/6 client CPU per login over loopback…')
const network = await loginNetwork()
const networkLoad = loadAverage()
row(
  'Client CPU per login against the emulator in another process (loopback, client process only)',
  `jiko with its default node:http keep-alive transport ${us(network['jiko (node:http keep-alive)'])} = ${ratio(network['jiko (node:http keep-alive)'], network['openid-client'])} openid-client (${us(network['openid-client'])}); jiko with fetch ${us(network['jiko (fetch)'])} = ${ratio(network['jiko (fetch)'], network['openid-client'])}; ${networkLoad}`,
  '≤ 0.60× openid-client',
  network['jiko (node:http keep-alive)'] <= 0.6 * network['openid-client'],
)

console.error('3/6 hot path…')
const hot = await hotPath()
for (const [store, r] of Object.entries(hot)) {
  row(
    `getAccessToken hot path (${store})`,
    `jiko ${us(r.jiko)}, floor ${us(r.floor)}: ${ratio(r.jiko, r.floor)}; iron-session unsealData ${us(r['iron-session unsealData'])}`,
    '≤ 1.25× floor; not slower than iron-session',
    r.jiko <= 1.25 * r.floor && r.jiko <= r['iron-session unsealData'],
  )
}

console.error('4/6 refresh storm…')
const storm = await refreshStorm()
const times = (ms) => `${(ms / storm.loneMs).toFixed(1)}×`
const stormSetting = `${storm.callers} callers, ${storm.processes} processes, Redis, median of ${storm.rounds} rounds`
row(
  `Refresh storm on one session (${stormSetting})`,
  `1 refresh grant per round: ${storm.narrow.grantsOk ? 'yes' : 'NO'}; ${storm.errors} errors in all storms; p50 ${times(storm.narrow.p50Ms)}, p99 ${times(storm.narrow.p99Ms)} a lone refresh (${storm.loneMs.toFixed(1)} ms)`,
  'grants = sessions; p99 < 3× a lone refresh',
  storm.narrow.grantsOk && storm.errors === 0 && storm.narrow.p99Ms < 3 * storm.loneMs,
)
row(
  `Refresh storm on ${storm.wideSessions} sessions (${stormSetting})`,
  `${storm.wideSessions} refresh grants per round: ${storm.wide.grantsOk ? 'yes' : 'NO'}; p50 ${times(storm.wide.p50Ms)}, p99 ${times(storm.wide.p99Ms)} a lone refresh; the same ${storm.wideSessions} grants without the herd (one caller per session): p99 ${times(storm.queue.p99Ms)} a lone refresh, so the herd adds ${(storm.wide.p99Ms / storm.queue.p99Ms).toFixed(2)}× to the emulator's queue`,
  'grants = sessions; p99 < 3× a lone refresh',
  storm.wide.grantsOk && storm.errors === 0 && storm.wide.p99Ms < 3 * storm.loneMs,
)

console.error('5/6 browser weight…')
const weight = await browserWeight()
row(
  'Browser weight (min+gzip, react external)',
  Object.entries(weight)
    .map(([name, bytes]) => `${name} ${(bytes / 1000).toFixed(1)} KB`)
    .join(', '),
  '@jiko-auth/react ≤ 16.5 KiB (16 KB until inspectors saw events redacted by default)',
  weight['@jiko-auth/react'] <= 16.5 * 1024,
)

console.error('6/6 memory per session…')
const memory = await sessionMemory()
row(
  'Memory per session (openid scope)',
  Object.entries(memory)
    .map(([store, bytes]) => `${store} ${bytes} B`)
    .join(', '),
  '≤ 2 KB',
  Object.values(memory).every((bytes) => bytes <= 2048),
)

const date = new Date().toISOString().slice(0, 10)
const versions = `Node ${process.version}, @jiko-auth/core ${version('@jiko-auth/core')}, openid-client ${version('openid-client')}, iron-session ${version('iron-session')}, react-oidc-context ${version('react-oidc-context')}, oidc-client-ts ${version('oidc-client-ts')}, @auth0/auth0-react ${version('@auth0/auth0-react')}`
const table = [
  '| benchmark | measured | goal | result |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.benchmark} | ${r.measured} | ${r.goal} | ${r.result} |`),
].join('\n')
const markdown = `# Benchmark results

Measured on ${date} on a 2-core machine; ${versions}. Medians over 12 interleaved rounds after 2 warm-up rounds (the refresh storm: 10 rounds after 3);
read the ratios, not the absolute times. Rerun with \`pnpm bench\`.

${table}
`
writeFileSync(new URL('../results.md', import.meta.url), markdown)
console.log(table)
