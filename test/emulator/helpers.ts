// Shared test helpers: start an emulator per test, post forms, sign client assertions, decode JWTs.
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto'
import { SignJWT, decodeJwt } from 'jose'
import { afterEach } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import type { EmulatorOptions } from '../../emulator/types'

export const SCOPE = 'https://webpubsub.azure.com/.default'
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

/** Starts a quiet emulator on a random port; it is closed after the current test. */
export async function useEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({ quiet: true, ...options })
  running.push(emulator)
  return emulator
}

export function tokenUrl(emulator: RunningEmulator, tenant = emulator.demo.tenantId): string {
  return `${emulator.url}/${tenant}/oauth2/v2.0/token`
}

export function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })
}

export async function secretToken(
  emulator: RunningEmulator,
  app = emulator.demo.apps.ownerSecret,
): Promise<string> {
  const res = await postForm(tokenUrl(emulator), {
    grant_type: 'client_credentials',
    client_id: app.clientId,
    client_secret: app.clientSecret ?? '',
    scope: SCOPE,
  })
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { access_token: string }).access_token
}

export interface AssertionOptions {
  certificatePem: string
  clientId: string
  aud: string
  alg?: 'PS256' | 'RS256'
  /** 'sha256' → x5t#S256 (default), 'sha1' → legacy x5t */
  thumbprint?: 'sha256' | 'sha1'
  nowSeconds?: number
  lifetimeSeconds?: number
  jti?: string | null
  iss?: string
  signingKeyPem?: string
}

/** Signs a client assertion the way MSAL does (PS256, x5t#S256), with knobs to break it. */
export async function signAssertion(options: AssertionOptions): Promise<string> {
  const cert = new X509Certificate(
    options.certificatePem.slice(options.certificatePem.indexOf('-----BEGIN CERTIFICATE')),
  )
  const key = createPrivateKey(options.signingKeyPem ?? options.certificatePem)
  const alg = options.alg ?? 'PS256'
  const header: Record<string, string> = { alg, typ: 'JWT' }
  if ((options.thumbprint ?? 'sha256') === 'sha256') {
    header['x5t#S256'] = createHash('sha256').update(cert.raw).digest('base64url')
  } else {
    header.x5t = createHash('sha1').update(cert.raw).digest('base64url')
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {}
  const jti = options.jti === undefined ? randomUUID() : options.jti
  if (jti !== null) claims.jti = jti
  return new SignJWT(claims)
    .setProtectedHeader(header as { alg: string })
    .setAudience(options.aud)
    .setIssuer(options.iss ?? options.clientId)
    .setSubject(options.clientId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (options.lifetimeSeconds ?? 600))
    .sign(key)
}

export function claimsOf(jwt: string): Record<string, unknown> {
  return decodeJwt(jwt) as Record<string, unknown>
}

export interface EntraErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
}

/** Asserts the real Entra error shape and returns the body. */
export async function entraErrorOf(res: Response): Promise<EntraErrorBody> {
  return (await res.json()) as EntraErrorBody
}

export function generateTokenUrl(emulator: RunningEmulator, hub: string, query: string): string {
  return `${emulator.url}/api/hubs/${hub}/:generateToken?${query}`
}

export function bearer(token: string): RequestInit {
  return { method: 'POST', headers: { authorization: `Bearer ${token}` } }
}
