// `npm run profile`: our app and the naive Worker in one Node process, upstream answered in memory, side by side; then a CPU profile of ours.
//
// What it isolates: our own per-request work. No sockets, no workerd, no emulator: the upstream
// (Entra's token endpoint and the Auth API) is a function that returns a prepared answer, so
// the difference between the two contestants is the code between a request and its response.
// The same V8 runs the Worker in workerd, so what is hot here is hot there; the absolute numbers
// are Node's, not the edge's. The bench (`npm run bench`) measures the real setup.
//
//   npm run profile                       # rounds of ours vs naive, medians and the ratio
//   npm run profile -- --requests 20000   # requests per segment (default 5000)
//   npm run profile -- --top 40           # and the 40 heaviest functions of ours by self time
//   npm run profile -- --auth jwt         # ours verifies a user token (one user) per request
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { SignJWT } from 'jose'
import naiveWorker from './naive-worker'

/** The app's factory, as this script uses it. Imported by path: the Node typecheck stays clear of src/ (Workers types). */
type CreateApp = (options: { fetch: typeof fetch; writeLog: (line: string) => void }) => {
  app: { fetch(request: Request, env: object, ctx: object): Response | Promise<Response> }
}
const APP_MODULE: string = '../src/app.ts'
const { createApp } = (await import(APP_MODULE)) as { createApp: CreateApp }

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '20' },
    top: { type: 'string', default: '25' },
    auth: { type: 'string', default: 'anonymous' },
  },
})
const REQUESTS = Number(values.requests)
const ROUNDS = Number(values.rounds)
const CONCURRENCY = Number(values.concurrency)
const TOP = Number(values.top)
const AUTH = values.auth === 'jwt' ? 'jwt' : 'anonymous'

const ENDPOINT = 'https://profile.webpubsub.azure.com'
const AUTHORITY = 'https://login.microsoftonline.com'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CLIENT_ID = '0b8e3a5c-1a2b-4c3d-9e8f-0123456789ab'
const ISSUER = 'https://issuer.example'
const HUB = 'chat'
const ROLES = ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*']

const secret = new TextEncoder().encode('profile-signing-key-profile-signing-key')
const nowS = Math.floor(Date.now() / 1000)
const entraToken = await new SignJWT({ tid: TENANT, appid: CLIENT_ID, roles: [] })
  .setProtectedHeader({ alg: 'HS256' })
  .setAudience('https://webpubsub.azure.com')
  .setIssuedAt(nowS)
  .setExpirationTime(nowS + 3600)
  .sign(secret)
const clientToken = await new SignJWT({ role: ROLES })
  .setProtectedHeader({ alg: 'HS256' })
  .setAudience(`${ENDPOINT}/client/hubs/${HUB}`)
  .setSubject('profile-user')
  .setIssuedAt(nowS)
  .setExpirationTime(nowS + 3600)
  .sign(secret)

// The caller's identity provider for --auth jwt: an ES256 key served as a JWKS.
const { generateKeyPair, exportJWK } = await import('jose')
const userKeys = await generateKeyPair('ES256')
const userJwk = { ...(await exportJWK(userKeys.publicKey)), kid: 'profile', alg: 'ES256' }
const userToken = await new SignJWT({})
  .setProtectedHeader({ alg: 'ES256', kid: 'profile' })
  .setIssuer(ISSUER)
  .setAudience('negotiator')
  .setSubject('alice')
  .setIssuedAt(nowS)
  .setExpirationTime(nowS + 3600)
  .sign(userKeys.privateKey)

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })

/** Entra, the Auth API and the caller's issuer, answered in memory. */
const upstream: typeof fetch = async (input) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  if (url.includes('/oauth2/v2.0/token')) {
    return json({
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: entraToken,
    })
  }
  if (url.includes(':generateToken')) return json({ token: clientToken })
  if (url.endsWith('/.well-known/openid-configuration')) {
    return json({ issuer: ISSUER, jwks_uri: `${ISSUER}/keys` })
  }
  if (url === `${ISSUER}/keys`) return json({ keys: [userJwk] })
  return new Response('not found', { status: 404 })
}
globalThis.fetch = upstream

