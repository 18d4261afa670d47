// Reports config problems at start-up, which `wrangler dev` would show only on the first request.
//
//   tsx scripts/check-config.ts [--env <name>] [--env-file <path>]… [--config wrangler.toml] [--strict]
//
// It reads the variables exactly as `wrangler dev` does (wrangler's own config reader and its
// .dev.vars / .env / --env-file loading) and validates them with the negotiator's own parseConfig.
// It only warns (exit 0) so that `wrangler dev` still starts and shows the same problems over HTTP;
// --strict exits 1 when there are problems.
import { existsSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { unstable_getVarsForDev, unstable_readConfig } from 'wrangler'
import { parseConfig, type ConfigProblem } from '../src/config'

export interface CheckConfigOptions {
  /** The Wrangler configuration file; default wrangler.toml in the working directory. */
  configPath?: string
  /** The Wrangler environment (`--env`); undefined for the top level. */
  env?: string
  /** As `wrangler dev --env-file`: when given, .dev.vars and .env are not read. */
  envFiles?: string[]
}

export interface CheckConfigResult {
  /** Where the variables came from, for the message. */
  sources: string[]
  /** True when no local variables file exists (neither given nor found). */
  noLocalFile: boolean
  /** Empty when the configuration is valid. */
  problems: ConfigProblem[]
  authMode: string | undefined
  hubs: readonly string[]
}

/** The local files wrangler dev reads when no --env-file is given (Wrangler docs, "Local development"). */
export function localVariableFiles(configDir: string, env: string | undefined): string[] {
  const devVars = [...(env === undefined ? [] : [`.dev.vars.${env}`]), '.dev.vars']
  const firstDevVars = devVars.find((name) => existsSync(resolve(configDir, name)))
  if (firstDevVars !== undefined) return [firstDevVars]
  const dotEnv = ['.env', '.env.local']
  if (env !== undefined) dotEnv.push(`.env.${env}`, `.env.${env}.local`)
  return dotEnv.filter((name) => existsSync(resolve(configDir, name)))
}

export function checkConfig(options: CheckConfigOptions = {}): CheckConfigResult {
  const config = unstable_readConfig(
    { config: options.configPath ?? 'wrangler.toml', env: options.env },
    { hideWarnings: true },
  )
  const configPath = config.configPath ?? resolve('wrangler.toml')
  const configDir = dirname(configPath)
  const bindings = unstable_getVarsForDev(
    configPath,
    options.envFiles,
    config.vars,
    options.env,
    true,
  )
  const env = Object.fromEntries(
    Object.entries(bindings).map(([name, binding]) => [name, binding.value]),
  )
  const files = options.envFiles ?? localVariableFiles(configDir, options.env)
  const section = options.env === undefined ? '[vars]' : `[env.${options.env}]`
  const shown = (file: string): string => {
    const path = resolve(configDir, file)
    const fromHere = relative(process.cwd(), path)
    return fromHere.startsWith('..') ? path : fromHere
  }
  const sources = [`${basename(configPath)} ${section}`, ...files.map(shown)]
  const result = parseConfig(env)
  return {
    sources,
    noLocalFile: files.length === 0,
    problems: result.ok ? [] : result.problems,
    authMode: result.ok ? result.config.auth.mode : undefined,
    hubs: result.ok ? result.config.hubs : [],
  }
}

/** The lines printed for a result; the first names the sources. */
export function describeResult(result: CheckConfigResult): string[] {
  const from = result.sources.join(' + ')
  if (result.problems.length === 0) {
    const lines = [
      `config: valid (${from}): AUTH_MODE=${result.authMode}, hubs ${result.hubs.join(', ')}`,
    ]
    if (result.authMode === 'anonymous') {
      lines.push('config: AUTH_MODE=anonymous: anyone can negotiate a connection')
    }
    return lines
  }
  const width = Math.max(...result.problems.map((p) => p.variable.length))
  return [
    `config: ${result.problems.length} problem(s) in ${from}; /negotiate and /readyz answer ` +
      'config_invalid until they are fixed:',
    ...result.problems.map((p) => `  ${p.variable.padEnd(width)}  ${p.problem}`),
    ...(result.noLocalFile
      ? ['  No .dev.vars found: copy .dev.vars.example to .dev.vars and fill it in.']
      : []),
  ]
}

function main(): void {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      env: { type: 'string' },
      'env-file': { type: 'string', multiple: true },
      strict: { type: 'boolean', default: false },
    },
  })
  let result: CheckConfigResult
  try {
    result = checkConfig({
      configPath: values.config,
      env: values.env === '' ? undefined : values.env,
      envFiles: values['env-file'],
    })
  } catch (error) {
    // wrangler reports the same error itself when it starts; say it once here too.
    console.error(`config: could not read the configuration: ${(error as Error).message}`)
    process.exit(values.strict ? 1 : 0)
  }
  const lines = describeResult(result)
  const print = result.problems.length === 0 ? console.log : console.error
  for (const line of lines) print(line)
  if (values.strict && result.problems.length > 0) process.exit(1)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main()
}
