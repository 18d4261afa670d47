// npm run doctor's inputs and hints: variable precedence, flags, the KV hints, the redactor, the fixes' text.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entraError } from '../../src/entra/aadsts'
import { parseConfig, type EntraConfig } from '../../src/config'
import { adviseEntraFailure } from '../../scripts/doctor/aadsts-advice'
import { cloudMismatch } from '../../scripts/doctor/clouds'
import { runDoctor } from '../../scripts/doctor/main'
import { createRedactor } from '../../scripts/doctor/redact'
import type { DoctorReport } from '../../scripts/doctor/report'
import { resourceNameOf, roleAssignmentFix } from '../../scripts/doctor/role-fix'
import { loadVariables } from '../../scripts/doctor/variables'

const WRANGLER_TOML = `
name = "doctor-test"
main = "src/index.ts"
compatibility_date = "2026-04-20"

[vars]
AZURE_CLIENT_ID = "from-toml"
WEBPUBSUB_HUBS = "tomlhub"
TOKEN_TTL_MINUTES = "30"

[[kv_namespaces]]
binding = "TOKEN_CACHE"
id = "00000000000000000000000000000000"

[env.staging.vars]
WEBPUBSUB_HUBS = "staginghub"
AZURE_CLIENT_SECRET = "emu8Q~committed-by-mistake-000000000000"

[[env.staging.kv_namespaces]]
binding = "TOKEN_CACHE"
id = "0123456789abcdef0123456789abcdef"

[env.bare.vars]
WEBPUBSUB_HUBS = "barehub"
`

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-vars-'))
  await writeFile(join(dir, 'wrangler.toml'), WRANGLER_TOML)
  await writeFile(
    join(dir, '.dev.vars'),
    'AZURE_CLIENT_ID="from-dev-vars"\nWEBPUBSUB_HUBS="devhub"\n',
  )
  await writeFile(join(dir, '.dev.vars.staging'), 'WEBPUBSUB_HUBS="stagingdevhub"\n')
  await writeFile(join(dir, 'other.vars'), 'AZURE_TENANT_ID="from-other-file"\n')
})

afterAll(() => rm(dir, { recursive: true, force: true }))

const load = (options: {
  env?: string
  envFiles?: string[]
  processEnv?: Record<string, string>
}) =>
  loadVariables({
    cwd: dir,
    configPath: 'wrangler.toml',
    env: options.env,
    envFiles: options.envFiles,
    processEnv: options.processEnv ?? {},
  })

async function doctor(argv: string[], env: Record<string, string> = {}) {
  let out = ''
  let err = ''
  const code = await runDoctor({
    argv,
    env,
    cwd: dir,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    // Nothing here may reach the network: every run below stops at the configuration.
    fetch: () => Promise.reject(new Error('no network in this test')),
  })
  return { code, out, err }
}

