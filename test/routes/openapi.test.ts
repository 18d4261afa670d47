// The OpenAPI description against the running app: its routes, codes, bodies and limits answer as documented.
import { beforeEach, describe, expect, it } from 'vitest'
import errorsSource from '../../src/errors.ts?raw'
import type { ErrorCode } from '../../src/errors'
import { problemShape } from '../../src/http/problem'
import { errorCodesInSource } from '../fuzz/error-codes'
import { emulator } from '../support/emulator'
import { createHarness, type Harness, type HarnessOptions } from '../support/harness'
import { userTokenIssuer } from '../support/user-token'

beforeEach(() => emulator.reset())

type Schema = Record<string, unknown>
type Doc = Schema & { paths: Record<string, Record<string, Operation>>; components: Schema }
interface Operation {
  parameters?: { name: string; in: string; schema: Schema }[]
  requestBody?: { content: Record<string, { schema: Schema }> }
  responses: Record<string, DocumentedResponse>
  security?: Record<string, unknown>[]
}
interface DocumentedResponse {
  description: string
  headers?: Record<string, Schema>
  content?: Record<string, { schema: Schema }>
}

const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*'],
      groups: ['user.{sub}'],
      requestableGroups: ['room.*'],
    },
    news: { roles: ['webpubsub.joinLeaveGroup.news'], sharedAnonymousToken: true },
  },
}
const VARS = { WEBPUBSUB_HUBS: 'chat,news', POLICY }
const jwtVars = () => ({
  AUTH_MODE: 'jwt',
  AUTH_ISSUER: userTokenIssuer(),
  AUTH_AUDIENCE: 'negotiator',
})

async function documentOf(h: Harness): Promise<Doc> {
  const response = await h.request('/openapi.json')
  expect(response.status).toBe(200)
  return (await response.json()) as Doc
}

// ---- A structural checker for the subset of JSON Schema 2020-12 the description uses ----

/** Keywords the checker enforces, and annotations it may ignore; anything else fails the test. */
const CHECKED = new Set(
  'type const enum allOf anyOf oneOf properties required additionalProperties items minItems maxItems minLength maxLength pattern minimum maximum format $ref'.split(
    ' ',
  ),
)
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'x-status'])

