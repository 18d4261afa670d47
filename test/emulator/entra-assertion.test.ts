// Certificate client assertions: accepted forms (PS256, RS256 + legacy x5t) and every rejection.
import { describe, expect, it } from 'vitest'
import { createSelfSigned } from '../../emulator/lib/self-signed'
import type { RunningEmulator } from '../../emulator/index'
import {
  JWT_BEARER,
  SCOPE,
  claimsOf,
  entraErrorOf,
  postForm,
  signAssertion,
  tokenUrl,
  useEmulator,
  type AssertionOptions,
} from './helpers'

async function requestWith(
  emulator: RunningEmulator,
  assertion: string,
  clientId?: string,
): Promise<Response> {
  return postForm(tokenUrl(emulator), {
    grant_type: 'client_credentials',
    client_id: clientId ?? emulator.demo.apps.ownerCertificate.clientId,
    scope: SCOPE,
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
  })
}

function baseOptions(emulator: RunningEmulator): AssertionOptions {
  const app = emulator.demo.apps.ownerCertificate
  return { certificatePem: app.certificatePem!, clientId: app.clientId, aud: tokenUrl(emulator) }
}

async function expectError(
  res: Response,
  status: number,
  error: string,
  code: number,
): Promise<string> {
  expect(res.status).toBe(status)
  const body = await entraErrorOf(res)
  expect(body.error).toBe(error)
  expect(body.error_codes).toEqual([code])
  expect(body.error_description.startsWith(`AADSTS${code}: `)).toBe(true)
  return body.error_description
}

describe('entra client assertions', () => {
  it('accepts a PS256 assertion with x5t#S256 and marks the token as certificate-issued', async () => {
    const emulator = await useEmulator()
    const res = await requestWith(emulator, await signAssertion(baseOptions(emulator)))
    expect(res.status).toBe(200)
    const { access_token } = (await res.json()) as { access_token: string }
    expect(claimsOf(access_token)).toMatchObject({
      appid: emulator.demo.apps.ownerCertificate.clientId,
      appidacr: '2',
      aud: 'https://webpubsub.azure.com',
    })
  })

  it('accepts the legacy RS256 form with a SHA-1 x5t', async () => {
    const emulator = await useEmulator()
    const assertion = await signAssertion({
      ...baseOptions(emulator),
      alg: 'RS256',
      thumbprint: 'sha1',
    })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('accepts an audience naming the tenant domain or the v1 token endpoint', async () => {
    const emulator = await useEmulator()
    for (const aud of [
      `${emulator.url}/emulator.onmicrosoft.com/oauth2/v2.0/token`,
      `${emulator.url}/${emulator.demo.tenantId}/oauth2/token`,
    ]) {
      const res = await requestWith(
        emulator,
        await signAssertion({ ...baseOptions(emulator), aud }),
      )
      expect(res.status).toBe(200)
    }
  })

  it('answers AADSTS700027 when the signature does not match the registered certificate', async () => {
    const emulator = await useEmulator()
    const other = await createSelfSigned({ commonName: 'intruder' })
    const assertion = await signAssertion({
      ...baseOptions(emulator),
      signingKeyPem: other.privateKeyPem,
    })
    const text = await expectError(
      await requestWith(emulator, assertion),
      401,
      'invalid_client',
      700027,
    )
    expect(text).toContain('did not match the expected signature')
  })

  it('answers AADSTS700027 when the certificate is not registered to the app', async () => {
    const emulator = await useEmulator()
    const other = await createSelfSigned({ commonName: 'unregistered' })
    const pem = other.privateKeyPem + other.certificatePem
    const assertion = await signAssertion({ ...baseOptions(emulator), certificatePem: pem })
    const text = await expectError(
      await requestWith(emulator, assertion),
      401,
      'invalid_client',
      700027,
    )
    expect(text).toContain('The key was not found')
  })

  it('rejects an audience that is not this token endpoint (unverified code 700023)', async () => {
    const emulator = await useEmulator()
    const aud =
      'https://login.microsoftonline.com/e0000000-0000-4000-8000-000000000001/oauth2/v2.0/token'
    const assertion = await signAssertion({ ...baseOptions(emulator), aud })
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 700023)
  })

  it('rejects an issuer other than the client id (unverified code 700021)', async () => {
    const emulator = await useEmulator()
    const assertion = await signAssertion({ ...baseOptions(emulator), iss: 'someone-else' })
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 700021)
  })

  it('answers AADSTS700024 for an expired, a future or a too-long assertion', async () => {
    const emulator = await useEmulator()
    const now = Math.floor(Date.now() / 1000)
    const variants: Partial<AssertionOptions>[] = [
      { nowSeconds: now - 1000, lifetimeSeconds: 600 }, // expired 400 s ago, beyond the 5-min skew
      { nowSeconds: now + 400 }, // nbf/iat 400 s in the future
      { lifetimeSeconds: 3600 }, // exp an hour out: more than 10 min + skew
    ]
    for (const variant of variants) {
      const assertion = await signAssertion({ ...baseOptions(emulator), ...variant })
      await expectError(await requestWith(emulator, assertion), 400, 'invalid_client', 700024)
    }
  })

  it('tolerates clock skew of a few minutes', async () => {
    const emulator = await useEmulator()
    const now = Math.floor(Date.now() / 1000)
    const assertion = await signAssertion({ ...baseOptions(emulator), nowSeconds: now + 120 })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('refuses a replayed jti (unverified code 50013) and forgets it after reset', async () => {
    const emulator = await useEmulator()
    const assertion = await signAssertion(baseOptions(emulator))
    expect((await requestWith(emulator, assertion)).status).toBe(200)
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 50013)
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('requires a jti and a well-formed JWT (unverified code 50027)', async () => {
    const emulator = await useEmulator()
    const noJti = await signAssertion({ ...baseOptions(emulator), jti: null })
    await expectError(await requestWith(emulator, noJti), 400, 'invalid_request', 50027)
    await expectError(await requestWith(emulator, 'not-a-jwt'), 400, 'invalid_request', 50027)
  })

  it('rejects a wrong assertion type with invalid_request (unverified code 900144)', async () => {
    const emulator = await useEmulator()
    const res = await postForm(tokenUrl(emulator), {
      grant_type: 'client_credentials',
      client_id: emulator.demo.apps.ownerCertificate.clientId,
      scope: SCOPE,
      client_assertion_type: 'urn:example:other',
      client_assertion: await signAssertion(baseOptions(emulator)),
    })
    await expectError(res, 400, 'invalid_request', 900144)
  })
})
