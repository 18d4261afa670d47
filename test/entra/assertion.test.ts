// Tests for the certificate credential's client assertion: the JWT Entra checks before it issues a token.
import fc from 'fast-check'
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createClientAssertion } from '../../src/entra/assertion'
import { prepareCredential } from '../../src/entra/credential'
import { parseCertificatePem } from '../../src/entra/credential-config'

const CLIENT_ID = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b'
const TOKEN_ENDPOINT =
  'https://login.microsoftonline.com/0e8f1a2b-3c4d-4e5f-9a0b-1c2d3e4f5a6b/oauth2/v2.0/token'
/** Far from the real clock, with milliseconds: only the injected time may reach the claims. */
const NOW_MS = Date.UTC(2031, 6, 14, 9, 26, 53, 589)
/** Microsoft identity platform: a client assertion may be valid for at most 10 minutes. */
const MAX_LIFETIME_SECONDS = 600

// ---- a self-signed certificate, DER-encoded by hand (RFC 5280 §4.1) with WebCrypto only ----

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** One DER element: tag, definite length, contents. */
const der = (tag: number, ...contents: Uint8Array[]): Uint8Array => {
  const body = concat(contents)
  const n = body.length
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return concat([Uint8Array.of(tag, ...length), body])
}
const bytes = (...values: number[]) => Uint8Array.from(values)
const text = (value: string) => new TextEncoder().encode(value)

/** sha256WithRSAEncryption (1.2.840.113549.1.1.11), parameters NULL. */
const SHA256_WITH_RSA = der(
  0x30,
  der(0x06, bytes(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b)),
  der(0x05),
)
/** CN=<name> (2.5.4.3). */
const commonName = (name: string) =>
  der(0x30, der(0x31, der(0x30, der(0x06, bytes(0x55, 0x04, 0x03)), der(0x0c, text(name)))))

