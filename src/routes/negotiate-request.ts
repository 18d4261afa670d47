// Reads and validates what a /negotiate caller may ask for: hub, protocol, groups and lifetime.
import type { Config } from '../config'
import { HUB_NAME_PATTERN } from '../config'
import { NegotiatorError } from '../errors'
import { CLIENT_PROTOCOLS, type ClientProtocol } from '../webpubsub/client-url'

/** Parameters a caller may never set: identity and rights come from server-side policy (SPEC §5). */
const NOT_ALLOWED = ['userid', 'user', 'id', 'role', 'roles']
const MAX_BODY_BYTES = 4096

export interface NegotiateRequest {
  hub: string
  protocol: ClientProtocol
  /** Asked-for groups; the policy decides which are allowed. */
  groups: string[]
  minutesToExpire: number | undefined
}

export interface IncomingRequest {
  url: string
  method: string
  header(name: string): string | undefined
  text(): Promise<string>
}

type Params = Map<string, string[]>

const invalid = (detail: string): NegotiatorError =>
  new NegotiatorError('parameter_invalid', { detail })

async function readParams(request: IncomingRequest): Promise<Params> {
  const params: Params = new Map()
  const add = (key: string, value: string): void => {
    params.set(key, [...(params.get(key) ?? []), value])
  }
  for (const [key, value] of new URL(request.url).searchParams) add(key, value)
  if (request.method !== 'POST') return params

  const tooLarge = invalid(`The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  if (Number(request.header('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge
  const text = await request.text()
  if (text.length > MAX_BODY_BYTES) throw tooLarge
  if (text.trim() === '') return params
  const type = (request.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
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
        throw invalid(`"${key.slice(0, 40)}" must be a string or a list of strings.`)
      }
      for (const item of values) add(key, item as string)
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(text)) add(key, value)
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
  const params = await readParams(request)
  for (const name of params.keys()) {
    if (NOT_ALLOWED.includes(name.toLowerCase())) {
      throw new NegotiatorError('parameter_not_allowed', {
        detail: `"${name.slice(0, 40)}" cannot be chosen by the caller: identity and permissions come from the negotiator's policy.`,
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
  return {
    hub,
    protocol,
    groups: params.get('group') ?? [],
    minutesToExpire: minutesParam === undefined ? undefined : Number(minutesParam),
  }
}
