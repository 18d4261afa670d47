// Shared test helpers: start an emulator per test, post forms, sign client assertions, decode JWTs.
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto'
import { SignJWT, decodeJwt } from 'jose'
import { afterEach, expect, vi } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import type { RouteName } from '../../emulator/lib/route-names'
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

/** Waits (polling the live state) until `route` has seen `count` requests. */
export function reached(emulator: RunningEmulator, route: RouteName, count: number): Promise<void> {
  return vi.waitFor(() => expect(emulator.state.counters[route]).toBe(count), { timeout: 10_000 })
}

export interface Settlement {
  /** 'pending' until the promise settles: readable at any moment, without waiting. */
  outcome: 'pending' | 'answered' | 'failed'
  /** Resolves with the final outcome. */
  settled: Promise<'answered' | 'failed'>
}

/** Tracks a promise (a request that should hang, say) without ever rejecting. */
export function settlement(promise: Promise<unknown>): Settlement {
  const tracked: Settlement = {
    outcome: 'pending',
    settled: promise.then(
      () => (tracked.outcome = 'answered'),
      () => (tracked.outcome = 'failed'),
    ),
  }
  return tracked
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
  alg?: 'PS256' | 'RS256' | 'PS384'
  /** 'sha256' → x5t#S256 (default), 'sha1' → legacy x5t, 'both', or 'none' */
  thumbprint?: 'sha256' | 'sha1' | 'both' | 'none'
  /** `iat` and `nbf` (default now) and `exp` = nowSeconds + lifetimeSeconds (default 600). */
  nowSeconds?: number
  lifetimeSeconds?: number
  /** Override or (null) leave out `nbf` / `iat`; `exp` still counts from nowSeconds. */
  nbf?: number | null
  iat?: number | null
  jti?: string | null
  iss?: string
  sub?: string
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
  const thumbprint = options.thumbprint ?? 'sha256'
  if (thumbprint === 'sha256' || thumbprint === 'both') {
    header['x5t#S256'] = createHash('sha256').update(cert.raw).digest('base64url')
  }
  if (thumbprint === 'sha1' || thumbprint === 'both') {
    header.x5t = createHash('sha1').update(cert.raw).digest('base64url')
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    aud: options.aud,
    iss: options.iss ?? options.clientId,
    sub: options.sub ?? options.clientId,
    exp: now + (options.lifetimeSeconds ?? 600),
  }
  const nbf = options.nbf === undefined ? now : options.nbf
  if (nbf !== null) claims.nbf = nbf
  const iat = options.iat === undefined ? now : options.iat
  if (iat !== null) claims.iat = iat
  const jti = options.jti === undefined ? randomUUID() : options.jti
  if (jti !== null) claims.jti = jti
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key)
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

/** The control API (`/_emulator/…`) of any origin: the main one or a further resource's own. */
export function controlAt(
  origin: { url: string },
  path: string,
  method = 'GET',
  body?: unknown,
): Promise<Response> {
  return fetch(`${origin.url}/_emulator${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

/** POST `:generateToken` (hub `chat`) at `origin` with an Entra token; returns the response. */
export function generateTokenAt(
  origin: { url: string },
  entraToken: string,
  query = 'api-version=2024-12-01&userId=ann',
): Promise<Response> {
  return fetch(`${origin.url}/api/hubs/chat/:generateToken?${query}`, bearer(entraToken))
}

/** The WebSocket URL of hub `chat` at `origin` with a client token, as a negotiator builds it. */
export function clientUrlAt(origin: { url: string }, token: string): string {
  return `${origin.url.replace(/^http/, 'ws')}/client/hubs/chat?access_token=${encodeURIComponent(token)}`
}
