// The operator's permission policy per hub: roles, groups and token lifetime from verified claims.
import { groupNameProblem, patternProblem, roleProblem } from './roles'

/**
 * Written in wrangler.toml as a table (or given as a JSON string):
 *
 *   [vars.POLICY.hubs.chat]
 *   roles = ["webpubsub.sendToGroup.user.{sub}", "webpubsub.joinLeaveGroups.room.*"]
 *   groups = ["user.{sub}"]                       # joined at connect
 *   requestableGroups = ["room.*"]                # what `group=` may ask for (exact or wildcard pattern)
 *   ttlMinutes = { default = 60, min = 5, max = 120 }
 *   sharedAnonymousToken = false                  # see below
 *   [[vars.POLICY.hubs.chat.when]]                # extra grants when a claim has a value
 *   claim = "roles"
 *   includes = "moderator"                        # or equals = "…"
 *   roles = ["webpubsub.sendToGroup"]
 *
 * Templates: {sub}, {userId} and {claims.<name>} over the verified identity, in roles, groups and
 * requestableGroups alike. `.` separates the levels of a group pattern (`*` stops at it), so a
 * substituted value must stay one literal segment: it is percent-encoded for exactly `%` (`%25`)
 * and `.` (`%2E`), which keeps the mapping injective (user `john.smith` gets `user.john%2Esmith`
 * and cannot fall under `user.john.*`). Inside a pattern (wildcard roles, requestableGroups) the
 * result is also escaped for `\`, `*` and `?`. Clients learn the names they got from the
 * response's `groups`. A value that is missing, empty or not well-formed Unicode (a lone
 * surrogate would be replaced by U+FFFD upstream, merging two identities) refuses the negotiation
 * with caller_claims_unusable; requestableGroups are rendered only when groups are requested.
 *
 * sharedAnonymousToken = true (AUTH_MODE=anonymous only, checked in config.ts) negotiates without
 * a user id: every anonymous caller of the hub with the same grant then shares one client token
 * (client-token reuse), for broadcast audiences. Such a hub has no identity to render, so its
 * roles and groups may not use templates and it has no `when` rules.
 */
export interface Grant {
  roles: string[]
  groups: string[]
}

export interface ConditionalGrant extends Grant {
  claim: string
  equals?: string
  includes?: string
}

export interface HubPolicy extends Grant {
  requestableGroups: string[]
  when: ConditionalGrant[]
  ttl: { defaultMinutes: number; minMinutes: number; maxMinutes: number }
  /** Anonymous callers get no user id and share one client token per grant. */
  sharedAnonymousToken: boolean
}

export interface Policy {
  /** Keyed by lower-case hub name. */
  hubs: Record<string, HubPolicy>
}

/** A verified identity as the policy sees it. */
export interface Identity {
  userId: string
  claims: Record<string, unknown>
}

export const TEMPLATE = /\{([^{}]*)\}/g
const PLACEHOLDER = /^(sub|userId|claims\.[A-Za-z0-9_.:-]+)$/
/** Beyond this a client URL risks proxies' and servers' limits on request lines (~8 KiB). */
export const SAFE_URL_LENGTH = 4096

type Report = (problem: string) => void

const stringList = (value: unknown, what: string, report: Report): string[] => {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    report(`${what} must be a list of strings`)
    return []
  }
  return value
}

function checkTemplates(value: string, what: string, report: Report): void {
  for (const match of value.matchAll(TEMPLATE)) {
    if (!PLACEHOLDER.test(match[1] ?? '')) {
      report(
        `${what} "${value}" uses {${match[1]}}; only {sub}, {userId} and {claims.<name>} exist`,
      )
    }
  }
}

function checkRoles(roles: string[], what: string, report: Report): void {
  for (const role of roles) {
    checkTemplates(role, what, report)
    // Check the shape with placeholders standing in for a plain value.
    const problem = roleProblem(role.replace(TEMPLATE, 'x'))
    if (problem !== undefined) report(`${what} "${role}" ${problem}`)
  }
}

