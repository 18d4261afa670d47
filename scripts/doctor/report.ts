// The doctor's result: its steps, the exit code they imply, and the human and JSON renderings.

export type StepStatus = 'ok' | 'fail' | 'warn' | 'skip'

export type StepId =
  | 'config'
  | 'entra-token'
  | 'token-claims'
  | 'clock'
  | 'auth-api'
  | 'access-key'
  | 'failover'
  | 'cache'

export interface StepResult {
  id: StepId
  title: string
  status: StepStatus
  /** One line: what was found. */
  summary: string
  /** What to do, on `fail` and `warn`: exact commands and variable names; null when nothing is to do. */
  fix: string | null
  /** Further lines (claims, measurements, notes); never a secret or a token. */
  details: string[]
  /** The same facts for programs (`--json`): numbers, codes, ids. */
  data?: Record<string, unknown>
}

export interface DoctorReport {
  /** True when a client token was issued on every configured resource and no step failed. */
  ok: boolean
  exitCode: 0 | 1
  clientTokenIssued: boolean
  /** How client tokens are signed; null when the configuration does not say. */
  mode: 'entra' | 'access-key' | null
  /** Where the variables came from, highest precedence first. */
  sources: string[]
  steps: StepResult[]
}

export function step(
  id: StepId,
  title: string,
  status: StepStatus,
  summary: string,
  extra: { fix?: string | null; details?: string[]; data?: Record<string, unknown> } = {},
): StepResult {
  return {
    id,
    title,
    status,
    summary,
    fix: extra.fix ?? null,
    details: extra.details ?? [],
    ...(extra.data === undefined ? {} : { data: extra.data }),
  }
}

export const skipped = (id: StepId, title: string, reason: string): StepResult =>
  step(id, title, 'skip', reason)

export function buildReport(
  steps: StepResult[],
  facts: { clientTokenIssued: boolean; mode: DoctorReport['mode']; sources: string[] },
): DoctorReport {
  const ok = facts.clientTokenIssued && !steps.some((s) => s.status === 'fail')
  return { ok, exitCode: ok ? 0 : 1, ...facts, steps }
}

const MARKS: Record<StepStatus, string> = { ok: '✓', fail: '✗', warn: '!', skip: '-' }

function indented(label: string, text: string): string[] {
  const [first = '', ...rest] = text.split('\n')
  return [`    ${label}${first}`, ...rest.map((line) => `    ${' '.repeat(label.length)}${line}`)]
}

export function renderHuman(report: DoctorReport): string {
  const lines = [`Variables from ${report.sources.join(' > ')} (highest precedence first)`, '']
  for (const s of report.steps) {
    lines.push(`${MARKS[s.status]} ${s.title}: ${s.summary}`)
    for (const detail of s.details) lines.push(...indented('', detail))
    if (s.fix !== null && s.status !== 'ok' && s.status !== 'skip') {
      lines.push(...indented('fix: ', s.fix))
    }
  }
  lines.push('')
  lines.push(
    report.ok
      ? 'Result: a client token could be issued (exit 0).'
      : report.clientTokenIssued
        ? 'Result: a client token was issued, but a check failed: fix the ✗ steps above (exit 1).'
        : 'Result: no client token could be issued: fix the ✗ steps above (exit 1).',
  )
  return `${lines.join('\n')}\n`
}

export function renderJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}
