// Sums vitest's JSON reports over every package and prints "N passed, N failed".
// Exits 1 when a test failed, when no test ran at all, or when a package with tests wrote no report.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

let passed = 0
let failed = 0
const missing = []
const dirs = ['bench']
for (const root of ['packages', 'apps', 'examples']) {
  if (existsSync(root)) dirs.push(...readdirSync(root).map((name) => join(root, name)))
}
for (const dir of dirs) {
  const pkgFile = join(dir, 'package.json')
  if (!existsSync(pkgFile)) continue
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
  if (!pkg.scripts?.test) continue
  const report = join(dir, 'test-results.json')
  if (!existsSync(report)) {
    missing.push(pkg.name)
    continue
  }
  const result = JSON.parse(readFileSync(report, 'utf8'))
  passed += result.numPassedTests
  failed += result.numFailedTests + filesThatDidNotRun(result)
}

/** Test files that failed without a failing test (an import or syntax error): each counts as one failure. */
function filesThatDidNotRun(result) {
  return (result.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length
}

if (missing.length > 0) console.log(`no test report from: ${missing.join(', ')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || passed === 0 || missing.length > 0 ? 1 : 0)