function checkGroups(groups: string[], what: string, report: Report): void {
  for (const group of groups) {
    checkTemplates(group, what, report)
    const problem = groupNameProblem(group.replace(TEMPLATE, 'x'))
    if (problem !== undefined) report(`${what} "${group}" ${problem}`)
  }
}

function checkPatterns(patterns: string[], what: string, report: Report): void {
  for (const pattern of patterns) {
    checkTemplates(pattern, what, report)
    const problem = patternProblem(pattern.replace(TEMPLATE, 'x'))
    if (problem !== undefined) report(`${what} "${pattern}" ${problem}`)
  }
}

function parseTtl(
  value: unknown,
  fallbackMinutes: number,
  hub: string,
  report: Report,
): HubPolicy['ttl'] {
  const ttl = {
    defaultMinutes: fallbackMinutes,
    minMinutes: 1,
    maxMinutes: Math.max(fallbackMinutes, 1),
  }
  if (value === undefined) return ttl
  if (typeof value !== 'object' || value === null) {
    report(`hubs.${hub}.ttlMinutes must be a table { default, min, max }`)
    return ttl
  }
  const fields = value as Record<string, unknown>
  const whole = (name: string, fallback: number): number => {
    const field = fields[name]
    if (field === undefined) return fallback
    if (typeof field !== 'number' || !Number.isInteger(field) || field < 1 || field > 1440) {
      report(`hubs.${hub}.ttlMinutes.${name} must be a whole number of minutes from 1 to 1440`)
      return fallback
    }
    return field
  }
  ttl.defaultMinutes = whole('default', fallbackMinutes)
  ttl.minMinutes = whole('min', Math.min(1, ttl.defaultMinutes))
  ttl.maxMinutes = whole('max', ttl.defaultMinutes)
  if (!(ttl.minMinutes <= ttl.defaultMinutes && ttl.defaultMinutes <= ttl.maxMinutes)) {
    report(`hubs.${hub}.ttlMinutes must satisfy min ≤ default ≤ max`)
  }
  return ttl
}

