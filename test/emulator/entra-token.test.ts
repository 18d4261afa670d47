// Entra token endpoint: the secret flow, token claims, settings, and every AADSTS error it emulates.
import { describe, expect, it } from 'vitest'
import { SCOPE, claimsOf, entraErrorOf, postForm, tokenUrl, useEmulator } from './helpers'

const grant = (clientId: string, extra: Record<string, string>) => ({
  grant_type: 'client_credentials',
  client_id: clientId,
  scope: SCOPE,
  ...extra,
})

describe('entra token endpoint', () => {
  it('issues an RS256 app token with the Web PubSub audience for a valid secret', async () => {
    const emulator = await useEmulator()
    const app = emulator.demo.apps.ownerSecret
    const before = Math.floor(Date.now() / 1000)
    const res = await postForm(tokenUrl(emulator), {
      ...grant(app.clientId, { client_secret: app.clientSecret! }),
      // MSAL adds telemetry fields (`x-client-SKU`, …): they must be ignored.
      'x-client-SKU': 'msal.js.node',
      'x-client-current-telemetry': '5|771,2,,,|,',
      client_info: '1',
      claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toContain('no-store')
    expect(res.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_in',
      'ext_expires_in',
      'token_type',
    ])
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 })
    const token = body.access_token as string
    const [header] = token.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({
      alg: 'RS256',
      kid: emulator.state.entraKey.kid,
    })
    const claims = claimsOf(token)
    expect(claims).toMatchObject({
      aud: 'https://webpubsub.azure.com',
      iss: `https://sts.windows.net/${emulator.demo.tenantId}/`,
      tid: emulator.demo.tenantId,
      appid: app.clientId,
      azp: app.clientId,
      oid: 'e0000000-0000-4000-8000-0000000000b1',
      idtyp: 'app',
      ver: '1.0',
    })
    expect(claims.oid).not.toBe(app.clientId)
    expect(claims.iat).toBeGreaterThanOrEqual(before)
    expect(claims.nbf).toBe(claims.iat)
    expect(claims.exp).toBe((claims.iat as number) + 3599)
  })

  it('accepts the tenant domain in place of the tenant id', async () => {
    const emulator = await useEmulator()
    const app = emulator.demo.apps.ownerSecret
    const res = await postForm(
      tokenUrl(emulator, 'Emulator.onmicrosoft.com'),
      grant(app.clientId, { client_secret: app.clientSecret! }),
    )
    expect(res.status).toBe(200)
  })

  it('follows the lifetime and refresh_in settings', async () => {
    const emulator = await useEmulator()
    const patch = await fetch(`${emulator.url}/_emulator/settings`, {
      method: 'PATCH',
      body: JSON.stringify({ entraTokenLifetimeSeconds: 4000, entraRefreshInSeconds: 2000 }),
    })
    expect(patch.status).toBe(200)
    const app = emulator.demo.apps.ownerSecret
    const res = await postForm(
      tokenUrl(emulator),
      grant(app.clientId, { client_secret: app.clientSecret! }),
    )
    const body = (await res.json()) as Record<string, number | string>
    expect(body).toMatchObject({ expires_in: 4000, ext_expires_in: 4000, refresh_in: 2000 })
    const claims = claimsOf(body.access_token as string)
    expect((claims.exp as number) - (claims.iat as number)).toBe(4000)
  })

  const cases: {
    name: string
    path?: (tenant: string) => string
    fields: (app: { clientId: string; clientSecret?: string }) => Record<string, string>
    app?: 'ownerSecret' | 'expiredSecret'
    status: number
    error: string
    code: number
    text: RegExp
  }[] = [
    {
      name: 'a wrong secret',
      fields: (a) => grant(a.clientId, { client_secret: 'not-the-secret' }),
      status: 401,
      error: 'invalid_client',
      code: 7000215,
      text: /Invalid client secret provided/,
    },
    {
      name: 'an expired secret',
      app: 'expiredSecret',
      fields: (a) => grant(a.clientId, { client_secret: a.clientSecret! }),
      status: 401,
      error: 'invalid_client',
      code: 7000222,
      text: /client secret keys .* are expired/,
    },
    {
      name: 'an unknown client id',
      fields: () => grant('11111111-2222-4333-8444-555555555555', { client_secret: 'x' }),
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
      text: /Application with identifier '11111111-2222-4333-8444-555555555555' was not found/,
    },
    {
      name: 'an unknown tenant',
      path: () => 'contoso.onmicrosoft.com',
      fields: (a) => grant(a.clientId, { client_secret: a.clientSecret! }),
      status: 400,
      error: 'invalid_request',
      code: 90002,
      text: /Tenant 'contoso.onmicrosoft.com' not found/,
    },
    {
      name: 'another scope',
      fields: (a) => ({
        ...grant(a.clientId, { client_secret: a.clientSecret! }),
        scope: 'https://graph.microsoft.com/.default',
      }),
      status: 400,
      error: 'invalid_scope',
      code: 70011,
      text: /scope https:\/\/graph.microsoft.com\/.default is not valid/,
    },
    {
      name: 'a missing scope',
      fields: (a) => ({
        grant_type: 'client_credentials',
        client_id: a.clientId,
        client_secret: a.clientSecret!,
      }),
      status: 400,
      error: 'invalid_request',
      code: 900144,
      text: /must contain the following parameter: 'scope'/,
    },
    {
      name: 'a missing client_id',
      fields: () => ({ grant_type: 'client_credentials', scope: SCOPE }),
      status: 400,
      error: 'invalid_request',
      code: 900144,
      text: /parameter: 'client_id'/,
    },
    {
      name: 'a missing grant_type',
      fields: (a) => ({ client_id: a.clientId, scope: SCOPE }),
      status: 400,
      error: 'invalid_request',
      code: 900144,
      text: /parameter: 'grant_type'/,
    },
    {
      name: 'another grant type',
      fields: (a) => ({ ...grant(a.clientId, {}), grant_type: 'password' }),
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
      text: /unsupported grant type 'password'/,
    },
    {
      name: 'no credential at all',
      fields: (a) => grant(a.clientId, {}),
      status: 401,
      error: 'invalid_client',
      code: 7000218,
      text: /'client_assertion' or 'client_secret'/,
    },
  ]

  for (const c of cases) {
    it(`answers AADSTS${c.code} (${c.status} ${c.error}) for ${c.name}`, async () => {
      const emulator = await useEmulator()
      const app = emulator.demo.apps[c.app ?? 'ownerSecret']
      const tenant = c.path?.(emulator.demo.tenantId) ?? emulator.demo.tenantId
      const res = await fetch(tokenUrl(emulator, tenant), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'client-request-id': 'corr-1234',
        },
        body: new URLSearchParams(c.fields(app)),
      })
      expect(res.status).toBe(c.status)
      expect(res.headers.get('cache-control')).toContain('no-store')
      expect(res.headers.get('content-type')).toContain('application/json')
      const requestId = res.headers.get('x-ms-request-id')
      const body = await entraErrorOf(res)
      expect(Object.keys(body).sort()).toEqual(
        [
          'correlation_id',
          'error',
          'error_codes',
          'error_description',
          'error_uri',
          'timestamp',
          'trace_id',
        ].sort(),
      )
      expect(body.error).toBe(c.error)
      expect(body.error_codes).toEqual([c.code])
      expect(body.error_description).toMatch(new RegExp(`^AADSTS${c.code}: `))
      expect(body.error_description).toMatch(c.text)
      expect(body.error_description).toContain(
        `\r\nTrace ID: ${body.trace_id}\r\nCorrelation ID: corr-1234\r\nTimestamp: ${body.timestamp}`,
      )
      expect(body.trace_id).toBe(requestId)
      expect(body.correlation_id).toBe('corr-1234')
      expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
      expect(body.error_uri).toBe(`${emulator.url}/error?code=${c.code}`)
    })
  }

  it('reads a JSON body as no parameters, as OAuth requires form encoding', async () => {
    const emulator = await useEmulator()
    const res = await fetch(tokenUrl(emulator), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(res.status).toBe(400)
    expect((await entraErrorOf(res)).error_codes).toEqual([900144])
  })
})
