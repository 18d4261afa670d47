// The OpenAPI 3.1 description of the negotiator, built from the constants its handlers validate with.
import {
  LONGEST_DELAY_SECONDS,
  MAX_REVOCATION_SECONDS,
  MAX_USER_ID_LENGTH,
} from '../caller/revocations'
import { MAX_GROUP_NAME_LENGTH } from '../caller/roles'
import { HUB_NAME_PATTERN, type Config } from '../config'
import type { ErrorCode } from '../errors'
import { MAX_RETRY_AFTER_SECONDS } from '../lib/retry-after'
import { CLIENT_PROTOCOLS } from '../webpubsub/client-url'
import { problemShape } from './problem'

type Schema = Record<string, unknown>

/** A header that a problem with this code may carry, besides those every answer has. */
type ProblemHeader = 'Retry-After' | 'WWW-Authenticate' | 'Allow' | 0

/**
 * Every error code, with the header it may add. A Record over the ErrorCode union, so that a new
 * code does not compile until it is described here; its status and title come from problemShape.
 */
const CODE_HEADERS: Record<ErrorCode, ProblemHeader> = {
  config_invalid: 0,
  not_found: 0,
  method_not_allowed: 'Allow',
  parameter_invalid: 0,
  parameter_not_allowed: 0,
  hub_not_allowed: 0,
  group_not_allowed: 0,
  protocol_invalid: 0,
  caller_unauthenticated: 'WWW-Authenticate',
  caller_claims_unusable: 0,
  caller_verification_unavailable: 'Retry-After',
  caller_revoked: 0,
  rate_limited: 'Retry-After',
  entra_credentials_rejected: 0,
  entra_app_or_tenant_not_found: 0,
  entra_scope_invalid: 0,
  entra_assertion_invalid: 0,
  entra_federation_rejected: 0,
  entra_request_rejected: 0,
  entra_throttled: 'Retry-After',
  entra_unavailable: 'Retry-After',
  entra_unexpected_response: 0,
  webpubsub_unauthorized: 'Retry-After',
  webpubsub_forbidden: 0,
  webpubsub_request_rejected: 0,
  webpubsub_throttled: 'Retry-After',
  webpubsub_unavailable: 'Retry-After',
  webpubsub_unexpected_response: 0,
  admin_unauthenticated: 'WWW-Authenticate',
  revocation_unavailable: 'Retry-After',
  internal_error: 0,
}

const CODES = Object.keys(CODE_HEADERS) as ErrorCode[]
/** Codes only the admin endpoint answers with. */
const ADMIN_ONLY: readonly ErrorCode[] = ['admin_unauthenticated', 'revocation_unavailable']
/** What an admin operation may answer besides its 200. */
const ADMIN_PROBLEMS: readonly ErrorCode[] = [
  'config_invalid',
  'admin_unauthenticated',
  'parameter_invalid',
  'hub_not_allowed',
  'revocation_unavailable',
  'internal_error',
]

/** What the document depends on besides the code: where it is served, and the deployed limits. */
export interface OpenApiOptions {
  /** The origin the document was requested from: its one server. */
  origin: string
  /** This deployment's configuration, when valid: the hubs and MAX_REQUESTED_GROUPS. */
  config?: Pick<Config, 'hubs' | 'maxRequestedGroups'> | undefined
  /** ADMIN_TOKEN is set: the admin endpoint exists, and is described. */
  admin?: boolean
}

const ref = (path: string): Schema => ({ $ref: `#/components/${path}` })
const str = (extra?: Schema): Schema => ({ type: 'string', ...extra })
const list = (items: Schema, extra?: Schema): Schema => ({ type: 'array', items, ...extra })
const int = (minimum?: number, maximum?: number): Schema => ({ type: 'integer', minimum, maximum })
const dateTime = str({ format: 'date-time' })

/** An object whose properties are all required except `optional`, and nothing else. */
const object = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
})

const headerRefs = (names: readonly string[]): Schema =>
  Object.fromEntries(
    ['X-Request-Id', 'Server-Timing', ...names].map((name) => [name, ref(`headers/${name}`)]),
  )

const answer = (description: string, schema: Schema, media = 'application/json'): Schema => ({
  description,
  headers: headerRefs([]),
  content: { [media]: { schema } },
})

/** The problem answers of an operation, one per status, each naming its codes and headers. */
function problems(codes: readonly ErrorCode[], status?: number): Record<string, Schema> {
  const byStatus: Record<string, ErrorCode[]> = {}
  for (const code of codes) (byStatus[status ?? problemShape(code).status] ??= []).push(code)
  const responses: Record<string, Schema> = {}
  for (const [key, group] of Object.entries(byStatus)) {
    const headers = group.map((code) => CODE_HEADERS[code]).filter((name) => name !== 0)
    responses[key] = {
      ...answer(
        group.map((code) => `\`${code}\`: ${problemShape(code).title}`).join('; '),
        { allOf: [ref('schemas/Problem'), { properties: { code: { enum: group } } }] },
        'application/problem+json',
      ),
      headers: headerRefs([...new Set(headers)]),
    }
  }
  return responses
}

