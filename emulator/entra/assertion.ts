// Certificate client assertions (private_key_jwt): form, signature, iss/sub, aud, time window, jti.
//
// The accepted form follows Microsoft's "Microsoft identity platform application authentication
// certificate credentials" (learn.microsoft.com/entra/identity-platform/certificate-credentials):
// `alg` PS256 with `x5t#S256` (SHA-256 thumbprint), or the legacy form of its earlier version
// (learn.microsoft.com/previous-versions/azure/active-directory/develop/certificate-credentials),
// RS256 with `x5t` (SHA-1 thumbprint); `aud` the token endpoint, `iss` = `sub` = the client id, a
// `jti`, and an `exp` "5-10 minutes after nbf at most".
import { compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose'
import type { EmulatorState, RegisteredApp } from '../state'
import type { EntraErrorSpec } from './errors'

/**
 * Clock skew allowed on `nbf`/`iat` (not in the future) and `exp` (not past): 5 min, the default
 * `ClockSkew` of Microsoft.IdentityModel's TokenValidationParameters. Unverified for Entra itself.
 */
const SKEW_SECONDS = 300
/**
 * The longest lifetime accepted, `exp` minus `nbf` (or `iat`): the page's "10 minutes at most".
 * Deliberately stricter than Entra, which the same page says does not restrict `exp` currently.
 */
const MAX_LIFETIME_SECONDS = 600

/** The thumbprint header each accepted `alg` must carry, and the thumbprint it is matched with. */
const FORMS = {
  PS256: { header: 'x5t#S256', thumbprint: 'sha256' },
  RS256: { header: 'x5t', thumbprint: 'sha1' },
} as const

const invalidClient = (code: number, message: string): EntraErrorSpec => ({
  status: 401,
  error: 'invalid_client',
  code,
  message,
})

/** Unverified status and error: the code and message are the ones Entra has been seen to answer. */
const noThumbprint = (): EntraErrorSpec =>
  invalidClient(50027, 'Invalid JWT token. No certificate thumbprint specified in token header.')

const malformed = (detail: string): EntraErrorSpec => ({
  status: 400,
  error: 'invalid_request',
  code: 50027,
  message: `JWT token is invalid or malformed${detail}.`,
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
  let header: ProtectedHeaderParameters
  try {
    header = decodeProtectedHeader(assertion)
  } catch {
    return malformed('')
  }
  const { alg } = header
  if (alg !== 'PS256' && alg !== 'RS256') {
    // Unverified: Entra's answer to another algorithm (HS256, ES256, none…).
    return invalidClient(
      50027,
      `Invalid JWT token. The algorithm '${String(alg)}' is not supported for client assertions: use PS256 with x5t#S256, or RS256 with x5t.`,
    )
  }
  // The thumbprint header of the form names the key; the other one, if present, is ignored.
  const form = FORMS[alg]
  const thumbprint = header[form.header]
  if (typeof thumbprint !== 'string' || thumbprint === '') return noThumbprint()
  const cert = app.certificates.find((c) => c[form.thumbprint] === thumbprint)
  if (cert === undefined) {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}']`,
    )
  }
  let claims: Record<string, unknown>
  try {
    const { payload } = await compactVerify(assertion, cert.publicKey, { algorithms: [alg] })
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
  } catch {
    return invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprint}']`,
    )
  }
  // Unverified: 700021 (iss ≠ client id) and 700023 (aud) are codes Entra has been seen to answer;
  // 50048 (SubjectMismatchesIssuer) is in Microsoft's AADSTS error code reference.
  if (claims.iss !== app.clientId) {
    return invalidClient(
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    )
  }
  if (claims.sub !== claims.iss) {
    return invalidClient(50048, 'Subject mismatches Issuer claim in the client assertion.')
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.some((a) => typeof a === 'string' && check.audiences.has(a.toLowerCase()))) {
    return invalidClient(700023, 'Client assertion audience claim does not match Realm issuer.')
  }
  const { exp, nbf, iat } = claims
  if (typeof exp !== 'number' || [nbf, iat].some((t) => t !== undefined && typeof t !== 'number')) {
    return malformed(": 'exp' must be a number, and so must 'nbf' and 'iat' when present")
  }
  const timeProblem = checkTimes(
    exp,
    nbf as number | undefined,
    iat as number | undefined,
    nowSeconds,
  )
  if (timeProblem !== undefined) return timeProblem
  if (typeof claims.jti !== 'string' || claims.jti === '') {
    // Unverified: Entra's answer to an assertion without jti; treated as a malformed JWT.
    return malformed(": no 'jti' claim")
  }
  forgetExpiredJtis(state, nowSeconds)
  const key = `${app.clientId}:${claims.jti}`
  if (state.jtiSeen.has(key)) {
    // Unverified: whether Entra refuses a replay at all (MSAL reuses its assertion until it
    // expires) and with which code; AADSTS50013 is its "assertion is invalid" family.
    return invalidClient(
      50013,
      'Assertion failed signature validation: the assertion jti was already used (replay).',
    )
  }
  state.jtiSeen.set(key, exp)
  return undefined
}

/**
 * `nbf` and `iat` not in the future, `exp` not past (both within the skew), and `exp` at most
 * 10 minutes after `nbf`, else `iat`, else now. Unverified: 700024 is the code Entra answers for
 * clock skew; its status (400 here) is not documented, nor is any code for a too-long lifetime.
 */
function checkTimes(
  exp: number,
  nbf: number | undefined,
  iat: number | undefined,
  nowSeconds: number,
): EntraErrorSpec | undefined {
  const declaredStart = nbf ?? iat
  const startSeconds = declaredStart ?? nowSeconds
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
  const outOfRange = (detail: string): EntraErrorSpec => ({
    status: 400,
    error: 'invalid_client',
    code: 700024,
    message: `Client assertion is not within its valid time range. Current time: ${iso(nowSeconds)}, ${detail}.`,
  })
  if ([nbf, iat].some((t) => t !== undefined && t > nowSeconds + SKEW_SECONDS)) {
    return outOfRange(`assertion valid from: ${iso(Math.max(nbf ?? -Infinity, iat ?? -Infinity))}`)
  }
  if (exp + SKEW_SECONDS <= nowSeconds || (declaredStart !== undefined && exp <= declaredStart)) {
    return outOfRange(`assertion valid until: ${iso(exp)}`)
  }
  if (exp - startSeconds > MAX_LIFETIME_SECONDS) {
    return outOfRange(
      `assertion lifetime ${exp - startSeconds} s exceeds ${MAX_LIFETIME_SECONDS} s after its nbf`,
    )
  }
  return undefined
}

function forgetExpiredJtis(state: EmulatorState, nowSeconds: number): void {
  for (const [key, exp] of state.jtiSeen) {
    if (exp + SKEW_SECONDS < nowSeconds) state.jtiSeen.delete(key)
  }
}
