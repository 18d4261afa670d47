// `:generateToken` query parameters, validated per api-version.
// https://learn.microsoft.com/rest/api/webpubsub/dataplane/web-pub-sub/generate-client-token
import type { ClientType } from '../client-token'

export const API_VERSIONS = [
  '2021-10-01',
  '2022-11-01',
  '2023-07-01',
  '2024-01-01',
  '2024-12-01',
] as const
export type ApiVersion = (typeof API_VERSIONS)[number]

/** Hub names, as the Generate Client Token API documents them. */
export const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/

export interface GenerateTokenParams {
  apiVersion: ApiVersion
  userId: string | undefined
  roles: string[]
  groups: string[]
  minutesToExpire: number
  clientType: ClientType
}

export interface ParamProblem {
  code: string
  message: string
  target: string
}

const SINCE: Record<string, ApiVersion> = {
  userId: '2021-10-01',
  role: '2021-10-01',
  minutesToExpire: '2021-10-01',
  group: '2022-11-01',
  clientType: '2024-01-01',
}

const CLIENT_TYPES: Record<string, ClientType> = {
  default: 'Default',
  mqtt: 'MQTT',
  socketio: 'SocketIO',
}

export function apiVersionProblem(value: string | undefined): ParamProblem | undefined {
  if (value !== undefined && (API_VERSIONS as readonly string[]).includes(value)) return undefined
  // Unverified: code and wording of the service's api-version errors.
  return {
    code: 'Error.InvalidApiVersion',
    target: 'api-version',
    message:
      value === undefined
        ? 'The api-version query parameter is required.'
        : `The api-version '${value}' is not supported. Supported versions: ${API_VERSIONS.join(', ')}.`,
  }
}

export function parseGenerateTokenParams(
  hub: string,
  query: URLSearchParams,
): GenerateTokenParams | ParamProblem {
  const bad = (target: string, message: string): ParamProblem => ({
    code: 'Error.BadRequest',
    target,
    message,
  })
  const version = query.get('api-version') ?? undefined
  const versionProblem = apiVersionProblem(version)
  if (versionProblem) return versionProblem
  const apiVersion = version as ApiVersion
  if (!HUB_NAME.test(hub)) {
    return bad(
      'hub',
      `Invalid hub name '${hub}': it must start with a letter and contain only letters, digits, _ \` , . [ ] (at most 128 characters).`,
    )
  }
  for (const [name, since] of Object.entries(SINCE)) {
    // ISO dates compare correctly as strings.
    if (query.has(name) && apiVersion < since) {
      return bad(name, `The query parameter '${name}' requires api-version ${since} or later.`)
    }
  }
  let minutesToExpire = 60
  const minutes = query.get('minutesToExpire')
  if (minutes !== null) {
    if (!/^-?\d+$/.test(minutes))
      return bad('minutesToExpire', `minutesToExpire '${minutes}' is not an integer.`)
    const value = Number(minutes)
    // The minimum of 1 is documented since 2022-11-01. Unverified: what older versions
    // did with 0 or less; the emulator falls back to the default there.
    if (value < 1 && apiVersion >= '2022-11-01') {
      return bad('minutesToExpire', `minutesToExpire must be at least 1, got ${value}.`)
    }
    minutesToExpire = value < 1 ? 60 : value
  }
  let clientType: ClientType = 'Default'
  const rawType = query.get('clientType')
  if (rawType !== null) {
    const parsed = CLIENT_TYPES[rawType.toLowerCase()]
    if (parsed === undefined)
      return bad('clientType', `clientType '${rawType}' is not one of Default, MQTT, SocketIO.`)
    clientType = parsed
  }
  return {
    apiVersion,
    userId: query.get('userId') ?? undefined,
    roles: query.getAll('role'),
    groups: query.getAll('group'),
    minutesToExpire,
    clientType,
  }
}
