// Env → frozen Config, parsed once per isolate; reports every problem at once, naming the variable.
import {
  AUTH_VARIABLE_MEANINGS,
  AUTH_VARIABLES,
  parseAuthConfig,
  type AuthConfig,
} from './caller/auth-config'
import { parsePolicy, type Policy } from './caller/policy'
import {
  parseTokenReuse,
  TOKEN_REUSE_VARIABLES,
  type TokenReuseConfig,
} from './cache/token-reuse-config'
import {
  CREDENTIAL_VARIABLE_MEANINGS,
  parseCredential,
  type CredentialConfig,
} from './entra/credential-config'
import { NegotiatorError } from './errors'
import { decodeBase64 } from './lib/base64'
import { LOG_LEVELS, type LogLevel } from './lib/log'
import { parseConnectionString } from './webpubsub/connection-string'

/** The hub-name rule of the Web PubSub data plane (Azure Web PubSub REST API, hub parameter). */
export const HUB_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com'
export const DEFAULT_SCOPE = 'https://webpubsub.azure.com/.default'

/** Client tokens come from the Auth API, called with an Entra app token (the default mode). */
export interface EntraSigningConfig {
  readonly signing: 'entra'
  readonly tenantId: string
  readonly clientId: string
  readonly credential: CredentialConfig
  /** Without a trailing slash. */
  readonly authorityHost: string
  /** `{authorityHost}/{tenant}/oauth2/v2.0/token` (Microsoft identity platform, client credentials). */
  readonly tokenEndpoint: string
  readonly scope: string
}

/** WEBPUBSUB_CONNECTION_STRING: client tokens are signed here with the resource's access key. */
export interface AccessKeySigningConfig {
  readonly signing: 'access-key'
  /** The AccessKey of the connection string; a secret. */
  readonly accessKey: string
}

/** One Web PubSub resource a client token may come from. */
export interface WebPubSubResource {
  /** The endpoint origin, without a trailing slash. */
  readonly endpoint: string
  /** Access-key mode: this resource's own AccessKey (a secret). */
  readonly accessKey?: string
}

/** At most this many resources in all: each one tried costs a share of the 5 s budget. */
export const MAX_RESOURCES = 5

export type Config = CommonConfig & (EntraSigningConfig | AccessKeySigningConfig)
/** A Config in the Entra mode: what the Entra token source needs. */
export type EntraConfig = CommonConfig & EntraSigningConfig

/** The Entra variables; none may be set next to WEBPUBSUB_CONNECTION_STRING. */
export const ENTRA_VARIABLES = [
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE',
  'AZURE_AUTHORITY_HOST',
  'WEBPUBSUB_ENDPOINT',
  'WEBPUBSUB_SECONDARY_ENDPOINTS',
  'WEBPUBSUB_SCOPE',
] as const

export interface CommonConfig {
  /** How callers are verified (caller/auth-config.ts). */
  readonly auth: AuthConfig
  /** Web PubSub endpoint origin, without a trailing slash (from the connection string in key mode). */
  readonly endpoint: string
  /**
   * Every resource in order of preference: the primary (`endpoint`) first, then the secondaries
   * (WEBPUBSUB_SECONDARY_ENDPOINTS, or WEBPUBSUB_SECONDARY_CONNECTION_STRINGS in access-key mode).
   */
  readonly resources: readonly WebPubSubResource[]
  /** The longest endpoint: URL-length checks measure with it, whichever resource issues. */
  readonly longestEndpoint: string
  /** Allowed hubs; the first is the default. */
  readonly hubs: readonly string[]
  readonly tokenTtlMinutes: number
  /** Roles, groups and lifetimes per hub (caller/policy.ts); every allowed hub has an entry. */
  readonly policy: Policy
  /** Browser origins allowed to call (CORS_ORIGINS); '*' only in anonymous mode. */
  readonly corsOrigins: readonly string[] | '*'
  /** Cookies carry credentials (AUTH_COOKIE, or Cloudflare Access's CF_Authorization). */
  readonly corsCredentials: boolean
  /** Must equal the RATE_LIMITER binding's period; it becomes Retry-After on a 429. */
  readonly rateLimitPeriodSeconds: number
  /** MAX_REQUESTED_GROUPS: how many `group` values one negotiation may ask for. */
  readonly maxRequestedGroups: number
  /** TOKEN_CACHE_KEY (base64 of 32 bytes), or undefined to derive one from the credential. */
  readonly cacheKeyBase64: string | undefined
  /** Client-token reuse (cache/client-token-cache.ts). */
  readonly tokenReuse: TokenReuseConfig
  /** LOG_LEVEL: the least severe level written (default info, which includes the audit line). */
  readonly logLevel: LogLevel
  /** LOG_USER_ID: `plain` (default) logs user ids as they are, `hash` a keyed hash of them. */
  readonly logUserId: 'plain' | 'hash'
  /**
   * ADMIN_TOKEN: the bearer credential of the admin endpoint (routes/admin.ts), a secret; undefined
   * when unset, and then the admin endpoint does not exist and nothing checks revocations.
   */
  readonly adminToken: string | undefined
}

