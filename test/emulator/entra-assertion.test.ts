// Certificate client assertions: the two accepted forms (PS256 + x5t#S256, RS256 + x5t), the time
// window on an injected clock, and every rejection.
import { createHash, X509Certificate } from 'node:crypto'
import { importPKCS8 } from 'jose'
import { describe, expect, it } from 'vitest'
import { createSelfSigned } from '../../emulator/lib/self-signed'
import type { RunningEmulator } from '../../emulator/index'
import { createClientAssertion } from '../../src/entra/assertion'
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

/** The emulator's clock in every test here, so that time windows are exact. */
const NOW_SECONDS = 2_000_000_000

async function fixedClockEmulator(): Promise<RunningEmulator> {
  const emulator = await useEmulator()
  emulator.state.now = () => NOW_SECONDS * 1000
  return emulator
}

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
  return {
    certificatePem: app.certificatePem!,
    clientId: app.clientId,
    aud: tokenUrl(emulator),
    nowSeconds: NOW_SECONDS,
  }
}

const signed = (emulator: RunningEmulator, options: Partial<AssertionOptions> = {}) =>
  signAssertion({ ...baseOptions(emulator), ...options })

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
    const emulator = await fixedClockEmulator()
    const res = await requestWith(emulator, await signed(emulator))
    expect(res.status).toBe(200)
    const { access_token } = (await res.json()) as { access_token: string }
    expect(claimsOf(access_token)).toMatchObject({
      appid: emulator.demo.apps.ownerCertificate.clientId,
      appidacr: '2',
      aud: 'https://webpubsub.azure.com',
    })
  })

  it('accepts the legacy RS256 form with a SHA-1 x5t', async () => {
    const emulator = await fixedClockEmulator()
    const assertion = await signed(emulator, { alg: 'RS256', thumbprint: 'sha1' })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('accepts the assertion the negotiator signs (src/entra/assertion.ts)', async () => {
    const emulator = await fixedClockEmulator()
    const pem = emulator.demo.apps.ownerCertificate.certificatePem!
    const der = new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE'))).raw
    const assertion = await createClientAssertion({
      clientId: emulator.demo.apps.ownerCertificate.clientId,
      tokenEndpoint: tokenUrl(emulator),
      privateKey: await importPKCS8(pem.slice(0, pem.indexOf('-----BEGIN CERTIFICATE')), 'PS256'),
      x5tS256: createHash('sha256').update(der).digest('base64url'),
      nowMs: NOW_SECONDS * 1000,
    })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('accepts an audience naming the tenant domain or the v1 token endpoint', async () => {
    const emulator = await fixedClockEmulator()
    for (const aud of [
      `${emulator.url}/emulator.onmicrosoft.com/oauth2/v2.0/token`,
      `${emulator.url}/${emulator.demo.tenantId}/oauth2/token`,
    ]) {
      expect((await requestWith(emulator, await signed(emulator, { aud }))).status).toBe(200)
    }
  })

  const noThumbprint = 'No certificate thumbprint specified in token header'
  it.each<[string, Partial<AssertionOptions>, string]>([
    ['PS256 with only the SHA-1 x5t', { thumbprint: 'sha1' }, noThumbprint],
    ['RS256 with only x5t#S256', { alg: 'RS256', thumbprint: 'sha256' }, noThumbprint],
    ['no thumbprint at all', { thumbprint: 'none' }, noThumbprint],
    ['another algorithm (unverified message)', { alg: 'PS384' }, "'PS384'"],
  ])('answers AADSTS50027 for %s', async (_, form, message) => {
    const emulator = await fixedClockEmulator()
    const text = await expectError(
      await requestWith(emulator, await signed(emulator, form)),
      401,
      'invalid_client',
      50027,
    )
    expect(text).toContain(message)
  })

  it('takes the thumbprint the alg names when both are present', async () => {
    const emulator = await fixedClockEmulator()
    for (const alg of ['PS256', 'RS256'] as const) {
      const res = await requestWith(emulator, await signed(emulator, { alg, thumbprint: 'both' }))
      expect(res.status, alg).toBe(200)
    }
  })

  it('answers AADSTS700027 when the signature does not match the registered certificate', async () => {
    const emulator = await fixedClockEmulator()
    const other = await createSelfSigned({ commonName: 'intruder' })
    const assertion = await signed(emulator, { signingKeyPem: other.privateKeyPem })
    const text = await expectError(
      await requestWith(emulator, assertion),
      401,
      'invalid_client',
      700027,
    )
    expect(text).toContain('did not match the expected signature')
  })

  it('answers AADSTS700027 when the certificate is not registered to the app', async () => {
    const emulator = await fixedClockEmulator()
    const other = await createSelfSigned({ commonName: 'unregistered' })
    const pem = other.privateKeyPem + other.certificatePem
    const text = await expectError(
      await requestWith(emulator, await signed(emulator, { certificatePem: pem })),
      401,
      'invalid_client',
      700027,
    )
    expect(text).toContain('The key was not found')
  })

  it('rejects an audience that is not this token endpoint (unverified code 700023)', async () => {
    const emulator = await fixedClockEmulator()
    const aud =
      'https://login.microsoftonline.com/e0000000-0000-4000-8000-000000000001/oauth2/v2.0/token'
    const assertion = await signed(emulator, { aud })
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 700023)
  })

  it('rejects an issuer other than the client id (unverified code 700021)', async () => {
    const emulator = await fixedClockEmulator()
    const assertion = await signed(emulator, { iss: 'someone-else' })
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 700021)
  })

  it('rejects a subject other than the issuer with AADSTS50048', async () => {
    const emulator = await fixedClockEmulator()
    const assertion = await signed(emulator, { sub: 'someone-else' })
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 50048)
  })

  it.each<[string, Partial<AssertionOptions>]>([
    ['exp 10 minutes after nbf', { lifetimeSeconds: 600 }],
    ['nbf and iat 5 minutes ahead (the skew)', { nowSeconds: NOW_SECONDS + 300 }],
    ['exp 299 s ago, within the skew', { nowSeconds: NOW_SECONDS - 899, lifetimeSeconds: 600 }],
    // iat a minute ago, so that counting from now instead of iat would let 601 s pass.
    ['exp 10 minutes after iat when there is no nbf', { nbf: null, nowSeconds: NOW_SECONDS - 60 }],
    ['exp 10 minutes from now without nbf or iat', { nbf: null, iat: null }],
    ['a lifetime counted from nbf, not iat', { iat: NOW_SECONDS - 3600, lifetimeSeconds: 600 }],
  ])('accepts %s', async (_, times) => {
    const emulator = await fixedClockEmulator()
    expect((await requestWith(emulator, await signed(emulator, times))).status).toBe(200)
  })

  it.each<[string, Partial<AssertionOptions>]>([
    ['exp 10 minutes and 1 s after nbf', { lifetimeSeconds: 601 }],
    ['exp an hour after nbf', { lifetimeSeconds: 3600 }],
    ['nbf and iat 301 s ahead', { nowSeconds: NOW_SECONDS + 301 }],
    ['iat 301 s ahead, nbf now', { iat: NOW_SECONDS + 301 }],
    ['exp 300 s ago, past the skew', { nowSeconds: NOW_SECONDS - 900, lifetimeSeconds: 600 }],
    [
      'exp 601 s after iat when there is no nbf',
      { nbf: null, nowSeconds: NOW_SECONDS - 60, lifetimeSeconds: 601 },
    ],
    ['exp 601 s from now without nbf or iat', { nbf: null, iat: null, lifetimeSeconds: 601 }],
    ['exp at nbf', { lifetimeSeconds: 0 }],
  ])('answers AADSTS700024 for %s', async (_, times) => {
    const emulator = await fixedClockEmulator()
    const assertion = await signed(emulator, times)
    await expectError(await requestWith(emulator, assertion), 400, 'invalid_client', 700024)
  })

  it('refuses a replayed jti (unverified code 50013) and forgets it after reset', async () => {
    const emulator = await fixedClockEmulator()
    const assertion = await signed(emulator)
    expect((await requestWith(emulator, assertion)).status).toBe(200)
    await expectError(await requestWith(emulator, assertion), 401, 'invalid_client', 50013)
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' })
    expect((await requestWith(emulator, assertion)).status).toBe(200)
  })

  it('requires a jti and a well-formed JWT (unverified code 50027)', async () => {
    const emulator = await fixedClockEmulator()
    const noJti = await signed(emulator, { jti: null })
    await expectError(await requestWith(emulator, noJti), 400, 'invalid_request', 50027)
    await expectError(await requestWith(emulator, 'not-a-jwt'), 400, 'invalid_request', 50027)
  })

  it('rejects a wrong assertion type with invalid_request (unverified code 900144)', async () => {
    const emulator = await fixedClockEmulator()
    const res = await postForm(tokenUrl(emulator), {
      grant_type: 'client_credentials',
      client_id: emulator.demo.apps.ownerCertificate.clientId,
      scope: SCOPE,
      client_assertion_type: 'urn:example:other',
      client_assertion: await signed(emulator),
    })
    await expectError(res, 400, 'invalid_request', 900144)
  })
})
