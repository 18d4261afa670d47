// Step 5: hints about the KV cache and its key (warnings, never failures: the Worker runs without KV).
//
// What the README says: TOKEN_CACHE caches the Entra token and the caller-verification keys,
// encrypted and authenticated, and without it the Worker keeps them in isolate memory only;
// TOKEN_CACHE_KEY is the AES key of the KV and Cache API entries, derived from the credential
// with HKDF when absent. A KV namespace id comes from `wrangler kv namespace create`
// (Cloudflare docs, "KV bindings").
import type { Config } from '../../src/config'
import { step, type StepResult } from './report'
import type { LoadedVariables } from './variables'

const TITLE = 'KV cache'
const PLACEHOLDER_ID = /^0+$/

export function cacheStep(
  loaded: LoadedVariables,
  env: string | undefined,
  config: Config | undefined,
): StepResult {
  const warnings: string[] = []
  const fixes: string[] = []
  const notes: string[] = []
  const { file, kvNamespaces } = loaded.wrangler
  const where = env === undefined ? `the top level of ${file}` : `[env.${env}] of ${file}`
  const create =
    'npx wrangler kv namespace create TOKEN_CACHE, then put the printed id in ' +
    `[[${env === undefined ? '' : `env.${env}.`}kv_namespaces]] binding = "TOKEN_CACHE" of ${file ?? 'wrangler.toml'}`

  if (file === undefined) {
    notes.push('no wrangler.toml: the TOKEN_CACHE binding was not checked')
  } else {
    const kv = kvNamespaces.find((namespace) => namespace.binding === 'TOKEN_CACHE')
    if (kv === undefined) {
      warnings.push(
        `no TOKEN_CACHE KV binding in ${where}: the Entra token and the callers' signing keys are ` +
          'cached in isolate memory only, so every new isolate asks Entra (and the issuer) again',
      )
      fixes.push(create)
    } else if (kv.id === undefined || PLACEHOLDER_ID.test(kv.id)) {
      const text =
        `TOKEN_CACHE is bound to the placeholder id ${kv.id ?? '(none)'} in ${where}: fine for ` +
        'wrangler dev (kept under .wrangler/state), but a deployed Worker needs a real namespace'
      if (env === undefined) {
        warnings.push(text)
        fixes.push(create)
      } else notes.push(text)
    } else {
      notes.push(`TOKEN_CACHE is bound to KV namespace ${kv.id} (${where})`)
    }
  }

  const credential =
    config?.signing === 'access-key'
      ? 'the access key'
      : config?.signing === 'entra' && config.credential.kind === 'certificate'
        ? 'the certificate'
        : 'the client secret'
  if (loaded.vars.TOKEN_CACHE_KEY === undefined) {
    notes.push(
      `TOKEN_CACHE_KEY is not set: the key of the cached entries is derived from ${credential} ` +
        '(HKDF), so rotating it makes the entries in KV and the Cache API unreadable: they are ' +
        'fetched again, which is fine. Set TOKEN_CACHE_KEY (openssl rand -base64 32) for a key of its own.',
    )
  } else {
    notes.push(
      'TOKEN_CACHE_KEY is set: it encrypts the KV and Cache API entries; rotating it makes them ' +
        'unreadable, and they are fetched again.',
    )
  }
  if (config?.signing === 'access-key') {
    notes.push(
      "access-key mode: no Entra token is cached; KV holds only the callers' signing keys (jwt mode)",
    )
  }
  if (config?.tokenReuse.enabled === false) {
    notes.push('TOKEN_REUSE=off: every negotiation calls the Auth API')
  }

  if (warnings.length > 0) {
    return step('cache', TITLE, 'warn', warnings.join('; '), {
      fix: fixes.join('\n'),
      details: notes,
    })
  }
  return step('cache', TITLE, 'ok', 'nothing to change', { details: notes })
}
