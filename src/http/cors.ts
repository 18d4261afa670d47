// CORS for browsers calling /negotiate: an exact allow-list, credentials only with cookies.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { Config, ConfigProblem } from '../config'

/** Headers browsers may read: timings for the operator, the request id, and Retry-After on 429/503. */
const EXPOSED = ['Server-Timing', 'X-Request-Id', 'Retry-After']
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Cf-Access-Jwt-Assertion']

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

export function corsMiddleware(settings: CorsSettings): MiddlewareHandler {
  return cors({
    // Echo an allowed origin (never '*' with credentials); anything else gets no CORS headers.
    origin: (origin) => allowedOrigin(settings, origin) ?? null,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED,
    credentials: settings.corsCredentials,
    maxAge: 600,
  })
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
