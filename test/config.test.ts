import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config'
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
})