/** Estimates the client URL a grant produces: the JWT is base64url of its JSON, plus fixed parts. */
/** What a list of strings adds inside `[]` in JSON: quotes, commas and any escapes. */
function jsonListLength(items: readonly string[]): number {
  let length = Math.max(0, items.length - 1)
  for (const item of items) {
    // eslint-disable-next-line no-control-regex
    length += /["\\\u0000-\u001f]/.test(item) ? JSON.stringify(item).length : item.length + 2
  }
  return length
}

export function estimateUrlLength(endpoint: string, hub: string, grant: Grant): number {
  // The length of JSON.stringify({ sub: <64 chars>, role: roles, 'webpubsub.group': groups }),
  // computed without building it.
  const claimsLength =
    '{"sub":"","role":[],"webpubsub.group":[]}'.length +
    64 +
    jsonListLength(grant.roles) +
    jsonListLength(grant.groups)
  const payloadBytes = claimsLength + 200 // iss, aud, iat, nbf, exp
  const jwtLength = 80 + Math.ceil((payloadBytes * 4) / 3) + 44
  return endpoint.length + hub.length + 40 + jwtLength
}

export function parsePolicy(
  raw: unknown,
  hubs: readonly string[],
  defaultTtlMinutes: number,
  endpoint: string,
  report: Report,
): Policy {
  let value = raw ?? { hubs: {} }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      report('is not valid JSON (or use a [vars.POLICY] table in wrangler.toml)')
      return { hubs: {} }
    }
  }
  const policy: Policy = { hubs: {} }
  const known = new Map(hubs.map((hub) => [hub.toLowerCase(), hub]))
  const table = (value as { hubs?: unknown } | null)?.hubs
  if (
    typeof value !== 'object' ||
    value === null ||
    (table !== undefined && (typeof table !== 'object' || table === null))
  ) {
    report('must be a table with a "hubs" table inside')
    return policy
  }
  for (const [hubName, entry] of Object.entries((table ?? {}) as Record<string, unknown>)) {
    if (!known.has(hubName.toLowerCase())) {
      report(`hubs.${hubName} is not one of WEBPUBSUB_HUBS`)
      continue
    }
    const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >
    const where = `hubs.${hubName}`
    const roles = stringList(fields.roles, `${where}.roles`, report)
    const groups = stringList(fields.groups, `${where}.groups`, report)
    const requestableGroups = stringList(
      fields.requestableGroups,
      `${where}.requestableGroups`,
      report,
    )
    checkRoles(roles, `${where}.roles`, report)
    checkGroups(groups, `${where}.groups`, report)
    checkPatterns(requestableGroups, `${where}.requestableGroups`, report)
    const when: ConditionalGrant[] = []
    const rawWhen = fields.when === undefined ? [] : fields.when
    if (!Array.isArray(rawWhen)) report(`${where}.when must be a list of tables`)
    for (const [i, item] of (Array.isArray(rawWhen) ? rawWhen : []).entries()) {
      const rule = (typeof item === 'object' && item !== null ? item : {}) as Record<
        string,
        unknown
      >
      const at = `${where}.when[${i}]`
      if (typeof rule.claim !== 'string' || rule.claim === '')
        report(`${at}.claim must name a claim`)
      const hasEquals = typeof rule.equals === 'string'
      const hasIncludes = typeof rule.includes === 'string'
      if (hasEquals === hasIncludes)
        report(`${at} needs exactly one of equals or includes (a string)`)
      const grant = {
        claim: String(rule.claim ?? ''),
        equals: hasEquals ? (rule.equals as string) : undefined,
        includes: hasIncludes ? (rule.includes as string) : undefined,
        roles: stringList(rule.roles, `${at}.roles`, report),
        groups: stringList(rule.groups, `${at}.groups`, report),
      }
      checkRoles(grant.roles, `${at}.roles`, report)
      checkGroups(grant.groups, `${at}.groups`, report)
      when.push(grant)
    }
    const sharedAnonymousToken = fields.sharedAnonymousToken ?? false
    if (typeof sharedAnonymousToken !== 'boolean') {
      report(`${where}.sharedAnonymousToken must be true or false`)
    } else if (sharedAnonymousToken) {
      const templated = [...roles, ...groups, ...requestableGroups].find((value) =>
        value.match(TEMPLATE),
      )
      if (templated !== undefined) {
        report(
          `${where} has sharedAnonymousToken = true, so no user id or claims: "${templated}" may not use a template`,
        )
      }
      if (when.length > 0) {
        report(`${where} has sharedAnonymousToken = true, so no claims: remove its "when" rules`)
      }
    }
    const hubPolicy: HubPolicy = {
      roles,
      groups,
      requestableGroups,
      when,
      ttl: parseTtl(fields.ttlMinutes, defaultTtlMinutes, hubName, report),
      sharedAnonymousToken: sharedAnonymousToken === true,
    }
    const widest: Grant = {
      roles: [...roles, ...when.flatMap((rule) => rule.roles)],
      groups: [...groups, ...when.flatMap((rule) => rule.groups)],
    }
    const length = estimateUrlLength(endpoint, hubName, widest)
    if (length > SAFE_URL_LENGTH) {
      report(
        `${where} grants so many roles and groups that a client URL would be about ${length} characters ` +
          `(safe: ${SAFE_URL_LENGTH}); use wildcard roles (webpubsub.joinLeaveGroups.<pattern>) instead of long lists`,
      )
    }
    policy.hubs[hubName.toLowerCase()] = hubPolicy
  }
  for (const [lower] of known) {
    policy.hubs[lower] ??= {
      roles: [],
      groups: [],
      requestableGroups: [],
      when: [],
      ttl: { defaultMinutes: defaultTtlMinutes, minMinutes: 1, maxMinutes: defaultTtlMinutes },
      sharedAnonymousToken: false,
    }
  }
  return policy
}