describe('doctor variables: precedence', () => {
  it('takes the environment over .dev.vars over wrangler.toml [vars], naming each origin', async () => {
    const loaded = await load({
      processEnv: { AZURE_CLIENT_ID: 'from-env', PATH: '/usr/bin', HOME: '/root' },
    })
    expect(loaded.vars).toMatchObject({
      AZURE_CLIENT_ID: 'from-env',
      WEBPUBSUB_HUBS: 'devhub',
      TOKEN_TTL_MINUTES: '30',
    })
    expect(loaded.vars).not.toHaveProperty('PATH')
    expect(loaded.origins).toMatchObject({
      AZURE_CLIENT_ID: 'the environment',
      WEBPUBSUB_HUBS: '.dev.vars',
      TOKEN_TTL_MINUTES: 'wrangler.toml [vars]',
    })
    expect(loaded.sources).toEqual([
      'the environment (AZURE_CLIENT_ID)',
      '.dev.vars',
      'wrangler.toml [vars]',
    ])
  })

  it('ignores an empty environment variable', async () => {
    expect((await load({ processEnv: { AZURE_CLIENT_ID: '' } })).vars.AZURE_CLIENT_ID).toBe(
      'from-dev-vars',
    )
  })

  it('reads --env-file instead of .dev.vars', async () => {
    const loaded = await load({ envFiles: ['other.vars'] })
    expect(loaded.vars).toMatchObject({
      AZURE_TENANT_ID: 'from-other-file',
      AZURE_CLIENT_ID: 'from-toml',
      WEBPUBSUB_HUBS: 'tomlhub',
    })
    expect(loaded.sources[1]).toBe('other.vars')
  })

  it('reads [env.<name>] and .dev.vars.<name> with --env, as wrangler dev does', async () => {
    const loaded = await load({ env: 'staging' })
    expect(loaded.vars.WEBPUBSUB_HUBS).toBe('stagingdevhub')
    expect(loaded.origins.WEBPUBSUB_HUBS).toBe('.dev.vars.staging')
    expect(loaded.wrangler.section).toBe('[env.staging]')
    expect(loaded.wrangler.kvNamespaces).toEqual([
      { binding: 'TOKEN_CACHE', id: '0123456789abcdef0123456789abcdef' },
    ])
    expect(loaded.fromToml).toContain('AZURE_CLIENT_SECRET')
  })

  it('refuses a missing --env-file and unknown flags with exit 2; --help prints the precedence', async () => {
    const missing = await doctor(['--env-file', 'nope.vars'])
    expect(missing).toMatchObject({ code: 2, out: '' })
    expect(missing.err).toContain('--env-file nope.vars: no such file')
    const unknown = await doctor(['--verbose'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('Usage: npm run doctor')
    const help = await doctor(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain(
      'Variables, highest precedence first: the process environment; --env-file',
    )
  })
})

describe('doctor: KV and cache key hints', () => {
  const cacheStep = async (argv: string[], env: Record<string, string> = {}) => {
    const run = await doctor([...argv, '--json'], env)
    return (JSON.parse(run.out) as DoctorReport).steps.find((s) => s.id === 'cache')
  }

  it('warns about the placeholder KV id at the top level (production)', async () => {
    const cache = await cacheStep([])
    expect(cache?.status).toBe('warn')
    expect(cache?.summary).toContain('placeholder id 00000000000000000000000000000000')
    expect(cache?.fix).toContain('npx wrangler kv namespace create TOKEN_CACHE')
  })

  it('is content with a real KV id, and explains TOKEN_CACHE_KEY either way', async () => {
    const without = await cacheStep(['--env', 'staging'])
    expect(without?.status).toBe('ok')
    expect(without?.details.join('\n')).toContain(
      'TOKEN_CACHE_KEY is not set: the key of the cached entries is derived from the client secret',
    )
    const withKey = await cacheStep(['--env', 'staging'], {
      TOKEN_CACHE_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    })
    expect(withKey?.details.join('\n')).toContain('TOKEN_CACHE_KEY is set')
  })

  it('warns when no TOKEN_CACHE is bound', async () => {
    const cache = await cacheStep(['--env', 'bare'])
    expect(cache?.status).toBe('warn')
    expect(cache?.summary).toContain('no TOKEN_CACHE KV binding in [env.bare] of wrangler.toml')
    expect(cache?.fix).toContain('[[env.bare.kv_namespaces]] binding = "TOKEN_CACHE"')
  })

  it('warns about a secret written in wrangler.toml, without quoting it', async () => {
    const run = await doctor(['--env', 'staging'])
    expect(run.out).toContain('AZURE_CLIENT_SECRET is set in wrangler.toml, which is committed')
    expect(run.out).not.toContain('committed-by-mistake')
  })
})

describe('doctor: redactor', () => {
  it('removes secret values, access keys, PEM blocks, JWTs and added tokens', () => {
    const redactor = createRedactor({
      AZURE_CLIENT_SECRET: 'emu8Q~a-secret-value-000000000',
      WEBPUBSUB_CONNECTION_STRING:
        'Endpoint=https://x.webpubsub.azure.com;AccessKey=KeyKeyKeyKey123=;Version=1.0;',
      WEBPUBSUB_HUBS: 'chat',
    })
    redactor.add('opaque-token-value-1234')
    const text = [
      'secret emu8Q~a-secret-value-000000000',
      'key KeyKeyKeyKey123=',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln',
      '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      'opaque-token-value-1234',
      'hub chat',
    ].join('\n')
    const out = redactor.redact(text)
    for (const leaked of ['emu8Q~', 'KeyKeyKeyKey123', 'eyJhbGci', 'MIIE', 'opaque-token']) {
      expect(out).not.toContain(leaked)
    }
    expect(out).toContain('hub chat')
  })
})

describe('doctor: fixes', () => {
  it('takes the resource name from a *.webpubsub.azure.com host, else a placeholder', () => {
    expect(resourceNameOf('https://contoso-eu.webpubsub.azure.com')).toBe('contoso-eu')
    expect(resourceNameOf('https://contoso.webpubsub.azure.cn')).toBe('contoso')
    expect(resourceNameOf('https://pubsub.contoso.com')).toBeUndefined()
    expect(roleAssignmentFix('app-id', 'https://contoso-eu.webpubsub.azure.com')).toContain(
      'az role assignment create --assignee app-id --role "Web PubSub Service Owner" --scope ' +
        '"$(az webpubsub show --name contoso-eu --resource-group <resource-group> --query id -o tsv)"',
    )
  })

  const entraConfig = (vars: Record<string, string> = {}): EntraConfig => {
    const parsed = parseConfig({
      AUTH_MODE: 'anonymous',
      AZURE_TENANT_ID: 'e0000000-0000-4000-8000-000000000001',
      AZURE_CLIENT_ID: 'e0000000-0000-4000-8000-0000000000a1',
      AZURE_CLIENT_SECRET: 'emu8Q~whatever-000000000000',
      WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.com',
      WEBPUBSUB_HUBS: 'chat',
      ...vars,
    })
    if (!parsed.ok || parsed.config.signing !== 'entra') throw new Error('test config is invalid')
    return parsed.config
  }

  it.each([500011, 50001, 500001, 70011])(
    'explains AADSTS%i as a scope of another cloud, naming both variables',
    (aadsts) => {
      const error = entraError(400, { error: 'invalid_resource', error_codes: [aadsts] })
      const advice = adviseEntraFailure(error, { config: entraConfig(), secretLooksLikeId: false })
      expect(advice.summary).toContain(
        `WEBPUBSUB_SCOPE https://webpubsub.azure.com/.default (AADSTS${aadsts})`,
      )
      expect(advice.fix).toContain('AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn')
      expect(advice.fix).toContain('AZURE_AUTHORITY_HOST=https://login.microsoftonline.us')
    },
  )

  it('names the missing service principal (AADSTS7000229) with az ad sp create', () => {
    const error = entraError(401, { error: 'invalid_client', error_codes: [7000229] })
    const advice = adviseEntraFailure(error, { config: entraConfig(), secretLooksLikeId: false })
    expect(advice.fix).toBe('Create it: az ad sp create --id e0000000-0000-4000-8000-0000000000a1')
  })

  it('names the clouds of a mixed setup', () => {
    const mixed = cloudMismatch(
      entraConfig({ WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.cn' }),
    )
    expect(mixed?.problem).toBe(
      'WEBPUBSUB_ENDPOINT is in Azure China, WEBPUBSUB_SCOPE is in public Azure, AZURE_AUTHORITY_HOST is in public Azure',
    )
    expect(mixed?.fix).toContain(
      'AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn and WEBPUBSUB_SCOPE=https://webpubsub.azure.cn/.default',
    )
    expect(cloudMismatch(entraConfig())).toBeUndefined()
  })
})