export interface ConfigProblem {
  variable: string
  problem: string
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] }

/** The variables this file reads; a change to any of them means the config must be parsed again. */
export const CONFIG_VARIABLES = [
  ...AUTH_VARIABLES,
  ...ENTRA_VARIABLES,
  'WEBPUBSUB_CONNECTION_STRING',
  'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS',
  'WEBPUBSUB_HUBS',
  'TOKEN_TTL_MINUTES',
  'TOKEN_CACHE_KEY',
  'POLICY',
  'CORS_ORIGINS',
  'RATE_LIMIT_PERIOD_SECONDS',
  'MAX_REQUESTED_GROUPS',
  ...TOKEN_REUSE_VARIABLES,
  'LOG_LEVEL',
  'LOG_USER_ID',
  'ADMIN_TOKEN',
] as const

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Entra also accepts a verified domain name in place of the tenant id. */
const TENANT_DOMAIN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/i
const MAX_TOKEN_TTL_MINUTES = 24 * 60
/** A URL with more groups than this risks the request-line limits of proxies (about 8 KiB). */
const MAX_REQUESTED_GROUPS_LIMIT = 100

/**
 * What a variable holds, said when it holds a placeholder. Any value with an angle-bracket
 * placeholder (`<tenant id>`, as in .dev.vars.example and README "Deploy") is refused: no valid
 * value has one, since URLs, GUIDs, hub names, origins, PEM and base64 never contain `<` or `>`.
 */
const VARIABLE_MEANINGS: Record<string, string> = {
  ...AUTH_VARIABLE_MEANINGS,
  ...CREDENTIAL_VARIABLE_MEANINGS,
  AZURE_TENANT_ID:
    'the directory (tenant) id, a GUID from the Overview page of Microsoft Entra ID ' +
    'in the Azure portal',
  AZURE_CLIENT_ID:
    "the Application (client) ID from the negotiator's app registration's Overview page",
  WEBPUBSUB_ENDPOINT:
    "your Web PubSub resource's endpoint from its Overview page in the Azure portal, " +
    'e.g. https://contoso.webpubsub.azure.com',
  WEBPUBSUB_SECONDARY_ENDPOINTS:
    'the endpoints of your other Web PubSub resources (other regions), comma-separated, ' +
    'e.g. https://contoso-westeurope.webpubsub.azure.com',
  CORS_ORIGINS: "your web app's exact origins, comma-separated, e.g. https://app.contoso.com",
  TOKEN_CACHE_KEY: 'base64 of 32 random bytes (openssl rand -base64 32)',
  ADMIN_TOKEN: 'a random credential of at least 32 characters (openssl rand -base64 32)',
}
const PLACEHOLDER = /<[^<>\r\n]*>/
const WHOLE_PLACEHOLDER = /^<[^<>\r\n]*>$/
/** A secret is a placeholder only when all of it is one, and the problem never quotes it. */
const SECRET_VARIABLES = new Set([
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE',
  'TOKEN_CACHE_KEY',
  'WEBPUBSUB_CONNECTION_STRING',
  'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS',
  'ADMIN_TOKEN',
])

