// The doctor's main function: read the variables, run the steps in order, print, return the exit code.
//
// Everything from outside comes in through DoctorOptions (argv, the environment, the working
// directory, the output streams, fetch and the clock), so that tests run it in-process.
import type { Config } from '../../src/config'
import { parseDoctorArgs, USAGE, type DoctorArgs } from './args'
import { cacheStep } from './cache-step'
import { configStep } from './config-step'
import { createContext, DEFAULT_TIMEOUT_MS, type DoctorContext } from './context'
import { entraSteps } from './entra-step'
import { createRedactor } from './redact'
import {
  buildReport,
  renderHuman,
  renderJson,
  skipped,
  type DoctorReport,
  type StepResult,
} from './report'
import { accessKeySteps, authApiStep, failoverStep } from './resource-steps'
import { loadVariables, VariablesError, type LoadedVariables } from './variables'

export interface DoctorOutput {
  write(text: string): unknown
}

export interface DoctorOptions {
  argv: readonly string[]
  /** The process environment: its negotiator variables take precedence over every file. */
  env: Record<string, string | undefined>
  cwd: string
  stdout: DoctorOutput
  stderr: DoctorOutput
  fetch?: typeof fetch
  /** This machine's clock (epoch ms); tests move it to show clock skew. */
  now?: () => number
  timeoutMs?: number
}

/** Returns the exit code: 0 when a client token could be issued and nothing failed, 1, or 2 (usage). */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  let args: DoctorArgs
  try {
    args = parseDoctorArgs(options.argv)
  } catch (error) {
    options.stderr.write(`doctor: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (args.help) {
    options.stdout.write(USAGE)
    return 0
  }
  let loaded: LoadedVariables
  try {
    loaded = await loadVariables({
      cwd: options.cwd,
      configPath: args.configPath,
      env: args.env,
      envFiles: args.envFiles,
      processEnv: options.env,
    })
  } catch (error) {
    if (!(error instanceof VariablesError)) throw error
    options.stderr.write(`doctor: ${error.message}\n`)
    return 2
  }
  const redactor = createRedactor(loaded.vars)
  const context = createContext({
    fetch: options.fetch ?? fetch,
    now: options.now ?? Date.now,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    redactor,
  })
  let report: DoctorReport
  try {
    report = await diagnose(loaded, args, context)
  } catch (error) {
    // A bug, not a finding: say so without a stack (whose locals could hold anything).
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    options.stderr.write(redactor.redact(`doctor: internal error: ${message}\n`))
    return 1
  }
  options.stdout.write(redactor.redact(args.json ? renderJson(report) : renderHuman(report)))
  return report.exitCode
}

const ENTRA_IDS = [
  ['entra-token', 'Entra token'],
  ['token-claims', 'Token claims'],
  ['clock', 'Clock'],
  ['auth-api', 'Auth API'],
] as const

export async function diagnose(
  loaded: LoadedVariables,
  args: DoctorArgs,
  context: DoctorContext,
): Promise<DoctorReport> {
  const outcome = await configStep(loaded, context.now())
  const steps: StepResult[] = [outcome.step]
  const config: Config | undefined = outcome.config
  let issued = false
  let entra: { accessToken: string; claims: Record<string, unknown> | undefined } | undefined

  if (config?.signing === 'entra') {
    if (outcome.credential === undefined) {
      for (const [id, title] of ENTRA_IDS) {
        steps.push(skipped(id, title, 'needs a usable credential (step Configuration)'))
      }
    } else {
      const result = await entraSteps(config, outcome.credential, outcome, context)
      steps.push(...result.steps)
      if (result.token === undefined) {
        steps.push(skipped('auth-api', 'Auth API', 'needs an Entra token (step Entra token)'))
      } else {
        entra = { accessToken: result.token.accessToken, claims: result.claims }
        const probe = await authApiStep(config, result.token.accessToken, result.claims, context)
        steps.push(probe.step)
        issued = probe.issued
      }
    }
    steps.push(skipped('access-key', 'Access key', 'Entra mode: no access key is used'))
  } else if (config?.signing === 'access-key') {
    const result = await accessKeySteps(config, context)
    steps.push(...result.steps)
    issued = result.issued
    for (const [id, title] of ENTRA_IDS) {
      if (id !== 'clock') {
        steps.push(skipped(id, title, 'access-key mode: no Entra token and no Auth API'))
      }
    }
  } else {
    for (const [id, title] of [...ENTRA_IDS, ['access-key', 'Access key'] as const]) {
      steps.push(skipped(id, title, 'needs a valid configuration (step Configuration)'))
    }
  }

  if (config === undefined) {
    steps.push(skipped('failover', 'Failover resources', 'needs a valid configuration'))
  } else {
    steps.push(await failoverStep(config, config.resources, entra, context))
  }
  steps.push(cacheStep(loaded, args.env, config))
  return buildReport(steps, {
    clientTokenIssued: issued,
    mode: config?.signing ?? null,
    sources: loaded.sources,
  })
}
