// The admin endpoint (ADMIN_TOKEN): revokes users, lifts revocations, lists them, closes connections.
//
// The Worker writes the revocation and closes the connections with its own credential, so an
// operator needs only ADMIN_TOKEN (npm run revoke), never the Azure secrets. Without ADMIN_TOKEN
// every path here answers 404 like any unknown path: the surface does not exist.
import type { Context } from 'hono'
import type { AppEnv, Runtime } from '../app-env'
import { configInvalid } from '../config'
import { LONGEST_DELAY_SECONDS, type Revocations } from '../caller/revocations'
import { endsAtMs, type RevocationRecord } from '../caller/revocation-document'
import { NegotiatorError } from '../errors'
import { Hono } from '../http/hono'
import { closeUserConnections, type CloseOutcome } from '../webpubsub/close-connections'
import { readCloseRequest, readLiftQuery, readRevokeRequest } from './admin-request'

export const adminRoutes = new Hono<AppEnv>()

/** RFC 6750 §3: the challenge of a protected resource, with the realm of this credential. */
const CHALLENGE = 'Bearer realm="admin"'

function unauthenticated(presented: boolean): NegotiatorError {
  return new NegotiatorError('admin_unauthenticated', {
    detail: presented
      ? 'The admin credential is wrong.'
      : 'The admin endpoint needs Authorization: Bearer <ADMIN_TOKEN>.',
    headers: {
      // RFC 6750 §3.1: error="invalid_token" only when a credential was sent.
      'www-authenticate': presented ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE,
    },
  })
}

const NEEDS_KV = new NegotiatorError('revocation_unavailable', {
  detail:
    'Revocation needs the TOKEN_CACHE KV binding, where the list lives: bind a KV namespace ' +
    '([[kv_namespaces]] in wrangler.toml) and deploy again.',
})

const methodNotAllowed = (method: string, allow: string) =>
  new NegotiatorError('method_not_allowed', {
    detail: `${method.slice(0, 20)} is not supported here; use ${allow}.`,
    headers: { allow },
  })

function runtimeOf(c: Context<AppEnv>): Runtime {
  const state = c.get('runtime')
  if (!state.ok) throw configInvalid(state.problems)
  return state.runtime
}

function revocationsOf(runtime: Runtime): Revocations {
  if (runtime.revocations === undefined) throw NEEDS_KV
  return runtime.revocations
}

adminRoutes.use('/admin/*', async (c, next) => {
  const runtime = runtimeOf(c)
  const check = runtime.adminCheck
  if (check === undefined) return c.notFound()
  const header = c.req.header('authorization')
  if (header === undefined) throw unauthenticated(false)
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header)
  if (match === null || !(await check(match[1]!))) throw unauthenticated(true)
  c.header('cache-control', 'no-store')
  await next()
  return undefined
})

/** A record as the admin answers show it: times as ISO 8601, nothing else. */
function view(record: RevocationRecord) {
  return {
    userId: record.userId,
    hub: record.hub,
    revokedAt: new Date(record.revokedAtMs).toISOString(),
    until: new Date(record.untilMs).toISOString(),
    ...(record.liftedAtMs === undefined
      ? {}
      : { liftedAt: new Date(record.liftedAtMs).toISOString() }),
  }
}

export interface ConnectionsOutcome {
  endpoint: string
  hub: string
  outcome: CloseOutcome['outcome']
  status?: number
  code?: string
  upstreamCode?: string
  detail?: string
}

/** What a log line keeps of each close: where and how it went, not the advice in `detail`. */
const loggedOutcomes = (connections: ConnectionsOutcome[]) =>
  connections.map(({ endpoint, hub, outcome, status }) => ({ endpoint, hub, outcome, status }))

/**
 * `:closeConnections` for the user on every resource (the primary and each failover secondary:
 * a client may be connected to any of them) and the hub given, or every hub, at once. In Entra mode with the
 * runtime's own Entra token; in access-key mode with a bearer signed by that resource's key.
 */