function placeholderProblem(name: string, value: string): string | undefined {
  const meaning = `set it to ${VARIABLE_MEANINGS[name] ?? 'a real value (README "Configuration")'}`
  if (SECRET_VARIABLES.has(name)) {
    return WHOLE_PLACEHOLDER.test(value) ? `is a placeholder: ${meaning}` : undefined
  }
  const found = PLACEHOLDER.exec(value)?.[0]
  if (found === undefined) return undefined
  // eslint-disable-next-line no-control-regex
  const quoted = JSON.stringify(found.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?'))
  return found === value
    ? `is a placeholder (${quoted}): ${meaning}`
    : `holds a placeholder (${quoted}): ${meaning}`
}

export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const problems: ConfigProblem[] = []
  /** Variables holding a placeholder: that is their one problem, not also "is required". */
  const placeholders = new Set<string>()
  const report = (variable: string, problem: string): void => {
    if (!placeholders.has(variable)) problems.push({ variable, problem })
  }
  const text = (name: string): string | undefined => {
    const value = env[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') {
      report(name, 'must be a string')
      return undefined
    }
    const trimmed = value.trim()
    const placeholder = trimmed === '' ? undefined : placeholderProblem(name, trimmed)
    if (placeholder !== undefined) {
      report(name, placeholder)
      placeholders.add(name)
      return undefined
    }
    return trimmed === '' ? undefined : trimmed
  }

  const auth = parseAuthConfig(text, report)

  // The endpoint even when the rest is wrong: the policy's URL-length checks measure with it.
  const { endpoint, signing } = parseSigning(text, report)
  const resources = parseResources(text, report, endpoint, signing)
  const longestEndpoint = resources.reduce(
    (longest, resource) =>
      resource.endpoint.length > longest.length ? resource.endpoint : longest,
    endpoint,
  )

  const hubs = (text('WEBPUBSUB_HUBS') ?? '')
    .split(',')
    .map((hub) => hub.trim())
    .filter((hub) => hub !== '')
  if (hubs.length === 0) report('WEBPUBSUB_HUBS', 'is required: a comma-separated list of hubs')
  for (const hub of hubs) {
    if (!HUB_NAME_PATTERN.test(hub)) {
      report(
        'WEBPUBSUB_HUBS',
        `"${hub.slice(0, 40)}" is not a valid hub name (${HUB_NAME_PATTERN.source})`,
      )
    }
  }
  if (new Set(hubs.map((hub) => hub.toLowerCase())).size !== hubs.length) {
    report('WEBPUBSUB_HUBS', 'lists a hub twice (hub names are compared case-insensitively)')
  }

  const ttlRaw = text('TOKEN_TTL_MINUTES') ?? '60'
  const tokenTtlMinutes = Number(ttlRaw)
  if (!/^\d+$/.test(ttlRaw) || tokenTtlMinutes < 1 || tokenTtlMinutes > MAX_TOKEN_TTL_MINUTES) {
    report(
      'TOKEN_TTL_MINUTES',
      `must be a whole number of minutes from 1 to ${MAX_TOKEN_TTL_MINUTES}`,
    )
  }

  const cacheKeyBase64 = text('TOKEN_CACHE_KEY')
  if (cacheKeyBase64 !== undefined && base64Length(cacheKeyBase64) !== 32) {
    // The value itself is never echoed: it is a secret.
    report('TOKEN_CACHE_KEY', 'must be base64 of exactly 32 random bytes (openssl rand -base64 32)')
  }

  const policy = parsePolicy(env.POLICY, hubs, tokenTtlMinutes, longestEndpoint, (problem) =>
    report('POLICY', problem),
  )

  const corsRaw = text('CORS_ORIGINS')
  let corsOrigins: string[] | '*' = []
  if (corsRaw === '*') {
    if (auth.mode !== 'anonymous') {
      report(
        'CORS_ORIGINS',
        '"*" is allowed only with AUTH_MODE=anonymous; list the exact origins of your app',
      )
    }
    corsOrigins = '*'
  } else if (corsRaw !== undefined) {
    corsOrigins = corsRaw
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '')
    for (const origin of corsOrigins) {
      let parsedOrigin: string | undefined
      try {
        parsedOrigin = new URL(origin).origin
      } catch {
        parsedOrigin = undefined
      }
      if (parsedOrigin !== origin) {
        report(
          'CORS_ORIGINS',
          `"${origin.slice(0, 60)}" is not an exact origin such as https://app.example.com`,
        )
      }
    }
  }
  const corsCredentials =
    (auth.mode === 'jwt' && auth.cookieName !== undefined) || auth.mode === 'cloudflare-access'

  const periodRaw = text('RATE_LIMIT_PERIOD_SECONDS') ?? '60'
  if (periodRaw !== '10' && periodRaw !== '60') {
    report(
      'RATE_LIMIT_PERIOD_SECONDS',
      'must be 10 or 60, the period of the [[ratelimits]] binding',
    )
  }

  const maxGroupsRaw = text('MAX_REQUESTED_GROUPS') ?? '20'
  const maxRequestedGroups = Number(maxGroupsRaw)
  if (!/^\d+$/.test(maxGroupsRaw) || maxRequestedGroups > MAX_REQUESTED_GROUPS_LIMIT) {
    report(
      'MAX_REQUESTED_GROUPS',
      `must be a whole number from 0 to ${MAX_REQUESTED_GROUPS_LIMIT} (default 20)`,
    )
  }

  const adminToken = parseAdminToken(text, report, auth.mode)
  const tokenReuse = parseTokenReuse(text, report)
  const logLevel = (text('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    report('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (default info)`)
  }
  const logUserId = (text('LOG_USER_ID') ?? 'plain').toLowerCase()
  if (logUserId !== 'plain' && logUserId !== 'hash') {
    report('LOG_USER_ID', 'must be plain (the default) or hash (a keyed hash of each user id)')
  }
  for (const [hub, hubPolicy] of Object.entries(policy.hubs)) {
    if (hubPolicy.sharedAnonymousToken && auth.mode !== 'anonymous') {
      report(
        'POLICY',
        `hubs.${hub}.sharedAnonymousToken is allowed only with AUTH_MODE=anonymous: ` +
          'verified callers always get a token for their own user id',
      )
    }
  }

  if (problems.length > 0 || signing === undefined) return { ok: false, problems }
  const config: Config = {
    auth,
    ...signing,
    endpoint,
    resources,
    longestEndpoint,
    hubs: Object.freeze(hubs),
    tokenTtlMinutes,
    policy,
    corsOrigins,
    corsCredentials,
    rateLimitPeriodSeconds: Number(periodRaw),
    maxRequestedGroups,
    cacheKeyBase64,
    tokenReuse,
    logLevel,
    logUserId: logUserId === 'hash' ? 'hash' : 'plain',
    adminToken,
  }
  return { ok: true, config: Object.freeze(config) }
}

type Text = (name: string) => string | undefined
type Report = (variable: string, problem: string) => void

/** How client tokens are signed: by the Auth API (Entra variables) or here (connection string). */
function parseSigning(
  text: Text,
  report: Report,
): { endpoint: string; signing: EntraSigningConfig | AccessKeySigningConfig | undefined } {
  const connectionString = text('WEBPUBSUB_CONNECTION_STRING')
  if (connectionString === undefined) return parseEntraSigning(text, report)
  // Presence, not validity: a set Entra variable means the operator meant the other mode.
  const alongside = ENTRA_VARIABLES.filter((name) => text(name) !== undefined)
  const oneMode = ': set the Entra variables or the connection string, not both'
  for (const name of alongside) {
    report(name, `must not be set with WEBPUBSUB_CONNECTION_STRING${oneMode}`)
  }
  if (alongside.length > 0) {
    report('WEBPUBSUB_CONNECTION_STRING', `must not be set with ${alongside.join(', ')}${oneMode}`)
  }
  const parsed = parseConnectionString(connectionString)
  if (!parsed.ok) {
    for (const problem of parsed.problems) report('WEBPUBSUB_CONNECTION_STRING', problem)
    return { endpoint: '', signing: undefined }
  }
  // Its Endpoint obeys the rules of WEBPUBSUB_ENDPOINT, whose messages never quote the value.
  let valid = alongside.length === 0
  const endpoint = parseHttpsOrigin(
    'WEBPUBSUB_CONNECTION_STRING',
    parsed.connection.endpointUrl,
    (variable, problem) => {
      valid = false
      report(variable, problem)
    },
  )
  const signing = { signing: 'access-key', accessKey: parsed.connection.accessKey } as const
  return { endpoint, signing: valid ? signing : undefined }
}

/**
 * The primary and the secondary resources. Entra mode: WEBPUBSUB_SECONDARY_ENDPOINTS, one Entra
 * token serving all (the scope is the service's, not a resource's). Access-key mode: each
 * resource has its own key, so WEBPUBSUB_SECONDARY_CONNECTION_STRINGS. Lists are comma-separated
 * (neither an origin nor a base64 key holds a comma); a problem names the entry by its position,
 * never quoting a connection string.
 */
function parseResources(
  text: Text,
  report: Report,
  endpoint: string,
  signing: EntraSigningConfig | AccessKeySigningConfig | undefined,
): WebPubSubResource[] {
  const accessKeyMode = text('WEBPUBSUB_CONNECTION_STRING') !== undefined
  const primary: WebPubSubResource =
    signing?.signing === 'access-key' ? { endpoint, accessKey: signing.accessKey } : { endpoint }
  const resources = [primary]
  const list = (name: string): string[] =>
    (text(name) ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
  const endpoints = list('WEBPUBSUB_SECONDARY_ENDPOINTS')
  const connectionStrings = list('WEBPUBSUB_SECONDARY_CONNECTION_STRINGS')
  if (!accessKeyMode && connectionStrings.length > 0) {
    report(
      'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS',
      'is for access-key mode (with WEBPUBSUB_CONNECTION_STRING); with Entra, list the ' +
        'secondary endpoints in WEBPUBSUB_SECONDARY_ENDPOINTS',
    )
  }
  const name = accessKeyMode
    ? 'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS'
    : 'WEBPUBSUB_SECONDARY_ENDPOINTS'
  const entries = accessKeyMode ? connectionStrings : endpoints
  if (entries.length + 1 > MAX_RESOURCES) {
    report(name, `lists ${entries.length} resources; at most ${MAX_RESOURCES - 1} secondaries`)
  }
  entries.forEach((entry, index) => {
    const entryReport: Report = (_variable, problem) =>
      report(name, `entry ${index + 1} ${problem}`)
    if (accessKeyMode) {
      const parsed = parseConnectionString(entry)
      if (!parsed.ok) {
        for (const problem of parsed.problems) entryReport(name, problem)
        return
      }
      const secondary = parseHttpsOrigin(name, parsed.connection.endpointUrl, entryReport)
      resources.push({ endpoint: secondary, accessKey: parsed.connection.accessKey })
    } else {
      resources.push({ endpoint: parseHttpsOrigin(name, entry, entryReport) })
    }
  })
  const seen = new Set<string>()
  resources.forEach((resource, index) => {
    if (resource.endpoint === '') return
    if (seen.has(resource.endpoint)) {
      report(name, `entry ${index} names the primary or an earlier entry again; list each once`)
    }
    seen.add(resource.endpoint)
  })
  return resources
}

function parseEntraSigning(
  text: Text,
  report: Report,
): { endpoint: string; signing: EntraSigningConfig | undefined } {
  const tenantId = text('AZURE_TENANT_ID') ?? ''
  if (tenantId === '') report('AZURE_TENANT_ID', 'is required: the directory (tenant) id')
  else if (!GUID.test(tenantId) && !TENANT_DOMAIN.test(tenantId)) {
    report('AZURE_TENANT_ID', 'must be a GUID or a verified domain such as contoso.onmicrosoft.com')
  }

  const clientId = text('AZURE_CLIENT_ID') ?? ''
  if (clientId === '') report('AZURE_CLIENT_ID', 'is required: the application (client) id')
  else if (!GUID.test(clientId)) report('AZURE_CLIENT_ID', 'must be a GUID (the application id)')

  const credential = parseCredential(
    text('AZURE_CLIENT_SECRET'),
    text('AZURE_CLIENT_CERTIFICATE'),
    report,
  )

  const authorityHost = parseHttpsOrigin(
    'AZURE_AUTHORITY_HOST',
    text('AZURE_AUTHORITY_HOST') ?? DEFAULT_AUTHORITY_HOST,
    report,
  )
  const endpointRaw = text('WEBPUBSUB_ENDPOINT')
  let endpoint = ''
  if (endpointRaw === undefined) {
    report(
      'WEBPUBSUB_ENDPOINT',
      'is required, e.g. https://contoso.webpubsub.azure.com (or WEBPUBSUB_CONNECTION_STRING)',
    )
  } else {
    endpoint = parseHttpsOrigin('WEBPUBSUB_ENDPOINT', endpointRaw, report)
  }

  const scope = text('WEBPUBSUB_SCOPE') ?? DEFAULT_SCOPE
  if (!/^https:\/\/\S+\/\.default$/.test(scope)) {
    report('WEBPUBSUB_SCOPE', 'must be an https resource followed by /.default')
  }
  if (credential === undefined) return { endpoint, signing: undefined }
  return {
    endpoint,
    signing: {
      signing: 'entra',
      tenantId,
      clientId,
      credential,
      authorityHost,
      tokenEndpoint: `${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
      scope,
    },
  }
}

