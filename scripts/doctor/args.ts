// The doctor's command line: which variables to read and how to print.
import { parseArgs } from 'node:util'

export interface DoctorArgs {
  json: boolean
  help: boolean
  /** Wrangler environment (`--env`); undefined for the top level (production). */
  env: string | undefined
  /** `--env-file`, repeatable: read instead of .dev.vars (as `wrangler dev --env-file`). */
  envFiles: string[] | undefined
  /** `--config`: the Wrangler configuration file, default wrangler.toml. */
  configPath: string
}

export const USAGE = `Usage: npm run doctor -- [--env <name>] [--env-file <file>]... [--config wrangler.toml] [--json]

Checks the Azure setup the negotiator's variables describe: the configuration, the Entra token,
the Web PubSub Auth API (or the access key), failover resources, and the KV cache settings.

Variables, highest precedence first: the process environment; --env-file files (else
.dev.vars.<env> / .dev.vars, else .env files, as wrangler dev reads them); wrangler.toml [vars]
(or [env.<name>.vars] with --env <name>).

  --env <name>      read [env.<name>] of wrangler.toml instead of the top level (production)
  --env-file <file> read this file instead of .dev.vars (repeatable)
  --config <file>   the Wrangler configuration file (default wrangler.toml)
  --json            print one JSON object instead of text
  --help            print this help

Exit code: 0 when a client token could be issued (on every configured resource) and no check
failed; 1 otherwise; 2 for a usage error. Secrets and tokens are never printed.
`

export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      env: { type: 'string' },
      'env-file': { type: 'string', multiple: true },
      config: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  })
  return {
    json: values.json ?? false,
    help: values.help ?? false,
    env: values.env === undefined || values.env === '' ? undefined : values.env,
    envFiles: values['env-file'],
    configPath: values.config ?? 'wrangler.toml',
  }
}