async function closeEverywhere(
  c: Context<AppEnv>,
  runtime: Runtime,
  userId: string,
  /** One hub, or every configured hub when null or absent (a revocation for all hubs). */
  hub: string | null | undefined,
): Promise<ConnectionsOutcome[]> {
  const { issuer, failover } = runtime
  const hubs = hub == null ? runtime.config.hubs : [hub]
  const deadlineMs = runtime.now() + runtime.upstreamDeadlineMs
  let entraBearer: string | NegotiatorError | undefined
  if (issuer.kind === 'entra') {
    try {
      const { token } = await issuer.tokens.get({ deadlineMs, waitUntil: c.get('waitUntil') })
      entraBearer = `Bearer ${token.accessToken}`
    } catch (error) {
      if (!(error instanceof NegotiatorError)) throw error
      entraBearer = error
    }
  }
  const pairs = failover.endpoints.flatMap((endpoint, index) =>
    hubs.map((hub) => ({ endpoint, index, hub })),
  )
  return Promise.all(
    pairs.map(async ({ endpoint, index, hub }) => {
      const outcome = await closeUserConnections(
        { endpoint, hub, userId },
        {
          fetch: runtime.fetch,
          now: runtime.now,
          sleep: runtime.sleep,
          deadlineMs,
          authorization: async (url) => {
            if (issuer.kind === 'access-key') {
              return `Bearer ${await issuer.signers[index]!.signRestToken(url, runtime.now())}`
            }
            if (entraBearer instanceof NegotiatorError) throw entraBearer
            return entraBearer!
          },
        },
      )
      return { endpoint, hub, ...outcome }
    }),
  )
}

/** Who the log line names: the user id, or its keyed hash with LOG_USER_ID=hash. */
async function who(runtime: Runtime, userId: string) {
  return runtime.hashUserId === undefined
    ? { userId }
    : { userIdHash: await runtime.hashUserId(userId) }
}

adminRoutes.get('/admin/revocations', async (c) => {
  const runtime = runtimeOf(c)
  const records = await revocationsOf(runtime).list()
  const nowMs = runtime.now()
  const active = records.filter((r) => r.revokedAtMs <= nowMs && nowMs < endsAtMs(r))
  const ended = records.filter((r) => !active.includes(r))
  return c.json({
    revocations: active.map(view),
    // Ended ones are kept a day longer: tokens issued before them are still refused for reuse.
    ended: ended.map(view),
  })
})

adminRoutes.post('/admin/revocations', async (c) => {
  const runtime = runtimeOf(c)
  const revocations = revocationsOf(runtime)
  const request = await readRevokeRequest(
    { header: (name) => c.req.header(name), arrayBuffer: () => c.req.arrayBuffer() },
    runtime.config.hubs,
  )
  const { record, replacedUnreadable } = await revocations.revoke(request)
  // After the write: a client that reconnects at once is refused by this isolate already.
  const connections = await closeEverywhere(c, runtime, record.userId, record.hub)
  c.get('log')('warn', 'user_revoked', {
    ...(await who(runtime, record.userId)),
    hub: record.hub,
    until: new Date(record.untilMs).toISOString(),
    connections: loggedOutcomes(connections),
  })
  return c.json({
    revocation: view(record),
    connections,
    appliesEverywhereWithinSeconds: LONGEST_DELAY_SECONDS,
    ...(replacedUnreadable && {
      warning:
        'The stored revocation list could not be decrypted (TOKEN_CACHE_KEY or the credential ' +
        'changed?) and was replaced: revoke the users it held again.',
    }),
  })
})

adminRoutes.delete('/admin/revocations', async (c) => {
  const runtime = runtimeOf(c)
  const target = readLiftQuery(c.req.url, runtime.config.hubs)
  const { lifted, remaining } = await revocationsOf(runtime).lift(target)
  c.get('log')('warn', 'user_revocation_lifted', {
    ...(await who(runtime, target.userId)),
    hub: target.hub ?? null,
    lifted: lifted.map((r) => r.hub),
    stillRevoked: remaining.map((r) => r.hub),
  })
  return c.json({
    lifted: lifted.map(view),
    stillRevoked: remaining.map(view),
    appliesEverywhereWithinSeconds: LONGEST_DELAY_SECONDS,
  })
})

/**
 * Closes the user's connections again. Other isolates learn of a revocation only within
 * LONGEST_DELAY_SECONDS, and a client that reconnected through one of them meanwhile holds a
 * new connection: the CLI calls this once that time has passed (npm run revoke, its second sweep).
 */
adminRoutes.post('/admin/revocations/close-connections', async (c) => {
  const runtime = runtimeOf(c)
  const target = await readCloseRequest(
    { header: (name) => c.req.header(name), arrayBuffer: () => c.req.arrayBuffer() },
    runtime.config.hubs,
  )
  const connections = await closeEverywhere(c, runtime, target.userId, target.hub)
  c.get('log')('warn', 'user_connections_closed', {
    ...(await who(runtime, target.userId)),
    hub: target.hub ?? null,
    connections: loggedOutcomes(connections),
  })
  return c.json({ connections })
})

adminRoutes.all('/admin/revocations', (c) => {
  throw methodNotAllowed(c.req.method, 'GET, POST, DELETE')
})
adminRoutes.all('/admin/revocations/close-connections', (c) => {
  throw methodNotAllowed(c.req.method, 'POST')
})
