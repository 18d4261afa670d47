// Prints the audit trail's `userIdHash` of user ids (LOG_USER_ID=hash), to find their lines in the logs.
//
//   npm run hash-user-id -- <user id>… [--env <name>] [--env-file <file>]… [--config wrangler.toml]
//
// It reads the variables as `npm run doctor` does (the process environment, then .dev.vars or
// --env-file, then wrangler.toml) and derives the key as the Worker does: from TOKEN_CACHE_KEY when
// set, else from the credential (the client secret, the certificate's key, or the access key).
// Production secrets are not readable from Cloudflare: pass them in the environment.
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parseConfig } from '../src/config'
import { prepareCredential } from '../src/entra/credential'
import { createUserIdHasher, hashKeyMaterial } from '../src/lib/user-id-hash'
import { loadVariables } from './doctor/variables'

export async function hashUserIds(
  argv: string[],
  options: { cwd?: string; processEnv?: Record<string, string | undefined> } = {},
): Promise<{ code: number; lines: string[] }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      'env-file': { type: 'string', multiple: true },
      config: { type: 'string', default: 'wrangler.toml' },
    },
  })
  if (positionals.length === 0) {
    return { code: 2, lines: ['usage: npm run hash-user-id -- <user id>… [--env <name>]'] }
  }
  const loaded = await loadVariables({
    cwd: options.cwd ?? process.cwd(),
    configPath: values.config ?? 'wrangler.toml',
    env: values.env,
    envFiles: values['env-file'],
    processEnv: options.processEnv ?? process.env,
  })
  const parsed = parseConfig(loaded.vars)
  if (!parsed.ok) {
    return {
      code: 1,
      lines: parsed.problems.map((p) => `${p.variable} ${p.problem}`),
    }
  }
  const { config } = parsed
  const credentialMaterial =
    config.signing === 'access-key'
      ? new TextEncoder().encode(config.accessKey)
      : (await prepareCredential(config.credential)).keyMaterial
  const hash = await createUserIdHasher(hashKeyMaterial(config.cacheKeyBase64, credentialMaterial))
  const lines = [
    ...(config.cacheKeyBase64 === undefined
      ? ['(no TOKEN_CACHE_KEY: the key comes from the credential; rotating it changes the hashes)']
      : []),
  ]
  for (const userId of positionals) lines.push(`${await hash(userId)}  ${userId}`)
  return { code: 0, lines }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { code, lines } = await hashUserIds(process.argv.slice(2))
  for (const line of lines) (code === 0 ? console.log : console.error)(line)
  process.exit(code)
}
