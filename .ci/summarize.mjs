// Sums vitest's JSON reports over every package, per Node version, and prints a line per version and last one line
// "N passed, N failed" over them all. The machine Node's run left its reports in the packages; the other versions'
// runs (scripts/test-node-versions.sh) kept theirs in .test-results/node-v<version>/, laid out the same way.
// Arguments: the Node majors that must have run (e.g. `20 22 24`).
// Exits 1 when a test failed, when no test ran at all, when a package with tests wrote no report in a run, or when
// a required Node major did not run.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dirs = ['bench']
for (const root of ['packages', 'apps', 'examples']) {
  if (existsSync(root)) dirs.push(...readdirSync(root).map((name) => join(root, name)))
}
const tested = dirs.filter((dir) => {
  const pkgFile = join(dir, 'package.json')
  return existsSync(pkgFile) && JSON.parse(readFileSync(pkgFile, 'utf8')).scripts?.test
})

const runs = [{ version: process.version, root: '.' }]
if (existsSync('.test-results')) {
  for (const name of readdirSync('.test-results')) {
    if (name.startsWith('node-v'))
      runs.push({ version: name.slice('node-'.length), root: join('.test-results', name) })
  }
}

/** Test files that failed without a failing test (an import or syntax error): each counts as one failure. */
function filesThatDidNotRun(result) {
  return (result.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length
}

const major = (version) => Number(version.slice(1).split('.')[0])
const byVersion = (a, b) => {
  const [x, y] = [a.version, b.version].map((v) => v.slice(1).split('.').map(Number))
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
}

let passed = 0
let failed = 0
let incomplete = false
const ran = new Set()
for (const run of runs.sort(byVersion)) {
  let runPassed = 0
  let runFailed = 0
  const missing = []
  for (const dir of tested) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const report = join(run.root, dir, 'test-results.json')
    if (!existsSync(report)) {
      missing.push(pkg.name)
      continue
    }
    const result = JSON.parse(readFileSync(report, 'utf8'))
    runPassed += result.numPassedTests
    runFailed += result.numFailedTests + filesThatDidNotRun(result)
  }
  if (missing.length === tested.length && run.root === '.') continue // no run on the machine's Node
  if (missing.length > 0) incomplete = true
  ran.add(major(run.version))
  passed += runPassed
  failed += runFailed
  const gap = missing.length > 0 ? `; no test report from: ${missing.join(', ')}` : ''
  console.log(`Node ${run.version}: ${runPassed} passed, ${runFailed} failed${gap}`)
}

const required = process.argv.slice(2).map(Number)
const absent = required.filter((wanted) => !ran.has(wanted))
if (absent.length > 0) console.log(`no test run on Node ${absent.join(', ')}`)

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || passed === 0 || incomplete || absent.length > 0 ? 1 : 0)
