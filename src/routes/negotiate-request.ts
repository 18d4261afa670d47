// Reads and validates what a /negotiate caller may ask for: hub, protocol, groups and lifetime.
import type { Config } from '../config'
import { HUB_NAME_PATTERN } from '../config'
import { groupNameProblem } from '../caller/roles'
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
import { CLIENT_PROTOCOLS, type ClientProtocol } from '../webpubsub/client-url'

/** Parameters a caller may never set: identity and rights come from server-side policy (POLICY). */
const NOT_ALLOWED = ['userid', 'user', 'id', 'role', 'roles']

export interface NegotiateRequest {
  hub: string
  protocol: ClientProtocol
  /** Asked-for groups; the policy decides which are allowed. */
  groups: string[]
  minutesToExpire: number | undefined
}

export interface IncomingRequest extends RequestBody {
  url: string
  method: string
}

type Params = Map<string, string[]>

/** Far more than a negotiation needs; bounds the work a request full of junk parameters costs. */
const MAX_PARAMETERS = 100

/** `+` is a space in form encoding; most values hold neither `+` nor `%`, and skip both steps. */
function decodeFormComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced
}

/**
 * Splits `a=1&b=2` (a query string or a form body) strictly: a broken percent-escape or bytes that
 * are not UTF-8 are refused, where URLSearchParams would silently substitute U+FFFD.
 */
function parseUrlEncoded(text: string, where: string, add: (key: string, value: string) => void) {
  if (text === '') return
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const at = pair.indexOf('=')
    const rawKey = at === -1 ? pair : pair.slice(0, at)
    const rawValue = at === -1 ? '' : pair.slice(at + 1)
    let key: string
    let value: string
    try {
      key = decodeFormComponent(rawKey)
      value = decodeFormComponent(rawValue)
    } catch {
      throw invalid(`The ${where} has a broken percent-escape or bytes that are not UTF-8.`)
    }
    add(key, value)
  }
}

function readParams(request: IncomingRequest): Params | Promise<Params> {
  const params: Params = new Map()
  let count = 0
  const add = (key: string, value: string): void => {
    if (++count > MAX_PARAMETERS) throw invalid(`More than ${MAX_PARAMETERS} parameters.`)
    if (!isWellFormed(key) || !isWellFormed(value)) {
      throw invalid('A parameter holds a lone UTF-16 surrogate, which is not valid Unicode.')
    }
    const values = params.get(key)
    if (values === undefined) params.set(key, [value])
    else values.push(value)
  }
  const url = request.url
  const queryAt = url.indexOf('?')
  if (queryAt !== -1) {
    const hashAt = url.indexOf('#', queryAt)
    parseUrlEncoded(url.slice(queryAt + 1, hashAt === -1 ? undefined : hashAt), 'query string', add)
  }
  // A GET is read without a promise: nothing to wait for.
  if (request.method !== 'POST') return params
  return readBody(request, params, add)
}

async function readBody(
  request: IncomingRequest,
  params: Params,
  add: (key: string, value: string) => void,
): Promise<Params> {
  const bytes = await readBoundedBody(request)
  let text: string
  try {
    text = STRICT_UTF8.decode(bytes)
  } catch {
    throw invalid('The request body is not UTF-8.')
  }
  if (text.trim() === '') return params
  const type = mediaTypeOf(request)
  if (type === 'application/json') {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw invalid('The JSON body does not parse.')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid('The JSON body must be an object such as {"hub":"chat"}.')
    }
    for (const [key, value] of Object.entries(body)) {
      // Repeatable fields may come as a list: {"group": ["room.a", "room.b"]}.
      const values = Array.isArray(value) ? value : [value]
      if (!values.every((item) => typeof item === 'string')) {
        throw invalid(`"${printable(key)}" must be a string or a list of strings.`)
      }
      for (const item of values) add(key, item as string)
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    parseUrlEncoded(text, 'form body', add)
  } else {
    throw invalid('Send parameters in the query string, as JSON, or as a form.')
  }
  return params
}

function single(params: Params, name: string): string | undefined {
  const values = params.get(name)
  if (values === undefined) return undefined
  if (values.length > 1) throw invalid(`"${name}" is given more than once.`)
  return values[0]
}

/** Everything here is checked before any upstream call: bad input costs nothing upstream. */
export async function readNegotiateRequest(
  request: IncomingRequest,
  config: Config,
): Promise<NegotiateRequest> {
  const read = readParams(request)
  const params = read instanceof Promise ? await read : read
  for (const name of params.keys()) {
    if (NOT_ALLOWED.includes(name.toLowerCase())) {
      throw new NegotiatorError('parameter_not_allowed', {
        detail: `"${printable(name)}" cannot be chosen by the caller: identity and permissions come from the negotiator's policy.`,
      })
    }
  }

  const hubParam = single(params, 'hub')
  let hub = config.hubs[0] ?? ''
  if (hubParam !== undefined) {
    if (!HUB_NAME_PATTERN.test(hubParam)) {
      throw invalid(
        '"hub" must start with a letter and hold at most 128 letters, digits and _`,.[]',
      )
    }
    const allowed = config.hubs.find((name) => name.toLowerCase() === hubParam.toLowerCase())
    if (allowed === undefined) {
      throw new NegotiatorError('hub_not_allowed', {
        detail: `Hub "${hubParam}" is not served here.`,
        extensions: { allowedHubs: config.hubs },
      })
    }
    hub = allowed
  }

  const protocolParam = (single(params, 'protocol') ?? 'default').toLowerCase()
  const protocol = CLIENT_PROTOCOLS.find((name) => name === protocolParam)
  if (protocol === undefined) {
    throw new NegotiatorError('protocol_invalid', {
      detail: `"protocol" must be one of ${CLIENT_PROTOCOLS.join(', ')}.`,
    })
  }

  const minutesParam = single(params, 'minutesToExpire')
  if (minutesParam !== undefined && !/^\d{1,4}$/.test(minutesParam)) {
    throw invalid('"minutesToExpire" must be a whole number of minutes.')
  }
  const groups = params.get('group') ?? []
  // Counted before anything else is done with them: each one lengthens the Auth API URL and the
  // client token, and past a few dozen they no longer fit in a URL (use a wildcard role instead).
  if (groups.length > config.maxRequestedGroups) {
    throw invalid(
      `At most ${config.maxRequestedGroups} "group" values may be requested at once (got ${groups.length}).`,
    )
  }
  for (const group of groups) {
    const problem = groupNameProblem(group)
    if (problem !== undefined) throw invalid(`"group" ${problem}.`)
  }
  return {
    hub,
    protocol,
    groups,
    minutesToExpire: minutesParam === undefined ? undefined : Number(minutesParam),
  }
}
