// OpenID discovery and JWKS: what MSAL reads and what token verifiers trust.
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { entraErrorOf, secretToken, useEmulator } from './helpers'

describe('entra discovery', () => {
  it('serves the v2 openid-configuration on the emulator origin with the tenant id', async () => {
    const emulator = await useEmulator()
    const res = await fetch(
      `${emulator.url}/emulator.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
    )
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Record<string, unknown>
    const base = `${emulator.url}/${emulator.demo.tenantId}`
    expect(doc).toMatchObject({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      issuer: `${base}/v2.0`,
    })
    expect(doc.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
  })

  it('serves the v1 openid-configuration with the sts.windows.net issuer', async () => {
    const emulator = await useEmulator()
    const res = await fetch(
      `${emulator.url}/${emulator.demo.tenantId}/.well-known/openid-configuration`,
    )
    const doc = (await res.json()) as Record<string, unknown>
    expect(doc).toMatchObject({
      token_endpoint: `${emulator.url}/${emulator.demo.tenantId}/oauth2/token`,
      issuer: `https://sts.windows.net/${emulator.demo.tenantId}/`,
    })
  })

  it('answers AADSTS90002 for discovery of an unknown tenant', async () => {
    const emulator = await useEmulator()
    const res = await fetch(`${emulator.url}/contoso.example/v2.0/.well-known/openid-configuration`)
    expect(res.status).toBe(400)
    expect((await entraErrorOf(res)).error_codes).toEqual([90002])
  })

  it('publishes a JWKS that verifies the issued access tokens', async () => {
    const emulator = await useEmulator()
    const token = await secretToken(emulator)
    const config = (await (
      await fetch(`${emulator.url}/${emulator.demo.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json()) as { jwks_uri: string }
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(config.jwks_uri)),
      {
        audience: 'https://webpubsub.azure.com',
        issuer: `https://sts.windows.net/${emulator.demo.tenantId}/`,
      },
    )
    expect(protectedHeader.kid).toBe(emulator.state.entraKey.kid)
    expect(payload.appid).toBe(emulator.demo.apps.ownerSecret.clientId)
    const counters = (await (await fetch(`${emulator.url}/_emulator/counters`)).json()) as {
      routes: Record<string, number>
    }
    expect(counters.routes).toMatchObject({ 'entra.openid': 1, 'entra.jwks': 1, 'entra.token': 1 })
  })
})
