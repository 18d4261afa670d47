// Caller-verification settings (AUTH_*) parsed from Env, with every problem named.

/** What a caller's token must satisfy, whichever mode produced it. */
export interface TokenRules {
  /** Compared verbatim with `iss`. */
  issuer: string
  audience: string
  /** Undefined: discovered from `{issuer}/.well-known/openid-configuration`. */
  jwksUrl: string | undefined
  algorithms: string[]
  userClaim: string
  clockToleranceSeconds: number
}

export type AuthConfig =
  | { mode: 'anonymous' }
  | ({
      mode: 'jwt'
      /** A cookie that may carry the token when no Authorization header is sent. */
      cookieName: string | undefined
    } & TokenRules)
  | ({
      mode: 'cloudflare-access'
      /** `https://<team>.cloudflareaccess.com`: the issuer, and where the certificates live. */
      teamDomain: string
    } & TokenRules)

export const AUTH_VARIABLES = [
  'AUTH_MODE',
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_JWKS_URL',
  'AUTH_ALGORITHMS',
  'AUTH_USER_CLAIM',
  'AUTH_CLOCK_TOLERANCE_SECONDS',
  'AUTH_COOKIE',
  'CF_ACCESS_TEAM_DOMAIN',
  'CF_ACCESS_AUD',
] as const

/** What each AUTH_* / CF_ACCESS_* variable holds: said when it holds a placeholder (<tenant id>). */
export const AUTH_VARIABLE_MEANINGS: Partial<Record<(typeof AUTH_VARIABLES)[number], string>> = {
  AUTH_MODE: '"jwt", "cloudflare-access", or "anonymous" to hand out connections to anyone',
  AUTH_ISSUER:
    'the "iss" of your callers\' tokens, character for character (Entra ID v2.0 tokens: ' +
    'https://login.microsoftonline.com/{directory (tenant) id}/v2.0)',
  AUTH_AUDIENCE:
    'the "aud" of your callers\' tokens (Entra ID v2.0 tokens: the application (client) id of ' +
    "the API they are issued for, from its app registration's Overview page)",
  AUTH_JWKS_URL:
    "the URL of the issuer's signing keys (jwks_uri), or leave it unset to discover it",
  CF_ACCESS_TEAM_DOMAIN: 'your Zero Trust team domain, e.g. https://contoso.cloudflareaccess.com',
  CF_ACCESS_AUD: "the Access application's Application Audience (AUD) tag",
}

/** Asymmetric JWS algorithms only: `none` and every HS* (shared secrets) are never accepted. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519']
const MAX_CLOCK_TOLERANCE_SECONDS = 300

type Text = (name: string) => string | undefined
type Report = (variable: string, problem: string) => void

function httpsUrl(variable: string, raw: string, report: Report): string {
  try {
    const url = new URL(raw)
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost'
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      report(variable, 'must use https (http is accepted only for 127.0.0.1 and localhost)')
    }
  } catch {
    report(variable, 'must be an absolute URL')
  }
  return raw.replace(/\/+$/, '')
}

function algorithms(text: Text, report: Report): string[] {
  const raw = text('AUTH_ALGORITHMS')
  if (raw === undefined) return DEFAULT_ALGORITHMS
  const list = raw
    .split(',')
    .map((alg) => alg.trim())
    .filter((alg) => alg !== '')
  for (const alg of list) {
    if (!ASYMMETRIC_ALGORITHMS.includes(alg)) {
      report(
        'AUTH_ALGORITHMS',
        `"${alg.slice(0, 20)}" is not an asymmetric JWS algorithm (allowed: ${ASYMMETRIC_ALGORITHMS.join(', ')})`,
      )
    }
  }
  if (list.length === 0) report('AUTH_ALGORITHMS', 'must list at least one algorithm')
  return list
}

function tolerance(text: Text, report: Report): number {
  const raw = text('AUTH_CLOCK_TOLERANCE_SECONDS') ?? '30'
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value > MAX_CLOCK_TOLERANCE_SECONDS) {
    report(
      'AUTH_CLOCK_TOLERANCE_SECONDS',
      `must be a whole number of seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`,
    )
  }
  return value
}

export function parseAuthConfig(text: Text, report: Report): AuthConfig {
  const mode = text('AUTH_MODE')
  if (mode === undefined) {
    report(
      'AUTH_MODE',
      'is required: "jwt", "cloudflare-access", or "anonymous" to hand out connections to anyone',
    )
    return { mode: 'anonymous' }
  }
  if (mode === 'anonymous') return { mode }
  if (mode === 'jwt') {
    const issuer = text('AUTH_ISSUER')
    const audience = text('AUTH_AUDIENCE')
    if (issuer === undefined)
      report('AUTH_ISSUER', 'is required in jwt mode: the "iss" of accepted tokens')
    if (audience === undefined)
      report('AUTH_AUDIENCE', 'is required in jwt mode: the "aud" of accepted tokens')
    // The issuer is compared verbatim with "iss" (a trailing slash matters), so it is kept as given.
    if (issuer !== undefined) httpsUrl('AUTH_ISSUER', issuer, report)
    const jwksRaw = text('AUTH_JWKS_URL')
    const cookieName = text('AUTH_COOKIE')
    if (cookieName !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
      report('AUTH_COOKIE', 'must be a cookie name (RFC 6265 token characters)')
    }
    return {
      mode,
      issuer: issuer ?? '',
      audience: audience ?? '',
      jwksUrl: jwksRaw === undefined ? undefined : httpsUrl('AUTH_JWKS_URL', jwksRaw, report),
      algorithms: algorithms(text, report),
      userClaim: text('AUTH_USER_CLAIM') ?? 'sub',
      clockToleranceSeconds: tolerance(text, report),
      cookieName,
    }
  }
  if (mode === 'cloudflare-access') {
    const team = text('CF_ACCESS_TEAM_DOMAIN')
    const audience = text('CF_ACCESS_AUD')
    if (team === undefined)
      report('CF_ACCESS_TEAM_DOMAIN', 'is required: https://<team>.cloudflareaccess.com')
    if (audience === undefined)
      report('CF_ACCESS_AUD', "is required: the Access application's AUD tag")
    const teamDomain =
      team === undefined
        ? ''
        : httpsUrl('CF_ACCESS_TEAM_DOMAIN', team.includes('://') ? team : `https://${team}`, report)
    return {
      mode,
      teamDomain,
      // Access tokens are issued by the team domain itself.
      issuer: teamDomain,
      audience: audience ?? '',
      // Cloudflare Access publishes its signing keys here (RS256).
      jwksUrl: `${teamDomain}/cdn-cgi/access/certs`,
      algorithms: ['RS256'],
      userClaim: text('AUTH_USER_CLAIM') ?? 'sub',
      clockToleranceSeconds: tolerance(text, report),
    }
  }
  report(
    'AUTH_MODE',
    `must be "jwt", "cloudflare-access" or "anonymous" (got "${mode.slice(0, 40)}")`,
  )
  return { mode: 'anonymous' }
}