const toPem = (label: string, der: Uint8Array) => {
  const base64 = btoa(String.fromCharCode(...der))
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`
}

const base64Url = (data: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(data)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

interface TestCertificate {
  /** Key and certificate, as AZURE_CLIENT_CERTIFICATE holds them. */
  pem: string
  certificatePem: string
  certificateDer: Uint8Array
  publicKeyPss: CryptoKey
  publicKeyPkcs1: CryptoKey
}

async function createTestCertificate(): Promise<TestCertificate> {
  const rsa = { modulusLength: 2048, publicExponent: bytes(1, 0, 1), hash: 'SHA-256' }
  const keys = (await crypto.subtle.generateKey({ name: 'RSA-PSS', ...rsa }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const pkcs8 = new Uint8Array(
    (await crypto.subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer,
  )
  const spki = new Uint8Array(
    (await crypto.subtle.exportKey('spki', keys.publicKey)) as ArrayBuffer,
  )
  const name = commonName('assertion-test')
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, bytes(2))), // v3
    der(0x02, bytes(0x01, ...crypto.getRandomValues(new Uint8Array(8)))),
    SHA256_WITH_RSA,
    name,
    der(0x30, der(0x17, text('310101000000Z')), der(0x17, text('320101000000Z'))),
    name,
    spki,
  )
  const pkcs1 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const signer = await crypto.subtle.importKey('pkcs8', pkcs8, pkcs1, false, ['sign'])
  const signature = new Uint8Array(await crypto.subtle.sign(pkcs1, signer, tbs))
  const certificateDer = der(0x30, tbs, SHA256_WITH_RSA, der(0x03, bytes(0), signature))
  const certificatePem = toPem('CERTIFICATE', certificateDer)
  return {
    pem: toPem('PRIVATE KEY', pkcs8) + certificatePem,
    certificatePem,
    certificateDer,
    publicKeyPss: keys.publicKey,
    publicKeyPkcs1: await crypto.subtle.importKey('spki', spki, pkcs1, false, ['verify']),
  }
}

// ---- the tests ----

let certificate: TestCertificate
let assertionAt: (nowMs: number) => Promise<string>

beforeAll(async () => {
  certificate = await createTestCertificate()
  // The credential as the negotiator prepares it from AZURE_CLIENT_CERTIFICATE.
  const parsed = parseCertificatePem(certificate.pem, (problem) => {
    throw new Error(problem)
  })
  if (parsed === undefined) throw new Error('the test certificate did not parse')
  const credential = await prepareCredential(parsed)
  if (credential.kind !== 'certificate') throw new Error('expected a certificate credential')
  assertionAt = (nowMs) =>
    createClientAssertion({
      clientId: CLIENT_ID,
      tokenEndpoint: TOKEN_ENDPOINT,
      privateKey: credential.privateKey,
      x5tS256: credential.x5tS256,
      nowMs,
    })
})

describe('entra/assertion', () => {
  it('has a PS256 JWT header naming the certificate by its SHA-256 thumbprint (x5t#S256)', async () => {
    const header = decodeProtectedHeader(await assertionAt(NOW_MS))
    const thumbprint = base64Url(await crypto.subtle.digest('SHA-256', certificate.certificateDer))
    expect(header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprint })
  })

  it("verifies with the certificate's key as PS256, and is no RS256 signature", async () => {
    const assertion = await assertionAt(NOW_MS)
    const options = { currentDate: new Date(NOW_MS) }
    const pss = await importX509(certificate.certificatePem, 'PS256')
    await expect(jwtVerify(assertion, pss, { ...options, algorithms: ['PS256'] })).resolves.toEqual(
      expect.objectContaining({ protectedHeader: expect.objectContaining({ alg: 'PS256' }) }),
    )
    const rs256 = await importX509(certificate.certificatePem, 'RS256')
    await expect(
      jwtVerify(assertion, rs256, { ...options, algorithms: ['RS256'] }),
    ).rejects.toThrow()
    // The signature itself, checked without jose: RSASSA-PSS with SHA-256 and a 32-byte salt
    // (RFC 7518 §3.5), not RSASSA-PKCS1-v1_5.
    const [header = '', payload = '', signature = ''] = assertion.split('.')
    const signed = text(`${header}.${payload}`)
    const signatureBytes = Uint8Array.from(
      atob(signature.replace(/-/g, '+').replace(/_/g, '/')),
      (char) => char.charCodeAt(0),
    )
    const verify = (algorithm: Parameters<typeof crypto.subtle.verify>[0], key: CryptoKey) =>
      crypto.subtle.verify(algorithm, key, signatureBytes, signed)
    expect(await verify({ name: 'RSA-PSS', saltLength: 32 }, certificate.publicKeyPss)).toBe(true)
    expect(await verify('RSASSA-PKCS1-v1_5', certificate.publicKeyPkcs1)).toBe(false)
  })

  it('names the token endpoint as audience and the client id as issuer and subject', async () => {
    const pss = await importX509(certificate.certificatePem, 'PS256')
    const { payload } = await jwtVerify(await assertionAt(NOW_MS), pss, {
      algorithms: ['PS256'],
      currentDate: new Date(NOW_MS),
      audience: TOKEN_ENDPOINT,
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
    })
    expect(payload).toMatchObject({ aud: TOKEN_ENDPOINT, iss: CLIENT_ID, sub: CLIENT_ID })
  })

  it('is valid from the injected now (nbf = iat, in seconds) for at most 10 minutes', async () => {
    const claims = decodeJwt(await assertionAt(NOW_MS))
    const nowSeconds = Math.floor(NOW_MS / 1000)
    expect({ nbf: claims.nbf, iat: claims.iat }).toEqual({ nbf: nowSeconds, iat: nowSeconds })
    const lifetimeSeconds = (claims.exp ?? 0) - nowSeconds
    expect(lifetimeSeconds).toBeGreaterThan(0)
    expect(lifetimeSeconds).toBeLessThanOrEqual(MAX_LIFETIME_SECONDS)
  })

  it('carries a fresh jti on every call, even at the same instant', async () => {
    const first = decodeJwt(await assertionAt(NOW_MS)).jti
    const second = decodeJwt(await assertionAt(NOW_MS)).jti
    expect(typeof first).toBe('string')
    expect(first).not.toBe('')
    expect(second).not.toBe(first)
  })

  it('keeps nbf = iat = now, a lifetime within 10 minutes and an unseen jti on every call (property)', async () => {
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2099, 11, 31) }),
        async (nowMs) => {
          const claims = decodeJwt(await assertionAt(nowMs))
          const nowSeconds = Math.floor(nowMs / 1000)
          expect(claims.nbf).toBe(nowSeconds)
          expect(claims.iat).toBe(nowSeconds)
          const lifetimeSeconds = (claims.exp ?? 0) - nowSeconds
          expect(lifetimeSeconds > 0 && lifetimeSeconds <= MAX_LIFETIME_SECONDS).toBe(true)
          expect(typeof claims.jti).toBe('string')
          expect(seen.has(claims.jti as string)).toBe(false)
          seen.add(claims.jti as string)
        },
      ),
      { numRuns: 200 },
    )
    expect(seen.size).toBe(200)
  })
})
