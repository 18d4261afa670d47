// Reads and validates what an admin call asks for: which user, which hub, and for how long.
import { HUB_NAME_PATTERN } from '../config'
import {
  DEFAULT_REVOCATION_SECONDS,
  MAX_REVOCATION_SECONDS,
  MAX_USER_ID_LENGTH,
} from '../caller/revocations'
import { NegotiatorError } from '../errors'
import {
  mediaTypeOf,
  parameterInvalid as invalid,
  printable,
  readBoundedBody,
  STRICT_UTF8,
  type RequestBody,
} from '../http/request-body'
import { isWellFormed } from '../lib/unicode'

export interface RevokeRequest {
  userId: string
  /** The hub as configured, or null for every hub. */
  hub: string | null
  forSeconds: number
}

export interface UserTarget {
  userId: string
  /** The hub as configured; undefined for every hub. */
  hub?: string
}

function userIdOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw invalid('"userId" is required: the user id as the negotiator hands it out.')
  }
  if (value.length > MAX_USER_ID_LENGTH) {
    throw invalid(`"userId" is longer than ${MAX_USER_ID_LENGTH} characters.`)
  }
  if (!isWellFormed(value)) throw invalid('"userId" holds a lone UTF-16 surrogate.')
  return value
}

/** The configured spelling of `value`, or the problem of a hub not served here. */
function hubOf(value: unknown, hubs: readonly string[]): string {
  if (typeof value !== 'string' || !HUB_NAME_PATTERN.test(value)) {
    throw invalid(
      '"hub" must be a hub name (a letter, then at most 127 letters, digits and _`,.[]).',
    )
  }
  const allowed = hubs.find((name) => name.toLowerCase() === value.toLowerCase())
  if (allowed === undefined) {
    throw new NegotiatorError('hub_not_allowed', {
      detail: `Hub "${value}" is not served here.`,
      extensions: { allowedHubs: hubs },
    })
  }
  return allowed
}

function forSecondsOf(value: unknown): number {
  if (value === undefined) return DEFAULT_REVOCATION_SECONDS
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_REVOCATION_SECONDS
  ) {
    throw invalid(
      `"forSeconds" must be a whole number of seconds from 1 to ${MAX_REVOCATION_SECONDS} (30 days).`,
    )
  }
  return value
}

/** The JSON object of a POST body, with only the `allowed` fields. */
async function readJsonObject(
  request: RequestBody,
  allowed: readonly string[],
): Promise<Record<string, unknown>> {
  if (mediaTypeOf(request) !== 'application/json') {
    throw invalid('Send the body as application/json.')
  }
  const bytes = await readBoundedBody(request)
  let body: unknown
  try {
    body = JSON.parse(STRICT_UTF8.decode(bytes))
  } catch {
    throw invalid('The body is not JSON in UTF-8.')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object such as {"userId":"alice"}.')
  }
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) {
      throw invalid(`"${printable(name)}" is not a field here; use ${allowed.join(', ')}.`)
    }
  }
  return body as Record<string, unknown>
}

/** POST /admin/revocations: `{ "userId": "…", "hub"?: "…" | null, "forSeconds"?: n }`. */
export async function readRevokeRequest(
  request: RequestBody,
  hubs: readonly string[],
): Promise<RevokeRequest> {
  const body = await readJsonObject(request, ['userId', 'hub', 'forSeconds'])
  const userId = userIdOf(body.userId)
  const hub = body.hub === undefined || body.hub === null ? null : hubOf(body.hub, hubs)
  return { userId, hub, forSeconds: forSecondsOf(body.forSeconds) }
}

/** POST /admin/revocations/close-connections: `{ "userId": "…", "hub"?: "…" | null }`. */
export async function readCloseRequest(
  request: RequestBody,
  hubs: readonly string[],
): Promise<UserTarget> {
  const body = await readJsonObject(request, ['userId', 'hub'])
  const userId = userIdOf(body.userId)
  if (body.hub === undefined || body.hub === null) return { userId }
  return { userId, hub: hubOf(body.hub, hubs) }
}

/**
 * DELETE /admin/revocations?userId=…[&hub=…]. Decoded strictly: a broken percent-escape, bytes
 * that are not UTF-8, a repeated or unknown parameter is refused, never guessed at.
 */
export function readLiftQuery(url: string, hubs: readonly string[]): UserTarget {
  const at = url.indexOf('?')
  const query = at === -1 ? '' : url.slice(at + 1).split('#')[0]!
  const params = new Map<string, string>()
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    let name: string
    let value: string
    try {
      const decode = (raw: string) => decodeURIComponent(raw.replace(/\+/g, ' '))
      name = decode(eq === -1 ? pair : pair.slice(0, eq))
      value = decode(eq === -1 ? '' : pair.slice(eq + 1))
    } catch {
      throw invalid('The query has a broken percent-escape or bytes that are not UTF-8.')
    }
    if (name !== 'userId' && name !== 'hub') {
      throw invalid(`"${printable(name)}" is not a parameter here; use userId and hub.`)
    }
    if (params.has(name)) throw invalid(`"${name}" is given more than once.`)
    params.set(name, value)
  }
  const userId = userIdOf(params.get('userId'))
  const hub = params.get('hub')
  return hub === undefined ? { userId } : { userId, hub: hubOf(hub, hubs) }
}
