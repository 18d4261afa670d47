// Prints the plain `N passed, N failed` line CI reads, from vitest's JSON report.
import { readFileSync } from 'node:fs'

const path = process.argv[2] ?? 'reports/vitest.json'
let report
try {
  report = JSON.parse(readFileSync(path, 'utf8'))
} catch {
  // No report means the runner never got to run anything: say so in the count.
  console.log('0 passed, 1 failed')
  process.exit(0)
}
// A file that fails to load has no test results of its own; count it as one failure.
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0,
).length
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + brokenFiles
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