function parseHttpsOrigin(
  variable: string,
  raw: string,
  report: (variable: string, problem: string) => void,
): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    report(variable, 'must be an absolute URL such as https://example.com')
    return ''
  }
  const loopback =
    url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    report(variable, 'must use https (http is accepted only for 127.0.0.1 and localhost)')
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    report(variable, 'must be an origin only, without a path, query or fragment')
  }
  if (url.username !== '' || url.password !== '') report(variable, 'must not contain credentials')
  return url.origin
}

/** At least this many characters: 32 random base64 characters carry 192 bits, beyond guessing. */
export const MIN_ADMIN_TOKEN_LENGTH = 32
/** RFC 6750 §2.1 b64token: what a bearer credential may hold, so the CLI can send it as it is. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * ADMIN_TOKEN enables the admin endpoint. Revoking a user needs stable user ids, which anonymous
 * callers do not have (each negotiation draws a new random one), so it is refused there. The
 * problems never quote the value: it is a secret.
 */
function parseAdminToken(
  text: Text,
  report: Report,
  authMode: AuthConfig['mode'],
): string | undefined {
  const token = text('ADMIN_TOKEN')
  if (token === undefined) return undefined
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || token.length > 512 || !B64TOKEN.test(token)) {
    report(
      'ADMIN_TOKEN',
      `must be ${MIN_ADMIN_TOKEN_LENGTH} to 512 characters of A-Z, a-z, 0-9, "-", ".", "_", "~", ` +
        '"+" and "/" (then "=" padding), e.g. openssl rand -base64 32',
    )
  }
  if (authMode === 'anonymous') {
    report(
      'ADMIN_TOKEN',
      'revocation needs verified user ids; with AUTH_MODE=anonymous every caller gets a random ' +
        'one: use jwt or cloudflare-access, or unset ADMIN_TOKEN',
    )
  }
  return token
}

function base64Length(value: string): number {
  return decodeBase64(value)?.length ?? -1
}

/** The error /negotiate and /readyz answer while the configuration is broken. */
export function configInvalid(problems: ConfigProblem[]): NegotiatorError {
  return new NegotiatorError('config_invalid', {
    detail: `The negotiator's configuration has ${problems.length} problem(s); fix them and redeploy.`,
    extensions: { problems },
  })
}
