// Certificate client assertions (private_key_jwt): signature, thumbprint, audience, time window, jti (SPEC §2).
import { compactVerify, decodeProtectedHeader } from 'jose'
import type { EmulatorState, RegisteredApp } from '../state'
import type { EntraErrorSpec } from './errors'

/** Clock skew allowed on `nbf`/`iat`/`exp`, as Entra tolerates (5 min). */
const SKEW_SECONDS = 300
/** The longest assertion lifetime accepted: SPEC §2 says `exp` ≤ now + 10 min. */
const MAX_LIFETIME_SECONDS = 600

const invalidClient = (code: number, message: string): EntraErrorSpec => ({
  status: 401,
  error: 'invalid_client',
  code,
  message,
})

export interface AssertionCheck {
  app: RegisteredApp
  assertion: string
  /** Token endpoint URLs the `aud` may name (lower case). */
  audiences: ReadonlySet<string>
  nowSeconds: number
}

/** Returns undefined when the assertion is good (and records its jti), else the Entra error. */
export async function checkClientAssertion(
  state: EmulatorState,
  check: AssertionCheck,
): Promise<EntraErrorSpec | undefined> {
  const { app, assertion, nowSeconds } = check
  let header
  try {
    header = decodeProtectedHeader(assertion)
  } catch {
    return {
      status: 400,
      error: 'invalid_request',
      code: 50027,
      message: 'JWT token is invalid or malformed.',
    }
  }
  const sha256 = header['x5t#S256']
  const cert = app.certificates.find(
    (c) => (typeof sha256 === 'string' && c.sha256 === sha256) || c.sha1 === header.x5t,
  )
  const thumbprint = String(sha256 ?? header.x5t ?? '')
  if (cert === undefined) {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}']`,
    )
  }
  let claims: Record<string, unknown>
  try {
    const { payload } = await compactVerify(assertion, cert.publicKey, {
      algorithms: ['PS256', 'RS256'],
    })
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
  } catch {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprint}']`,
    )
  }
  // Unverified: the AADSTS codes for a wrong iss/sub (700021) and aud (700023) are from memory.
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
    return invalidClient(
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    )
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.some((a) => typeof a === 'string' && check.audiences.has(a.toLowerCase()))) {
    return invalidClient(700023, 'Client assertion audience claim does not match Realm issuer.')
  }
  const exp = claims.exp
  const notBefore = [claims.nbf, claims.iat].filter((v): v is number => typeof v === 'number')
  if (
    typeof exp !== 'number' ||
    exp < nowSeconds - SKEW_SECONDS ||
    exp > nowSeconds + MAX_LIFETIME_SECONDS + SKEW_SECONDS ||
    notBefore.some((t) => t > nowSeconds + SKEW_SECONDS)
  ) {
    // SPEC §2: the status for 700024 is unverified (400 or 401); 400 invalid_client is our pick.
    return {
      status: 400,
      error: 'invalid_client',
      code: 700024,
      message: `Client assertion is not within its valid time range. Current time: ${new Date(nowSeconds * 1000).toISOString()}, assertion valid until: ${typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'unknown'}.`,
    }
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') {
    // Unverified: Entra's answer to an assertion without jti; treated as a malformed JWT.
    return {
      status: 400,
      error: 'invalid_request',
      code: 50027,
      message: "JWT token is invalid or malformed: no 'jti' claim.",
    }
  }
  forgetExpiredJtis(state, nowSeconds)
  const key = `${app.clientId}:${claims.jti}`
  if (state.jtiSeen.has(key)) {
    // Unverified: the code Entra uses for a replayed assertion; AADSTS50013 is its "assertion is
    // invalid" family.
    return invalidClient(
      50013,
      'Assertion failed signature validation: the assertion jti was already used (replay).',
    )
  }
  state.jtiSeen.set(key, exp)
  return undefined
}

function forgetExpiredJtis(state: EmulatorState, nowSeconds: number): void {
  for (const [key, exp] of state.jtiSeen) {
    if (exp + SKEW_SECONDS < nowSeconds) state.jtiSeen.delete(key)
  }
}
