// CORS for browsers calling /negotiate: an exact allow-list, credentials only with cookies.
// Hand-written rather than Hono's middleware: its headers go onto the finished response, so no
// placeholder response is built (and copied) before the handler's own.
import type { Config, ConfigProblem } from '../config'

/** Headers browsers may read: timings for the operator, the request id, and Retry-After on 429/503. */
const EXPOSED = 'Server-Timing,X-Request-Id,Retry-After'
const ALLOWED_HEADERS = 'Authorization,Content-Type,Cf-Access-Jwt-Assertion'
const ALLOWED_METHODS = 'GET,POST,OPTIONS'
/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600'

/** What CORS needs of the configuration. */
export type CorsSettings = Pick<Config, 'corsOrigins' | 'corsCredentials'>

/** The allowed origin for this request, or undefined; also used for Timing-Allow-Origin. */
export function allowedOrigin(
  settings: Pick<CorsSettings, 'corsOrigins'>,
  origin: string | undefined,
): string | undefined {
  if (origin === undefined) return undefined
  if (settings.corsOrigins === '*') return '*'
  return settings.corsOrigins.includes(origin) ? origin : undefined
}

/**
 * Adds the CORS headers of an actual (non-preflight) response: the allowed origin echoed (never
 * '*' with credentials), or nothing for any other origin. With an allow-list the answer depends
 * on Origin, so caches are told (Vary).
 */
export function addCorsHeaders(
  headers: Headers,
  settings: CorsSettings,
  origin: string | undefined,
): void {
  const allowed = allowedOrigin(settings, origin)
  if (allowed !== undefined) {
    headers.set('access-control-allow-origin', allowed)
    if (settings.corsCredentials) headers.set('access-control-allow-credentials', 'true')
    headers.set('access-control-expose-headers', EXPOSED)
  }
  // Only an allow-list makes the answer depend on Origin: with none, or '*', it never does.
  if (settings.corsOrigins !== '*' && settings.corsOrigins.length > 0)
    headers.append('vary', 'Origin')
}

/** The answer to a preflight (OPTIONS): 204, and the grants only for an allowed origin. */
export function preflightResponse(settings: CorsSettings, origin: string | undefined): Response {
  const headers = new Headers({
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': PREFLIGHT_MAX_AGE,
  })
  addCorsHeaders(headers, settings, origin)
  headers.append('vary', 'Access-Control-Request-Headers')
  return new Response(null, { status: 204, headers })
}

const trimmed = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

/**
 * CORS while the configuration is invalid, so that a browser app on an allowed origin can read the
 * config_invalid answer. `problems` comes from parseConfig, which names the variable of every
 * problem: CORS_ORIGINS is honoured only when no problem names it, and '*' only when AUTH_MODE is
 * exactly "anonymous" (parseConfig reads a missing or unknown AUTH_MODE as anonymous, so the
 * absence of a CORS_ORIGINS problem alone does not vouch for '*'). Credentials follow the same
 * rule as in Config.corsCredentials. Anything else allows no origin.
 */
export function corsSettingsDespiteProblems(
  variables: { CORS_ORIGINS?: unknown; AUTH_MODE?: unknown; AUTH_COOKIE?: unknown },
  problems: readonly ConfigProblem[],
): CorsSettings {
  const raw = trimmed(variables.CORS_ORIGINS)
  const mode = trimmed(variables.AUTH_MODE)
  const credentials =
    (mode === 'jwt' && trimmed(variables.AUTH_COOKIE) !== undefined) || mode === 'cloudflare-access'
  const none: CorsSettings = { corsOrigins: [], corsCredentials: false }
  if (raw === undefined || problems.some((problem) => problem.variable === 'CORS_ORIGINS'))
    return none
  if (raw === '*') return mode === 'anonymous' ? { corsOrigins: '*', corsCredentials: false } : none
  const corsOrigins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
  return { corsOrigins, corsCredentials: credentials }
}
