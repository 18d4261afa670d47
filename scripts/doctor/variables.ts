// Reads the negotiator's variables as the Worker would get them, and notes where each one came from.
//
// Precedence, highest first:
//   1. the process environment: only the negotiator's own variable names, and only when not
//      empty; production secrets live in Cloudflare (`wrangler secret put`), where the doctor
//      cannot read them, so an operator passes them this way without writing them to a file;
//   2. the local variables file(s): `--env-file` when given, else what `wrangler dev` reads
//      (.dev.vars.<env> or .dev.vars, else .env files), read by wrangler's own loader;
//   3. wrangler.toml: the top-level [vars] (production), or [env.<name>.vars] with --env <name>.
// 2 over 3 is wrangler dev's own rule (Cloudflare docs, "Local development"); 1 is the doctor's.
import { existsSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import { CONFIG_VARIABLES } from '../../src/config'

export interface KvNamespaceBinding {
  binding: string
  id: string | undefined
}

export interface LoadedVariables {
  vars: Record<string, unknown>
  /** Variable name → the source it was taken from (one of `sources`). */
  origins: Record<string, string>
  /** Where variables were looked for, highest precedence first. */
  sources: string[]
  /** Names taken from the process environment. */
  fromProcess: string[]
  /** Names whose value comes from wrangler.toml (which is committed). */
  fromToml: string[]
  wrangler: {
    /** The configuration file as shown, or undefined when there is none. */
    file: string | undefined
    /** `[vars]` or `[env.<name>]`. */
    section: string
    kvNamespaces: KvNamespaceBinding[]
  }
}

export class VariablesError extends Error {}

export interface LoadOptions {
  cwd: string
  configPath: string
  env: string | undefined
  envFiles: string[] | undefined
  processEnv: Record<string, string | undefined>
}

/** The process-environment names the doctor takes: the negotiator's, and any later WEBPUBSUB_ one. */
function isNegotiatorVariable(name: string): boolean {
  return (CONFIG_VARIABLES as readonly string[]).includes(name) || name.startsWith('WEBPUBSUB_')
}

export async function loadVariables(options: LoadOptions): Promise<LoadedVariables> {
  // Loaded on use: wrangler takes seconds to import, which --help and usage errors need not wait for.
  const { unstable_getVarsForDev, unstable_readConfig } = await import('wrangler')
  const { localVariableFiles } = await import('../check-config')
  const shown = (path: string): string => {
    const fromHere = relative(options.cwd, path)
    return fromHere === '' || fromHere.startsWith('..') ? path : fromHere
  }
  const configPath = resolve(options.cwd, options.configPath)
  const configDir = dirname(configPath)
  const section = options.env === undefined ? '[vars]' : `[env.${options.env}]`
  const hasConfig = existsSync(configPath)
  if (!hasConfig && options.configPath !== 'wrangler.toml') {
    throw new VariablesError(`--config ${options.configPath}: no such file`)
  }
  const envFiles = options.envFiles?.map((file) => resolve(options.cwd, file))
  for (const [index, file] of (envFiles ?? []).entries()) {
    if (!existsSync(file)) {
      throw new VariablesError(`--env-file ${options.envFiles?.[index]}: no such file`)
    }
  }

  let tomlVars: Record<string, unknown> = {}
  let kvNamespaces: KvNamespaceBinding[] = []
  if (hasConfig) {
    let config: ReturnType<typeof unstable_readConfig>
    try {
      config = unstable_readConfig({ config: configPath, env: options.env }, { hideWarnings: true })
    } catch (error) {
      throw new VariablesError(`${shown(configPath)}: ${(error as Error).message}`)
    }
    tomlVars = { ...config.vars }
    kvNamespaces = config.kv_namespaces.map((kv: { binding: string; id?: string }) => ({
      binding: kv.binding,
      id: kv.id,
    }))
  }
  // Only the file(s): wrangler.toml's vars are merged below, so that each value has one origin.
  const fileBindings = unstable_getVarsForDev(configPath, envFiles, {}, options.env, true)
  const fileVars = Object.fromEntries(
    Object.entries(fileBindings).map(([name, binding]) => [name, binding.value]),
  )
  const files = (
    envFiles ?? localVariableFiles(configDir, options.env).map((f) => resolve(configDir, f))
  ).map(shown)
  const fileLabel = files.length === 0 ? undefined : files.join(', ')

  const processVars: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.processEnv)) {
    if (isNegotiatorVariable(name) && value !== undefined && value !== '') processVars[name] = value
  }

  const tomlLabel = hasConfig ? `${basename(configPath)} ${section}` : undefined
  const vars: Record<string, unknown> = {}
  const origins: Record<string, string> = {}
  const layers: [string | undefined, Record<string, unknown>][] = [
    [tomlLabel, tomlVars],
    [fileLabel, fileVars],
    ['the environment', processVars],
  ]
  for (const [label, values] of layers) {
    for (const [name, value] of Object.entries(values)) {
      vars[name] = value
      origins[name] = label ?? 'unknown'
    }
  }
  const sources = [
    `the environment${Object.keys(processVars).length === 0 ? ' (none set)' : ` (${Object.keys(processVars).sort().join(', ')})`}`,
    fileLabel ?? (envFiles === undefined ? 'no .dev.vars' : 'no file'),
    tomlLabel ?? 'no wrangler.toml',
  ]
  return {
    vars,
    origins,
    sources,
    fromProcess: Object.keys(processVars).sort(),
    fromToml: Object.keys(origins).filter((name) => origins[name] === tomlLabel),
    wrangler: { file: hasConfig ? shown(configPath) : undefined, section, kvNamespaces },
  }
}
