import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import devVarsExample from '../.dev.vars.example?raw'
import readme from '../README.md?raw'
import wranglerToml from '../wrangler.toml?raw'
import { CONFIG_VARIABLES, parseConfig, type ConfigProblem } from '../src/config'
import { FAKE_CERT_PEM, FAKE_KEY_PEM } from './support/fake-pem'

const base = {
  AUTH_MODE: 'anonymous',
  AZURE_TENANT_ID: '11111111-1111-4111-8111-111111111111',
  AZURE_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  AZURE_CLIENT_SECRET: 'super-secret-value-123',
  WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.com',
  WEBPUBSUB_HUBS: 'chat, lobby',
}

const problemsOf = (env: Record<string, unknown>) => {
  const result = parseConfig(env)
  if (result.ok) throw new Error('expected problems')
  return result.problems
}

describe('config', () => {
  it('parses a complete configuration with defaults', () => {
    const result = parseConfig(base)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config).toMatchObject({
      auth: { mode: 'anonymous' },
      authorityHost: 'https://login.microsoftonline.com',
      tokenEndpoint:
        'https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/oauth2/v2.0/token',
      endpoint: 'https://contoso.webpubsub.azure.com',
      scope: 'https://webpubsub.azure.com/.default',
      hubs: ['chat', 'lobby'],
      tokenTtlMinutes: 60,
      credential: { kind: 'secret', secret: 'super-secret-value-123' },
    })
    expect(Object.isFrozen(result.config)).toBe(true)
  })

  it('reports every problem at once, naming each variable', () => {
    const problems = problemsOf({
      AZURE_TENANT_ID: 'not a tenant',
      WEBPUBSUB_ENDPOINT: 'http://contoso.webpubsub.azure.com',
      WEBPUBSUB_HUBS: '9bad',
      TOKEN_TTL_MINUTES: '0',
    })
    const variables = problems.map((p) => p.variable)
    expect(variables).toEqual(
      expect.arrayContaining([
        'AUTH_MODE',
        'AZURE_TENANT_ID',
        'AZURE_CLIENT_ID',
        'AZURE_CLIENT_SECRET',
        'WEBPUBSUB_ENDPOINT',
        'WEBPUBSUB_HUBS',
        'TOKEN_TTL_MINUTES',
      ]),
    )
  })

  it('requires AUTH_MODE explicitly and rejects unknown modes', () => {
    expect(problemsOf({ ...base, AUTH_MODE: undefined })).toEqual([
      expect.objectContaining({
        variable: 'AUTH_MODE',
        problem: expect.stringContaining('required'),
      }),
    ])
    expect(problemsOf({ ...base, AUTH_MODE: 'open' })[0]?.variable).toBe('AUTH_MODE')
  })

  it('requires issuer and audience in jwt mode and refuses symmetric algorithms', () => {
    const problems = problemsOf({ ...base, AUTH_MODE: 'jwt', AUTH_ALGORITHMS: 'RS256,HS256,none' })
    expect(problems.map((p) => p.variable)).toEqual([
      'AUTH_ISSUER',
      'AUTH_AUDIENCE',
      'AUTH_ALGORITHMS',
      'AUTH_ALGORITHMS',
    ])
    const ok = parseConfig({
      ...base,
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: 'https://idp.example.com/',
      AUTH_AUDIENCE: 'api',
    })
    expect(ok.ok && ok.config.auth).toEqual({
      mode: 'jwt',
      issuer: 'https://idp.example.com/',
      audience: 'api',
      jwksUrl: undefined,
      algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'],
      userClaim: 'sub',
      clockToleranceSeconds: 30,
      cookieName: undefined,
    })
  })

  it('derives the Cloudflare Access certificate URL from the team domain', () => {
    const ok = parseConfig({
      ...base,
      AUTH_MODE: 'cloudflare-access',
      CF_ACCESS_TEAM_DOMAIN: 'acme.cloudflareaccess.com',
      CF_ACCESS_AUD: 'tag',
    })
    expect(ok.ok && ok.config.auth).toMatchObject({
      mode: 'cloudflare-access',
      teamDomain: 'https://acme.cloudflareaccess.com',
      jwksUrl: 'https://acme.cloudflareaccess.com/cdn-cgi/access/certs',
      audience: 'tag',
    })
    expect(problemsOf({ ...base, AUTH_MODE: 'cloudflare-access' }).map((p) => p.variable)).toEqual([
      'CF_ACCESS_TEAM_DOMAIN',
      'CF_ACCESS_AUD',
    ])
  })

  it('accepts http endpoints only on loopback', () => {
    expect(parseConfig({ ...base, WEBPUBSUB_ENDPOINT: 'http://127.0.0.1:8788' }).ok).toBe(true)
    expect(parseConfig({ ...base, WEBPUBSUB_ENDPOINT: 'http://localhost:8788/' }).ok).toBe(true)
    expect(
      problemsOf({ ...base, WEBPUBSUB_ENDPOINT: 'https://x.webpubsub.azure.com/api' })[0],
    ).toMatchObject({
      variable: 'WEBPUBSUB_ENDPOINT',
      problem: expect.stringContaining('origin only'),
    })
    expect(
      problemsOf({ ...base, AZURE_AUTHORITY_HOST: 'http://login.example.com' })[0]?.variable,
    ).toBe('AZURE_AUTHORITY_HOST')
  })

  it('wants exactly one credential', () => {
    expect(
      problemsOf({ ...base, AZURE_CLIENT_CERTIFICATE: `${FAKE_KEY_PEM}\n${FAKE_CERT_PEM}` })[0]
        ?.problem,
    ).toContain('exactly one')
    expect(problemsOf({ ...base, AZURE_CLIENT_SECRET: '' })[0]?.variable).toBe(
      'AZURE_CLIENT_SECRET',
    )
  })

  it('never echoes a secret value in a problem', () => {
    const problems = problemsOf({
      ...base,
      AUTH_MODE: 'x',
      TOKEN_CACHE_KEY: 'c2VjcmV0LWNhY2hlLWtleQ==',
    })
    expect(problems.map((p) => p.variable)).toContain('TOKEN_CACHE_KEY')
    expect(JSON.stringify(problems)).not.toContain('c2VjcmV0LWNhY2hlLWtleQ')
    expect(JSON.stringify(problems)).not.toContain('super-secret-value-123')
  })

  it('validates hub names and duplicates', () => {
    expect(problemsOf({ ...base, WEBPUBSUB_HUBS: 'chat,Chat' })[0]?.problem).toContain('twice')
    expect(problemsOf({ ...base, WEBPUBSUB_HUBS: 'chat,has space' })[0]?.problem).toContain(
      'not a valid hub',
    )
    expect(problemsOf({ ...base, WEBPUBSUB_HUBS: ' , ' })[0]?.variable).toBe('WEBPUBSUB_HUBS')
  })

  it('checks the scope shape and the token lifetime range', () => {
    expect(
      problemsOf({ ...base, WEBPUBSUB_SCOPE: 'https://webpubsub.azure.com' })[0]?.variable,
    ).toBe('WEBPUBSUB_SCOPE')
    expect(problemsOf({ ...base, TOKEN_TTL_MINUTES: '1.5' })[0]?.variable).toBe('TOKEN_TTL_MINUTES')
    expect(problemsOf({ ...base, TOKEN_TTL_MINUTES: '1441' })[0]?.variable).toBe(
      'TOKEN_TTL_MINUTES',
    )
    const ok = parseConfig({ ...base, TOKEN_TTL_MINUTES: '15' })
    expect(ok.ok && ok.config.tokenTtlMinutes).toBe(15)
  })

  it('accepts a TOKEN_CACHE_KEY of exactly 32 bytes and refuses others without echoing them', () => {
    const keyOf = (bytes: number) => btoa(String.fromCharCode(...new Uint8Array(bytes).fill(7)))
    expect(parseConfig({ ...base, TOKEN_CACHE_KEY: keyOf(32) }).ok).toBe(true)
    for (const bad of [keyOf(31), keyOf(33), 'not base64!', `${keyOf(32)}@`]) {
      const problems = problemsOf({ ...base, TOKEN_CACHE_KEY: bad })
      expect(problems).toEqual([
        { variable: 'TOKEN_CACHE_KEY', problem: expect.stringContaining('32 random bytes') },
      ])
      expect(JSON.stringify(problems)).not.toContain(bad)
    }
  })

  it('bounds MAX_REQUESTED_GROUPS (default 20)', () => {
    const defaults = parseConfig(base)
    expect(defaults.ok && defaults.config.maxRequestedGroups).toBe(20)
    const set = parseConfig({ ...base, MAX_REQUESTED_GROUPS: '3' })
    expect(set.ok && set.config.maxRequestedGroups).toBe(3)
    for (const bad of ['-1', '2.5', 'many', '101']) {
      expect(problemsOf({ ...base, MAX_REQUESTED_GROUPS: bad })[0]?.variable).toBe(
        'MAX_REQUESTED_GROUPS',
      )
    }
  })

  it('turns client-token reuse on by default and off with TOKEN_REUSE=off', () => {
    const defaults = parseConfig(base)
    expect(defaults.ok && defaults.config.tokenReuse).toEqual({ enabled: true, minRemaining: 0.5 })
    const off = parseConfig({ ...base, TOKEN_REUSE: 'off' })
    expect(off.ok && off.config.tokenReuse.enabled).toBe(false)
    const on = parseConfig({ ...base, TOKEN_REUSE: 'ON' })
    expect(on.ok && on.config.tokenReuse.enabled).toBe(true)
    for (const bad of ['no', 'false', '0']) {
      expect(problemsOf({ ...base, TOKEN_REUSE: bad })).toEqual([
        { variable: 'TOKEN_REUSE', problem: expect.stringContaining('"off"') },
      ])
    }
  })

  it('accepts TOKEN_REUSE_MIN_REMAINING above 0.25 and at most 1', () => {
    for (const [raw, value] of [
      ['0.26', 0.26],
      ['.75', 0.75],
      ['1', 1],
      ['1.0', 1],
    ] as const) {
      const result = parseConfig({ ...base, TOKEN_REUSE_MIN_REMAINING: raw })
      expect(result.ok && result.config.tokenReuse.minRemaining, raw).toBe(value)
    }
    for (const bad of ['0.25', '0.1', '0', '1.01', '2', '-0.5', 'half', '1e-1', '0x1']) {
      expect(problemsOf({ ...base, TOKEN_REUSE_MIN_REMAINING: bad }), bad).toEqual([
        { variable: 'TOKEN_REUSE_MIN_REMAINING', problem: expect.stringContaining('above 0.25') },
      ])
    }
  })

  it('allows POLICY sharedAnonymousToken only with AUTH_MODE=anonymous', () => {
    const policy = { hubs: { chat: { sharedAnonymousToken: true } } }
    const anonymous = parseConfig({ ...base, POLICY: policy })
    expect(anonymous.ok && anonymous.config.policy.hubs.chat?.sharedAnonymousToken).toBe(true)
    const verified = problemsOf({
      ...base,
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: 'https://login.example.com/',
      AUTH_AUDIENCE: 'api://negotiator',
      POLICY: policy,
    })
    expect(verified).toEqual([
      {
        variable: 'POLICY',
        problem: expect.stringContaining(
          'sharedAnonymousToken is allowed only with AUTH_MODE=anonymous',
        ),
      },
    ])
  })

  describe('placeholders', () => {
    const jwtBase = {
      ...base,
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: 'https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/v2.0',
      AUTH_AUDIENCE: '33333333-3333-4333-8333-333333333333',
    }
    const problemsFor = (name: string, value: string): ConfigProblem[] =>
      problemsOf({ ...jwtBase, [name]: value }).filter((p) => p.variable === name)

    /** `NAME="…<…>…"` and `# NAME = "…<…>…"` settings of the variables parseConfig reads. */
    const placeholderSettings = (text: string): [string, string][] =>
      text.split('\n').flatMap((line) => {
        const match = /^\s*#?\s*([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*<[^"]*>[^"]*)"/.exec(line)
        const name = match?.[1] ?? ''
        return (CONFIG_VARIABLES as readonly string[]).includes(name) ? [[name, match![2]!]] : []
      })

    it.each([
      ['.dev.vars.example', devVarsExample, 5],
      ['wrangler.toml', wranglerToml, 1],
      ['README.md', readme, 3],
    ])('refuses every placeholder value %s shows, naming the variable', (_file, text, least) => {
      const settings = placeholderSettings(text)
      expect(settings.length).toBeGreaterThanOrEqual(least)
      for (const [name, value] of settings) {
        expect(problemsFor(name, value), `${name}="${value}"`).toEqual([
          { variable: name, problem: expect.stringMatching(/placeholder.*: set it to /) },
        ])
      }
    })

    it('says what to put there, quoting a placeholder but never a secret', () => {
      expect(problemsFor('AZURE_TENANT_ID', '<tenant id>')).toEqual([
        {
          variable: 'AZURE_TENANT_ID',
          problem:
            'is a placeholder ("<tenant id>"): set it to the directory (tenant) id, a GUID from ' +
            'the Overview page of Microsoft Entra ID in the Azure portal',
        },
      ])
      expect(
        problemsFor('AUTH_ISSUER', 'https://login.microsoftonline.com/<tenant id>/v2.0'),
      ).toEqual([
        {
          variable: 'AUTH_ISSUER',
          problem: expect.stringMatching(
            /^holds a placeholder \("<tenant id>"\): set it to the "iss" of your callers' tokens/,
          ),
        },
      ])
      expect(problemsFor('WEBPUBSUB_ENDPOINT', 'https://<name>.webpubsub.azure.com')).toEqual([
        {
          variable: 'WEBPUBSUB_ENDPOINT',
          problem: expect.stringContaining("set it to your Web PubSub resource's endpoint"),
        },
      ])
      // One problem, not also "set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE".
      expect(
        problemsFor('AZURE_CLIENT_SECRET', '<client secret value, not the secret id>'),
      ).toEqual([
        {
          variable: 'AZURE_CLIENT_SECRET',
          problem:
            "is a placeholder: set it to the client secret's Value (not its Secret ID) from " +
            "the app registration's Certificates & secrets page",
        },
      ])
    })

    it('refuses an angle-bracket placeholder anywhere in any variable, once (property)', () => {
      const secrets = [
        'AZURE_CLIENT_SECRET',
        'AZURE_CLIENT_CERTIFICATE',
        'TOKEN_CACHE_KEY',
        'WEBPUBSUB_CONNECTION_STRING',
        'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS',
        'ADMIN_TOKEN',
      ]
      // Read in jwt mode; POLICY is a table, not text.
      const names = CONFIG_VARIABLES.filter(
        (name) => !['POLICY', 'CF_ACCESS_TEAM_DOMAIN', 'CF_ACCESS_AUD'].includes(name),
      )
      const text = (exclude: RegExp) =>
        fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => t.replace(exclude, ''))
      const inner = text(/[<>\r\n]/g)
      const around = text(/[<>]/g)
      fc.assert(
        fc.property(
          fc.constantFrom(...names),
          around,
          inner,
          around,
          (name, before, hole, after) => {
            const whole = secrets.includes(name)
            const value = whole ? `<${hole}>` : `${before}<${hole}>${after}`
            const problems = problemsFor(name, value)
            expect(problems).toHaveLength(1)
            expect(problems[0]?.problem).toMatch(/^(is|holds) a placeholder/)
            if (whole) expect(problems[0]?.problem).toMatch(/^is a placeholder: set it to /)
          },
        ),
        { numRuns: 500 },
      )
    })

    it('finds no placeholder in a value without a closed <…> on one line (property)', () => {
      // Brackets often, in every order: lone, reversed, split by a line break.
      const unit = fc.constantFrom('<', '>', 'a', '1', ' ', '/', ':', '\n', '\r', '-')
      const value = fc.oneof(
        fc.string({ unit, maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
      )
      const closed = /<[^<>\r\n]*>/
      fc.assert(
        fc.property(fc.constantFrom(...CONFIG_VARIABLES), value, (name, raw) => {
          fc.pre(!closed.test(raw))
          const result = parseConfig({ ...jwtBase, [name]: raw })
          if (!result.ok) expect(JSON.stringify(result.problems)).not.toContain('placeholder')
        }),
        { numRuns: 1_000 },
      )
    })

    it('accepts a certificate bundle whose text around the PEM blocks has angle brackets', () => {
      const bundle = `Bag Attributes\n    friendlyName: <negotiator>\n${FAKE_KEY_PEM}\n${FAKE_CERT_PEM}`
      const result = parseConfig({
        ...jwtBase,
        AZURE_CLIENT_SECRET: undefined,
        AZURE_CLIENT_CERTIFICATE: bundle,
      })
      expect(result.ok && result.config.signing === 'entra' && result.config.credential.kind).toBe(
        'certificate',
      )
    })
  })
})
