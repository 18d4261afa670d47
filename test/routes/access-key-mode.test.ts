// Access-key mode through the whole app: tokens signed in the Worker, nothing fetched upstream.
import { decodeJwt, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { accessKeyHarness } from '../support/access-key-harness'
import { problemOf } from '../support/harness'

const KEY = 'AccessKeyForTests0123456789abcdefABCDEF0123='
const ENDPOINT = 'https://contoso.webpubsub.azure.com'

/** A harness in access-key mode, counting every outbound fetch. */
const keyModeHarness = (extra: Record<string, unknown> = {}) =>
  accessKeyHarness({
    WEBPUBSUB_CONNECTION_STRING: `Endpoint=${ENDPOINT};AccessKey=${KEY};Port=8443;Version=1.0;`,
    ...extra,
  })

describe('access-key mode', () => {
  it('signs the client token in the Worker with 0 upstream calls, also with TOKEN_REUSE', async () => {
    const { h, upstream } = await keyModeHarness({ TOKEN_REUSE: 'on' })
    for (let i = 0; i < 3; i++) {
      const response = await h.request('/negotiate?hub=chat')
      expect(response.status).toBe(200)
      const body = (await response.json()) as { token: string; baseUrl: string; url: string }
      expect(body.baseUrl).toBe('wss://contoso.webpubsub.azure.com:8443/client/hubs/chat')
      expect(body.url).toBe(`${body.baseUrl}?access_token=${body.token}`)
      const { payload } = await jwtVerify(body.token, new TextEncoder().encode(KEY), {
        audience: 'https://contoso.webpubsub.azure.com:8443/client/hubs/chat',
        currentDate: new Date(h.now()),
      })
      expect(typeof payload.sub).toBe('string')
      expect(response.headers.get('server-timing')).toMatch(
        /authapi;dur=[\d.]+;desc="signed-locally"/,
      )
    }
    expect(upstream).toEqual([])
  })

  it('answers /readyz from the configuration alone, and the cron has nothing to refresh', async () => {
    const { h, upstream } = await keyModeHarness()
    const response = await h.request('/readyz')
    expect(response.status).toBe(200)
    const body = (await response.json()) as { checks: Record<string, unknown> }
    expect(body.checks).toEqual({ config: 'ok', signing: 'access-key', kv: 'bound' })
    expect(await h.scheduled()).toBe('no_entra')
    expect(upstream).toEqual([])
  })

  it('answers config_invalid naming both when Entra variables are set too, without the key', async () => {
    const { h, upstream } = await keyModeHarness({ AZURE_CLIENT_SECRET: 'entra-secret-value' })
    const response = await h.request('/negotiate?hub=chat')
    expect(response.status).toBe(500)
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    const variables = (problem.problems as { variable: string }[]).map((p) => p.variable)
    expect(variables).toEqual(['AZURE_CLIENT_SECRET', 'WEBPUBSUB_CONNECTION_STRING'])
    const text = JSON.stringify(problem)
    expect(text).not.toContain(KEY)
    expect(text).not.toContain('entra-secret-value')
    expect(upstream).toEqual([])
  })

  it('keeps the token lifetime of the policy (TOKEN_TTL_MINUTES)', async () => {
    const { h } = await keyModeHarness({ TOKEN_TTL_MINUTES: '15' })
    const body = (await (await h.request('/negotiate?hub=chat')).json()) as { token: string }
    const claims = decodeJwt(body.token)
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(15 * 60)
  })
})