export function openApiDocument({ origin, config, admin = false }: OpenApiOptions): Schema {
  const hub = str({
    pattern: HUB_NAME_PATTERN.source,
    description: 'Case-insensitive; default: the first hub.',
    ...(config && { default: config.hubs[0], examples: config.hubs }),
  })
  const protocol = str({ enum: CLIENT_PROTOCOLS, default: 'default' })
  // As caller/roles.ts's groupNameProblem and negotiate-request.ts check them; the test holds the
  // handler to these patterns (JSON Schema counts code points where the handler counts UTF-16).
  const group = str({
    minLength: 1,
    maxLength: MAX_GROUP_NAME_LENGTH,
    pattern: '^[^\\u0000-\\u001f\\u007f]*$',
  })
  const groups = list(group, config && { maxItems: config.maxRequestedGroups })
  const minutes = str({
    pattern: '^[0-9]{1,4}$',
    description: "Within the hub policy's ttlMinutes.",
  })
  const fields = { hub, protocol, group: groups, minutesToExpire: minutes }
  const negotiate = (post: boolean): Schema => ({
    summary: 'A client access URL for Azure Web PubSub',
    description:
      'Query and body fields combine; each but group at most once. userId, user, id, role and roles are refused (parameter_not_allowed).',
    // Whichever AUTH_MODE selects; the empty requirement is AUTH_MODE=anonymous.
    security: [{ bearer: [] }, { cloudflareAccess: [] }, {}],
    parameters: Object.entries(fields).map(([name, schema]) => ({ name, in: 'query', schema })),
    ...(post && {
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { ...fields, group: { anyOf: [group, groups] } },
              additionalProperties: { anyOf: [str(), list(str())] },
            },
          },
          'application/x-www-form-urlencoded': { schema: { type: 'object', properties: fields } },
        },
      },
    }),
    responses: {
      200: answer('The client access URL', ref('schemas/Negotiated')),
      ...problems(
        CODES.filter(
          (code) =>
            code !== 'not_found' && code !== 'method_not_allowed' && !ADMIN_ONLY.includes(code),
        ),
      ),
    },
  })
  const adminOperation = (summary: string, ok: Schema, extra: Schema = {}): Schema => ({
    summary,
    security: [{ admin: [] }],
    ...extra,
    responses: { 200: answer(summary, ok), ...problems(ADMIN_PROBLEMS) },
  })
  const user = str({ minLength: 1, maxLength: MAX_USER_ID_LENGTH })
  const oneHub = str({
    pattern: HUB_NAME_PATTERN.source,
    description: 'Case-insensitive; absent (or null): every hub.',
    ...(config && { examples: config.hubs }),
  })
  const adminPaths = {
    '/admin/revocations': {
      get: adminOperation(
        'The active revocations, and those ended within a day',
        object({
          revocations: list(ref('schemas/Revocation')),
          ended: list(ref('schemas/Revocation')),
        }),
      ),
      post: adminOperation('Revokes a user, and closes their connections', ref('schemas/Revoked'), {
        description:
          `Refuses the user's negotiations (403 caller_revoked) within ${LONGEST_DELAY_SECONDS} s ` +
          'everywhere, and closes their connections on every resource and hub (or the one hub).',
        requestBody: {
          content: {
            'application/json': {
              schema: object(
                {
                  userId: user,
                  hub: { anyOf: [oneHub, { type: 'null' }] },
                  forSeconds: int(1, MAX_REVOCATION_SECONDS),
                },
                ['hub', 'forSeconds'],
              ),
            },
          },
        },
      }),
      delete: adminOperation(
        "Lifts the user's revocations (or the one hub's)",
        ref('schemas/Lifted'),
        {
          parameters: [
            { name: 'userId', in: 'query', required: true, schema: user },
            { name: 'hub', in: 'query', schema: oneHub },
          ],
        },
      ),
    },
    '/admin/revocations/close-connections': {
      post: adminOperation("Closes the user's connections again", ref('schemas/Closed'), {
        description: `The second sweep, once ${LONGEST_DELAY_SECONDS} s have passed after a revocation.`,
        requestBody: {
          content: {
            'application/json': {
              schema: object({ userId: user, hub: { anyOf: [oneHub, { type: 'null' }] } }, ['hub']),
            },
          },
        },
      }),
    },
  }
  const revocation = object(
    {
      userId: str(),
      hub: { type: ['string', 'null'] },
      revokedAt: dateTime,
      until: dateTime,
      liftedAt: dateTime,
    },
    ['liftedAt'],
  )
  const connections = list(
    object(
      {
        endpoint: str({ format: 'uri' }),
        hub: str(),
        outcome: str({ enum: ['closed', 'forbidden', 'failed'] }),
        status: int(),
        code: ref('schemas/ErrorCode'),
        upstreamCode: str(),
        detail: str(),
      },
      ['status', 'code', 'upstreamCode', 'detail'],
    ),
  )
  const adminSchemas = {
    Revocation: revocation,
    Revoked: object(
      {
        revocation: ref('schemas/Revocation'),
        connections,
        appliesEverywhereWithinSeconds: int(),
        warning: str(),
      },
      ['warning'],
    ),
    Lifted: object({
      lifted: list(ref('schemas/Revocation')),
      stillRevoked: list(ref('schemas/Revocation')),
      appliesEverywhereWithinSeconds: int(),
    }),
    Closed: object({ connections }),
  }
  const upstream = (code: ErrorCode) =>
    /^(entra|webpubsub)_/.test(code) || code === 'internal_error'
  return {
    openapi: '3.1.0',
    info: {
      title: 'webpubsub-edge-negotiator',
      version: '1',
      description:
        'Hands out Azure Web PubSub client access URLs. Errors are RFC 9457 problem details with a stable code; other paths answer 404 not_found, other methods on /negotiate 405 method_not_allowed.',
    },
    servers: [{ url: origin }],
    paths: {
      '/negotiate': { get: negotiate(false), post: negotiate(true) },
      '/healthz': {
        get: { responses: { 200: answer('Running', object({ status: { const: 'ok' } })) } },
      },
      '/readyz': {
        get: {
          responses: {
            200: answer('Ready', ref('schemas/Readiness')),
            ...problems(['config_invalid']),
            ...problems(CODES.filter(upstream), 503),
          },
        },
      },
      '/openapi.json': {
        get: { responses: { 200: answer('This document', { type: 'object' }) } },
      },
      ...(admin && adminPaths),
    },
    components: {
      schemas: {
        ...(admin && adminSchemas),
        Negotiated: object({
          baseUrl: str({ format: 'uri' }),
          token: str(),
          url: str({ format: 'uri' }),
          expiresAt: dateTime,
          refreshAfter: dateTime,
          hub: str(),
          userId: { type: ['string', 'null'] },
          roles: list(str()),
          groups: list(str()),
        }),
        Readiness: object(
          {
            status: { const: 'ready' },
            authMode: str({ enum: ['jwt', 'cloudflare-access', 'anonymous'] }),
            warning: str(),
            hubs: list(str()),
            // Entra mode reports the Entra token and the Auth API probe; access-key mode
            // (WEBPUBSUB_CONNECTION_STRING) signs locally and has neither.
            checks: object(
              {
                config: { const: 'ok' },
                signing: str({ enum: ['entra', 'access-key'] }),
                entraToken: str({ enum: ['memory', 'kv', 'fetch'] }),
                authApi: { const: 'ok' },
                authApiProbedAt: dateTime,
                kv: str(),
              },
              ['entraToken', 'authApi', 'authApiProbedAt'],
            ),
          },
          ['warning'],
        ),
        Problem: object(
          {
            type: str({ format: 'uri', pattern: '^urn:webpubsub-edge-negotiator:error:' }),
            title: str(),
            status: int(400, 599),
            detail: str(),
            code: ref('schemas/ErrorCode'),
            requestId: str(),
            upstream: object(
              {
                service: str({ enum: ['entra', 'webpubsub'] }),
                status: int(),
                code: str(),
                aadsts: int(),
                traceId: str(),
                correlationId: str(),
                requestId: str(),
              },
              ['status', 'code', 'aadsts', 'traceId', 'correlationId', 'requestId'],
            ),
            retryAfterSeconds: int(0, MAX_RETRY_AFTER_SECONDS),
            problems: list(object({ variable: str(), problem: str() })),
            allowedHubs: list(str()),
          },
          ['upstream', 'retryAfterSeconds', 'problems', 'allowedHubs'],
        ),
        ErrorCode: {
          type: 'string',
          oneOf: CODES.map((code) => ({
            const: code,
            title: problemShape(code).title,
            'x-status': problemShape(code).status,
          })),
        },
      },
      headers: {
        'X-Request-Id': { schema: str(), description: "The caller's X-Request-Id, or a new one" },
        'Server-Timing': { schema: str(), description: 'entra, authapi and total' },
        'Retry-After': { schema: int(0, MAX_RETRY_AFTER_SECONDS) },
        'WWW-Authenticate': { schema: str(), description: 'RFC 6750' },
        Allow: { schema: str() },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'AUTH_MODE=jwt (or the AUTH_COOKIE cookie)',
        },
        cloudflareAccess: {
          type: 'apiKey',
          in: 'header',
          name: 'Cf-Access-Jwt-Assertion',
          description: 'AUTH_MODE=cloudflare-access (or the CF_Authorization cookie)',
        },
        ...(admin && {
          admin: {
            type: 'http',
            scheme: 'bearer',
            description: "ADMIN_TOKEN, the admin endpoint's own credential (npm run revoke)",
          },
        }),
      },
    },
  }
}