const ours = createApp({ fetch: upstream, writeLog: () => {} })
const env: Record<string, unknown> = {
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: CLIENT_ID,
  AZURE_CLIENT_SECRET: 'profile-secret-value-profile-secret',
  AZURE_AUTHORITY_HOST: AUTHORITY,
  WEBPUBSUB_ENDPOINT: ENDPOINT,
  WEBPUBSUB_HUBS: HUB,
  POLICY: JSON.stringify({ hubs: { [HUB]: { roles: ROLES, groups: [] } } }),
  ...(AUTH === 'jwt'
    ? { AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'negotiator', TOKEN_REUSE: 'off' }
    : { AUTH_MODE: 'anonymous' }),
}
const naiveEnv = {
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: CLIENT_ID,
  AZURE_CLIENT_SECRET: 'profile-secret-value-profile-secret',
  AZURE_AUTHORITY_HOST: AUTHORITY,
  WEBPUBSUB_ENDPOINT: ENDPOINT,
  HUB,
  ROLES,
}
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} }
const headers: Record<string, string> =
  AUTH === 'jwt' ? { authorization: `Bearer ${userToken}` } : {}

type Serve = () => Promise<Response>
const contestants: Record<'ours' | 'naive', Serve> = {
  ours: async () =>
    ours.app.fetch(
      new Request(`https://negotiator.example/negotiate?hub=${HUB}`, { headers }),
      env,
      ctx,
    ),
  naive: () =>
    naiveWorker.fetch(
      new Request(`https://negotiator.example/negotiate?hub=${HUB}`),
      naiveEnv as never,
    ),
}

async function segment(serve: Serve, requests: number): Promise<number> {
  let next = 0
  const started = process.hrtime.bigint()
  const loop = async () => {
    while (next < requests) {
      next += 1
      const response = await serve()
      if (response.status !== 200)
        throw new Error(`status ${response.status}: ${await response.text()}`)
      await response.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return Number(process.hrtime.bigint() - started) / 1000 / requests
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// Warm-up: the Entra token, the JWKS, the JIT.
for (const serve of Object.values(contestants)) await segment(serve, 2000)

const perRequest: Record<'ours' | 'naive', number[]> = { ours: [], naive: [] }
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? (['ours', 'naive'] as const) : (['naive', 'ours'] as const)
  for (const name of order) perRequest[name].push(await segment(contestants[name], REQUESTS))
}
const oursUs = median(perRequest.ours)
const naiveUs = median(perRequest.naive)
console.log(
  `auth ${AUTH}, ${ROUNDS} rounds × ${REQUESTS} requests, concurrency ${CONCURRENCY}, Node ${process.version}`,
)
console.log(
  `ours   ${oursUs.toFixed(1)} µs/request (rounds: ${perRequest.ours.map((x) => x.toFixed(1)).join(', ')})`,
)
console.log(
  `naive  ${naiveUs.toFixed(1)} µs/request (rounds: ${perRequest.naive.map((x) => x.toFixed(1)).join(', ')})`,
)
console.log(
  `ours / naive throughput: ${(naiveUs / oursUs).toFixed(2)}×; our own work ≈ ${(oursUs - naiveUs).toFixed(1)} µs/request`,
)

if (TOP > 0) {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 50 })
  await session.post('Profiler.start')
  await segment(contestants.ours, REQUESTS * 2)
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  const selfUs = new Map<string, number>()
  const deltas = profile.timeDeltas ?? []
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  let total = 0
  ;(profile.samples ?? []).forEach((id, i) => {
    const frame = byId.get(id)!.callFrame
    const where =
      frame.url === ''
        ? ''
        : ` ${frame.url.replace(/^.*\/(node_modules\/|src\/)/, '$1')}:${frame.lineNumber + 1}`
    const key = `${frame.functionName || '(anonymous)'}${where}`
    const delta = deltas[i] ?? 0
    total += delta
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta)
  })
  console.log(`\nours, self time by function (${(total / 1000).toFixed(0)} ms sampled):`)
  for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`)
  }
}