function resolve(doc: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`non-local $ref ${ref}`)
  let node: unknown = doc
  for (const part of ref.slice(2).split('/')) node = (node as Schema | undefined)?.[part]
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`)
  return node as Schema
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (value) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) &&
    !Number.isNaN(Date.parse(value)),
  uri: (value) => /^[a-z][a-z0-9+.-]*:/i.test(value),
}

/** Where `value` breaks `schema`, as `path: reason` lines; empty when it conforms. */
function violations(doc: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  if (typeof schema.$ref === 'string') return violations(doc, resolve(doc, schema.$ref), value, at)
  const found: string[] = []
  const fail = (why: string) => found.push(`${at}: ${why}`)
  const conforms = (sub: Schema) => violations(doc, sub, value, at).length === 0
  const type = jsonType(value)
  const types = schema.type === undefined ? undefined : ([schema.type].flat() as string[])
  if (types && !types.some((t) => t === type || (t === 'number' && type === 'integer'))) {
    return [...found, `${at}: is ${type}, not ${types.join(' or ')}`]
  }
  if ('const' in schema && value !== schema.const) fail(`is not ${JSON.stringify(schema.const)}`)
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail('is not in the enum')
  for (const sub of (schema.allOf ?? []) as Schema[]) found.push(...violations(doc, sub, value, at))
  const anyOf = schema.anyOf as Schema[] | undefined
  if (anyOf && !anyOf.some(conforms)) fail('matches no anyOf branch')
  const oneOf = schema.oneOf as Schema[] | undefined
  if (oneOf && oneOf.filter(conforms).length !== 1) fail('does not match exactly one oneOf branch')
  if (typeof value === 'string') {
    const length = [...value].length
    if (typeof schema.minLength === 'number' && length < schema.minLength) fail('too short')
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) fail('too long')
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      fail(`does not match ${schema.pattern}`)
    }
    const format = schema.format as string | undefined
    if (format !== undefined && !(FORMATS[format] ?? (() => false))(value)) fail(`not a ${format}`)
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('below minimum')
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('above maximum')
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('too few')
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('too many')
    const items = schema.items as Schema | undefined
    if (items)
      value.forEach((item, i) => found.push(...violations(doc, items, item, `${at}[${i}]`)))
  }
  if (type === 'object') {
    const object = value as Schema
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in object)) fail(`lacks ${name}`)
    }
    for (const [name, item] of Object.entries(object)) {
      const sub = properties[name] ?? schema.additionalProperties
      if (sub === false) fail(`has undocumented ${name}`)
      else if (typeof sub === 'object')
        found.push(...violations(doc, sub as Schema, item, `${at}.${name}`))
    }
  }
  return found
}

/** Keywords the checker would ignore, anywhere in a schema and its subschemas. */
function uncheckedKeywords(schema: Schema, at: string): string[] {
  const found = Object.keys(schema)
    .filter((keyword) => !CHECKED.has(keyword) && !ANNOTATIONS.has(keyword))
    .map((keyword) => `${at}: ${keyword}`)
  const subschemas = [
    ...Object.entries((schema.properties ?? {}) as Record<string, Schema>),
    ...['items', 'additionalProperties'].map((key) => [key, schema[key]] as const),
    ...['allOf', 'anyOf', 'oneOf'].flatMap((key) =>
      ((schema[key] ?? []) as Schema[]).map((sub, i) => [`${key}/${i}`, sub] as const),
    ),
  ]
  for (const [key, sub] of subschemas) {
    if (typeof sub === 'object' && sub !== null)
      found.push(...uncheckedKeywords(sub as Schema, `${at}/${key}`))
  }
  return found
}

/** Every object under `node`, with its JSON pointer. */
function* walk(node: unknown, at: string): Generator<[string, Schema]> {
  if (typeof node !== 'object' || node === null) return
  yield [at, node as Schema]
  for (const [key, child] of Object.entries(node)) yield* walk(child, `${at}/${key}`)
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** The operations of the description, as [path, method, operation]. */
const operationsOf = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => [path, method, operation] as const),
  )

/** Checks an actual answer against the documented response for its status; returns its body. */
async function expectDocumented(doc: Doc, operation: Operation, response: Response) {
  const documented = operation.responses[String(response.status)]
  expect(documented, `status ${response.status} is documented`).toBeDefined()
  const media = response.headers.get('content-type')?.split(';')[0] ?? ''
  const content = documented?.content?.[media]
  expect(content, `${media} is documented for ${response.status}`).toBeDefined()
  const body: unknown = await response.json()
  expect(violations(doc, content?.schema ?? {}, body)).toEqual([])
  // A header the description knows (Retry-After, WWW-Authenticate, …) is documented where sent.
  const named = Object.keys(doc.components.headers as Schema)
  for (const name of named) {
    const sent = response.headers.has(name)
    if (sent) expect(documented?.headers, `${name} is documented`).toHaveProperty([name])
  }
  expect(response.headers.get('x-request-id')).toBeTruthy()
  expect(response.headers.get('server-timing')).toContain('total')
  return body as Schema
}

// ---- the tests ----

describe('routes/openapi', () => {
  it('serves the description as public JSON naming the origin it was asked from', async () => {
    const h = await createHarness()
    const response = await h.request('https://negotiator.example/openapi.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600')
    const doc = (await response.json()) as Doc
    expect(doc.servers).toEqual([{ url: 'https://negotiator.example' }])
  })

  it('serves the description without the deployment limits while the configuration is broken', async () => {
    const h = await createHarness({ vars: { WEBPUBSUB_HUBS: '' } })
    const doc = await documentOf(h)
    const group = doc.paths['/negotiate']?.get?.parameters?.find((p) => p.name === 'group')
    expect(group?.schema).toEqual({ type: 'array', items: expect.any(Object) })
    expect((await h.request('/readyz')).status).toBe(500)
  })

  it('is a structurally valid OpenAPI 3.1 document whose references all resolve', async () => {
    const doc = await documentOf(await createHarness({ vars: VARS }))
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) })
    expect(Object.keys(doc.components)).toEqual(
      expect.arrayContaining(['schemas', 'headers', 'securitySchemes']),
    )
    const schemes = doc.components.securitySchemes as Record<string, Schema>
    for (const [path, method, operation] of operationsOf(doc)) {
      expect(path).toMatch(/^\//)
      expect(METHODS).toContain(method)
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0)
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status).toMatch(/^[1-5]\d\d$/)
        expect(response.description, `${method} ${path} ${status}`).toEqual(expect.any(String))
      }
      for (const parameter of operation.parameters ?? []) {
        expect(['query', 'header', 'path', 'cookie']).toContain(parameter.in)
        expect(parameter.schema).toBeTypeOf('object')
      }
      for (const requirement of operation.security ?? []) {
        for (const name of Object.keys(requirement)) expect(schemes).toHaveProperty([name])
      }
    }
    for (const [at, node] of walk(doc, '#')) {
      if (typeof node.$ref === 'string')
        expect(() => resolve(doc, node.$ref as string), at).not.toThrow()
    }
    // Every schema uses only the keywords the checker enforces (or annotations).
    const schemas = [...walk(doc, '#')].filter(
      ([at]) => at.endsWith('/schema') || /\/schemas\/\w+$/.test(at),
    )
    expect(schemas.length).toBeGreaterThan(10)
    expect(schemas.flatMap(([at, node]) => uncheckedKeywords(node, at))).toEqual([])
  })

  it('answers every documented operation with a documented status, media type and body', async () => {
    const h = await createHarness({ vars: VARS })
    const doc = await documentOf(h)
    const operations = operationsOf(doc)
    expect(operations.map(([path, method]) => `${method} ${path}`).sort()).toEqual([
      'get /healthz',
      'get /negotiate',
      'get /openapi.json',
      'get /readyz',
      'post /negotiate',
    ])
    for (const [path, method, operation] of operations) {
      const init: RequestInit =
        method === 'post'
          ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }
          : {}
      const response = await h.request(path, init)
      expect(response.status, `${method} ${path}`).toBe(200)
      await expectDocumented(doc, operation, response)
    }
  })

  it('lists every error code of src/errors.ts with its status, under that status where it occurs', async () => {
    const doc = await documentOf(await createHarness())
    const catalogue = (doc.components.schemas as Record<string, Schema>).ErrorCode?.oneOf as {
      const: ErrorCode
      title: string
      'x-status': number
    }[]
    const codes = errorCodesInSource(errorsSource) as ErrorCode[]
    expect(codes.length).toBeGreaterThan(20)
    expect(catalogue.map((entry) => entry.const).sort()).toEqual([...codes].sort())
    for (const entry of catalogue) {
      const { status, title } = problemShape(entry.const)
      expect({ title: entry.title, status: entry['x-status'] }, entry.const).toEqual({
        title,
        status,
      })
    }
    const get = doc.paths['/negotiate']?.get as Operation
    const codesAt = (operation: Operation, status: number): unknown => {
      const schema = operation.responses[status]?.content?.['application/problem+json']?.schema
      return ((schema?.allOf as Schema[] | undefined)?.[1]?.properties as Schema)?.code
    }
    // Routing answers come before any handler: other paths (404) and other methods (405). The
    // admin endpoint's own codes are described with it (see the admin test below).
    const adminOnly = ['admin_unauthenticated', 'revocation_unavailable']
    const negotiateCodes = codes.filter(
      (c) => c !== 'not_found' && c !== 'method_not_allowed' && !adminOnly.includes(c),
    )
    expect(negotiateCodes).toContain('caller_revoked')
    for (const code of negotiateCodes) {
      const status = problemShape(code).status
      expect(codesAt(get, status), `${code} under ${status}`).toMatchObject({
        enum: expect.arrayContaining([code]),
      })
    }
  })

  it('documents the 200 body of /negotiate, with a user and without one', async () => {
    const h = await createHarness({ vars: VARS })
    const doc = await documentOf(h)
    const get = doc.paths['/negotiate']?.get as Operation
    const post = doc.paths['/negotiate']?.post as Operation
    const body = await expectDocumented(
      doc,
      get,
      await h.request('/negotiate?hub=chat&group=room.a'),
    )
    expect(body.groups).toEqual(expect.arrayContaining(['room.a']))
    expect((body.roles as string[]).length).toBeGreaterThan(0)
    const shared = await expectDocumented(
      doc,
      post,
      await h.request('/negotiate', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'hub=news&protocol=mqtt',
      }),
    )
    expect(shared.userId).toBeNull()
  })

  it('documents the problem answers the app gives, with their headers', async () => {
    const doc = await documentOf(await createHarness({ vars: VARS }))
    const negotiate = doc.paths['/negotiate']?.get as Operation
    const readyz = doc.paths['/readyz']?.get as Operation
    const cases: [string, HarnessOptions, string, Operation][] = [
      ['hub_not_allowed', { vars: VARS }, '/negotiate?hub=nope', negotiate],
      ['parameter_not_allowed', { vars: VARS }, '/negotiate?userId=alice', negotiate],
      ['config_invalid', { vars: { WEBPUBSUB_HUBS: '' } }, '/negotiate', negotiate],
      ['config_invalid', { vars: { WEBPUBSUB_HUBS: '' } }, '/readyz', readyz],
      ['caller_unauthenticated', { vars: jwtVars() }, '/negotiate', negotiate],
      [
        'rate_limited',
        { vars: { RATE_LIMITER: { limit: async () => ({ success: false }) } } },
        '/negotiate',
        negotiate,
      ],
      [
        'entra_credentials_rejected',
        { vars: { AZURE_CLIENT_SECRET: 'wrong' } },
        '/negotiate',
        negotiate,
      ],
      ['entra_credentials_rejected', { vars: { AZURE_CLIENT_SECRET: 'wrong' } }, '/readyz', readyz],
    ]
    for (const [code, options, path, operation] of cases) {
      const response = await (await createHarness(options)).request(path)
      const problem = await expectDocumented(doc, operation, response)
      expect(problem.code, path).toBe(code)
    }
    // Routing answers validate against the Problem schema itself.
    const h = await createHarness({ vars: VARS })
    const problemSchema = { $ref: '#/components/schemas/Problem' }
    for (const [path, method] of [
      ['/nope', 'GET'],
      ['/negotiate', 'PUT'],
    ] as const) {
      const response = await h.request(path, { method })
      expect(violations(doc, problemSchema, await response.json()), path).toEqual([])
    }
  })

  it('describes the parameters as the handler checks them (a schema refusal is a 400)', async () => {
    const h = await createHarness({ vars: { ...VARS, MAX_REQUESTED_GROUPS: '3' } })
    const doc = await documentOf(h)
    const get = doc.paths['/negotiate']?.get as Operation
    const schemaOf = (name: string) => get.parameters?.find((p) => p.name === name)?.schema ?? {}
    expect(schemaOf('group')).toMatchObject({ maxItems: 3 })
    const rooms = (n: number) => Array.from({ length: n }, (_, i) => `room.${i}`)
    const cases: [string, string | string[]][] = [
      ['hub', 'chat'],
      ['hub', 'CHAT'],
      ['hub', '1chat'],
      ['hub', 'c'.repeat(129)],
      ['hub', 'chat!'],
      ['protocol', 'mqtt'],
      ['protocol', 'socketio'],
      ['protocol', 'signalr'],
      ['minutesToExpire', '30'],
      ['minutesToExpire', '0030'],
      ['minutesToExpire', '12345'],
      ['minutesToExpire', '3.5'],
      ['minutesToExpire', '-5'],
      ['group', rooms(3)],
      ['group', rooms(4)],
      ['group', ['']],
      ['group', ['room.\u0001']],
      ['group', [`room.${'x'.repeat(1020)}`]],
      ['group', [`room.${'x'.repeat(1019)}`]],
    ]
    for (const [name, value] of cases) {
      const accepted = violations(doc, schemaOf(name), value).length === 0
      const query = new URLSearchParams([value].flat().map((item) => [name, item]))
      const response = await h.request(`/negotiate?${query}`)
      const refused =
        response.status === 400 &&
        response.headers.get('content-type') === 'application/problem+json'
      const code = refused ? ((await response.json()) as Schema).code : undefined
      const inputRefused = code === 'parameter_invalid' || code === 'protocol_invalid'
      expect(
        inputRefused,
        `${name}=${String(value).slice(0, 30)} (${response.status} ${String(code)})`,
      ).toBe(!accepted)
    }
  })

  it('describes the JSON body as the handler reads it', async () => {
    const h = await createHarness({ vars: VARS })
    const doc = await documentOf(h)
    const post = doc.paths['/negotiate']?.post as Operation
    const schema = post.requestBody?.content['application/json']?.schema ?? {}
    const bodies: Schema[] = [
      { hub: 'chat', group: 'room.a' },
      { hub: 'chat', group: ['room.a', 'room.b'] },
      { minutesToExpire: '30', other: 'ignored' },
      { minutesToExpire: 30 },
      { group: [1] },
      { hub: ['chat', 'news'] },
    ]
    for (const body of bodies) {
      const accepted = violations(doc, schema, body).length === 0
      const response = await h.request('/negotiate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(response.status, JSON.stringify(body)).toBe(accepted ? 200 : 400)
    }
  })

  it('has a checker that finds what a body breaks (it can fail)', async () => {
    const doc = await documentOf(await createHarness())
    const negotiated = { $ref: '#/components/schemas/Negotiated' }
    const good = {
      baseUrl: 'wss://x.example/client/hubs/chat',
      token: 't',
      url: 'wss://x.example/client/hubs/chat?access_token=t',
      expiresAt: '2026-11-28T18:00:00.000Z',
      refreshAfter: '2026-11-28T17:45:00.000Z',
      hub: 'chat',
      userId: null,
      roles: [],
      groups: ['g'],
    }
    expect(violations(doc, negotiated, good)).toEqual([])
    expect(violations(doc, negotiated, { ...good, extra: 1 })).toEqual([
      '$: has undocumented extra',
    ])
    expect(violations(doc, negotiated, { ...good, userId: 1 })).toEqual([
      '$.userId: is integer, not string or null',
    ])
    expect(violations(doc, negotiated, { ...good, expiresAt: 'soon' })).toEqual([
      '$.expiresAt: not a date-time',
    ])
    const { hub: _hub, ...withoutHub } = good
    expect(violations(doc, negotiated, withoutHub)).toEqual(['$: lacks hub'])
  })
})

describe('routes/openapi: the admin endpoint (ADMIN_TOKEN)', () => {
  const ADMIN_TOKEN = 'openapi-admin-token-0123456789abcdefghijkl'
  const adminVars = {
    ...jwtVars(),
    WEBPUBSUB_HUBS: 'chat',
    POLICY: { hubs: { chat: POLICY.hubs.chat } },
    ADMIN_TOKEN,
  }
  const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const json = (body: unknown, method = 'POST'): RequestInit => ({
    method,
    headers: { ...asAdmin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

  it('is described only when ADMIN_TOKEN is set', async () => {
    const { ADMIN_TOKEN: _unset, ...withoutAdmin } = adminVars
    const plain = await documentOf(await createHarness({ vars: withoutAdmin }))
    expect(Object.keys(plain.paths).filter((path) => path.startsWith('/admin'))).toEqual([])
    expect(plain.components.securitySchemes).not.toHaveProperty('admin')
    const doc = await documentOf(await createHarness({ vars: adminVars }))
    expect(
      operationsOf(doc)
        .map(([path, method]) => `${method} ${path}`)
        .filter((op) => op.includes('/admin'))
        .sort(),
    ).toEqual([
      'delete /admin/revocations',
      'get /admin/revocations',
      'post /admin/revocations',
      'post /admin/revocations/close-connections',
    ])
    expect(JSON.stringify(doc)).not.toContain(ADMIN_TOKEN)
  })

  it('answers every admin operation with a documented status and body', async () => {
    const h = await createHarness({ vars: adminVars })
    const doc = await documentOf(h)
    const admin = doc.paths['/admin/revocations']!
    const close = doc.paths['/admin/revocations/close-connections']!.post as Operation
    const revoked = await expectDocumented(
      doc,
      admin.post as Operation,
      await h.request('/admin/revocations', json({ userId: 'alice', forSeconds: 600 })),
    )
    expect(revoked.revocation).toMatchObject({ userId: 'alice', hub: null })
    const listed = await expectDocumented(
      doc,
      admin.get as Operation,
      await h.request('/admin/revocations', { headers: asAdmin }),
    )
    expect(listed.revocations).toHaveLength(1)
    await expectDocumented(
      doc,
      close,
      await h.request('/admin/revocations/close-connections', json({ userId: 'alice' })),
    )
    h.advance(1_000) // KV takes one write per second per key
    const lifted = await expectDocumented(
      doc,
      admin.delete as Operation,
      await h.request('/admin/revocations?userId=alice', { method: 'DELETE', headers: asAdmin }),
    )
    expect(lifted.lifted).toHaveLength(1)
    // The problems, with their headers (WWW-Authenticate on the 401).
    const unauthenticated = await h.request('/admin/revocations')
    expect((await expectDocumented(doc, admin.get as Operation, unauthenticated)).code).toBe(
      'admin_unauthenticated',
    )
    const badBody = await h.request('/admin/revocations', json({ user: 'alice' }))
    expect((await expectDocumented(doc, admin.post as Operation, badBody)).code).toBe(
      'parameter_invalid',
    )
  })

  it('describes the revoke body as the handler reads it', async () => {
    const h = await createHarness({ vars: adminVars })
    const doc = await documentOf(h)
    const post = doc.paths['/admin/revocations']?.post as Operation
    const schema = post.requestBody?.content['application/json']?.schema ?? {}
    const bodies: Schema[] = [
      { userId: 'alice' },
      { userId: 'bob', hub: 'chat', forSeconds: 60 },
      { userId: 'carol', hub: 'CHAT' },
      { userId: 'dave', hub: null, forSeconds: 2_592_000 },
      { userId: '' },
      { userId: 'erin', forSeconds: 0 },
      { userId: 'erin', forSeconds: 2_592_001 },
      { userId: 'erin', forSeconds: 1.5 },
      { userId: 'erin', forSeconds: '60' },
      { userId: 'erin', hub: '1chat' },
      { userId: 'erin', reason: 'spam' },
      { userId: 42 },
      { userId: 'x'.repeat(1025) },
    ]
    for (const body of bodies) {
      const accepted = violations(doc, schema, body).length === 0
      h.advance(1_000)
      const response = await h.request('/admin/revocations', json(body))
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(accepted ? 200 : 400)
    }
  })
})
