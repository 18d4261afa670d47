// Builds the Hono app from its parts; the only place that reads Env and the execution context.
import { Hono } from './http/hono'
import type { AppEnv, RuntimeState, TokenIssuer } from './app-env'
import { createClientTokenMemory } from './cache/client-token-cache'
import type { CacheStorageLike } from './cache/client-token-store'
import {
  createEncryptedKv,
  deriveCacheKey,
  importCacheKey,
  type KvLike,
} from './cache/encrypted-kv'
import { createMemoryCache } from './cache/memory'
import type { RateLimiter } from './caller/rate-limit'
import { createRevocations } from './caller/revocations'
import { createCallerVerifier } from './caller/verifier'
import { CONFIG_VARIABLES, parseConfig } from './config'
import type { EntraToken } from './entra/client-credentials'
import { prepareCredential } from './entra/credential'
import { createEntraTokenSource, entraTokenCacheKey } from './entra/token-source'
import { NegotiatorError } from './errors'
import {
  addCorsHeaders,
  allowedOrigin,
  corsSettingsDespiteProblems,
  preflightResponse,
  type CorsSettings,
} from './http/cors'
import { problemResponse, toNegotiatorError } from './http/problem'
import { serverTimingHeader } from './http/server-timing'
import { systemNow, systemSleep, type Now, type Sleep } from './lib/clock'
import { createLogger } from './lib/log'
import { createSecretCheck } from './lib/secret-equal'
import { createUserIdHasher, hashKeyMaterial } from './lib/user-id-hash'
import { adminRoutes } from './routes/admin'
import { healthRoutes } from './routes/health'
import { negotiateRoutes } from './routes/negotiate'
import { openapiRoutes } from './routes/openapi'
import { createAccessKeySigner } from './webpubsub/access-key'
import { createClientTokenReuse } from './webpubsub/client-token-reuse'
import { createFailover } from './webpubsub/failover'
import { createAuthApiProbe } from './webpubsub/readiness-probe'

export interface AppOptions {
  fetch?: typeof fetch
  now?: Now
  sleep?: Sleep
  /** Where log lines go; console.log by default (Workers Logs picks them up). */
  writeLog?: (line: string) => void
  /** Budget for all upstream work of one request, in ms. */
  upstreamDeadlineMs?: number
  /** The Cache API for client-token reuse; the `caches` global by default. */
  caches?: CacheStorageLike
  /**
   * More routes, mounted after the negotiator's own: the development entry's demo page
   * (src/dev.ts). The production entry has none, so nothing of the demo is in its bundle.
   */
  routes?: readonly Hono<AppEnv>[]
}

/** A request id a caller may choose: word characters, `-` and `=` (as Hono's requestId middleware). */
const REQUEST_ID = /^[\w\-=]+$/

/** What a runtime is built from: the variables, and the bindings it holds on to. */
const RUNTIME_VARIABLES: readonly string[] = [...CONFIG_VARIABLES, 'TOKEN_CACHE', 'RATE_LIMITER']

function sameValues(env: Record<string, unknown>, values: readonly unknown[]): boolean {
  for (let i = 0; i < RUNTIME_VARIABLES.length; i++) {
    if (env[RUNTIME_VARIABLES[i] as string] !== values[i]) return false
  }
  return true
}

export function createApp(options: AppOptions = {}) {
  const now = options.now ?? systemNow
  const sleep = options.sleep ?? systemSleep
  const writeLog = options.writeLog ?? ((line: string) => console.log(line))
  // Wrapped rather than referenced: a detached global fetch is an illegal invocation on Workers.
  const upstreamFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init))
  // Module scope in production (index.ts creates one app per isolate): the first-level cache.
  const memory = createMemoryCache<EntraToken>()
  const clientTokenMemory = createClientTokenMemory()
  const cacheStorage = options.caches ?? (typeof caches === 'undefined' ? undefined : caches)
  /** The runtime in use, with the env it was built from (the last env seen) and its values. */
  let published: { env: object; values: unknown[]; state: RuntimeState } | undefined

  /**
   * The runtime for this env, built once per isolate. Synchronous once built, so the per-request
   * cost is an identity check or, when workerd hands a request a new env object, one comparison
   * per variable.
   */
  const runtimeFor = (env: Record<string, unknown>): RuntimeState | Promise<RuntimeState> => {
    const current = published
    if (current !== undefined) {
      if (current.env === env) return current.state
      if (sameValues(env, current.values)) {
        current.env = env
        return current.state
      }
    }
    return build(env)
  }

  /**
   * Requests that arrive during the first build each build (no promise is shared across
   * requests: workerd ties a promise to the request that created it); the first to finish is
   * published and the others adopt it, so that all share one runtime and one set of clients.
   */
  const build = async (env: Record<string, unknown>): Promise<RuntimeState> => {
    const values = RUNTIME_VARIABLES.map((name) => env[name])
    const state = await buildRuntime(env)
    const current = published
    if (current !== undefined && sameValues(env, current.values)) return current.state
    published = { env, values, state }
    if (!state.ok) {
      createLogger({}, writeLog)('error', 'config_invalid', { problems: state.problems })
    }
    return state
  }

  const buildRuntime = async (env: Record<string, unknown>): Promise<RuntimeState> => {
    const parsed = parseConfig(env)
    if (!parsed.ok) return parsed
    const { config } = parsed
    const kvBinding = env.TOKEN_CACHE as KvLike | undefined
    let issuer: TokenIssuer
    /**
     * The secret material behind the AES key of KV and Cache API entries and the user-id hash key:
     * TOKEN_CACHE_KEY when set, else the credential (or the access key).
     */
    const keysFrom = async (credentialMaterial: Uint8Array) => {
      const material = hashKeyMaterial(config.cacheKeyBase64, credentialMaterial)
      return {
        aesKey: await (config.cacheKeyBase64 !== undefined
          ? importCacheKey(config.cacheKeyBase64)
          : deriveCacheKey(material)),
        hashUserId: config.logUserId === 'hash' ? await createUserIdHasher(material) : undefined,
      }
    }
    let keys: Awaited<ReturnType<typeof keysFrom>>
    if (config.signing === 'access-key') {
      // Access-key mode: tokens are signed here; no Entra token source, nothing to refresh.
      issuer = {
        kind: 'access-key',
        signers: config.resources.map((resource) =>
          createAccessKeySigner(resource.accessKey ?? config.accessKey),
        ),
      }
      keys = await keysFrom(new TextEncoder().encode(config.accessKey))
    } else {
      let credential
      try {
        credential = await prepareCredential(config.credential)
      } catch {
        return {
          ok: false,
          problems: [
            {
              variable: 'AZURE_CLIENT_CERTIFICATE',
              problem: 'the private key could not be imported as an RSA PKCS#8 key for PS256',
            },
          ],
        }
      }
      const cacheKey = await entraTokenCacheKey(config, credential)
      keys = await keysFrom(credential.keyMaterial)
      const log = createLogger({ component: 'entra-token' }, writeLog, config.logLevel)
      const tokens = createEntraTokenSource({
        config,
        credential,
        cacheKey,
        memory,
        kv:
          kvBinding === undefined
            ? undefined
            : createEncryptedKv({ kv: kvBinding, key: keys.aesKey }),
        fetch: upstreamFetch,
        now,
        sleep,
        log: ({ event, ...fields }) =>
          log(event.endsWith('failed') ? 'warn' : 'info', event, fields),
      })
      issuer = {
        kind: 'entra',
        tokens,
        authApiProbe: createAuthApiProbe({
          hub: config.hubs[0] ?? '',
          minutesToExpire: config.tokenTtlMinutes,
          now,
          sleep,
        }),
      }
    }
    const failoverLog = createLogger({ component: 'failover' }, writeLog, config.logLevel)
    const failover = createFailover({
      endpoints: config.resources.map((resource) => resource.endpoint),
      passive: issuer.kind === 'entra',
      fetch: upstreamFetch,
      now,
      kv: kvBinding,
      log: (event, fields) => failoverLog('warn', event, fields),
    })
    // Before the first negotiation: the cron's view of which resources are down.
    await failover.loadShared()
    // Revocations exist only with the admin endpoint that writes them, and live in KV.
    const revocationLog = createLogger({ component: 'revocations' }, writeLog, config.logLevel)
    const revocations =
      config.adminToken === undefined || kvBinding === undefined
        ? undefined
        : createRevocations({ kv: kvBinding, key: keys.aesKey, now, log: revocationLog })
    // Before the first negotiation too: a revoked user must not slip through a new isolate.
    await revocations?.load()
    const callerLog = createLogger({ component: 'caller' }, writeLog, config.logLevel)
    const caller = await createCallerVerifier(config.auth, {
      fetch: upstreamFetch,
      now,
      kv:
        kvBinding === undefined
          ? undefined
          : createEncryptedKv({ kv: kvBinding, key: keys.aesKey }),
      log: (event, fields) => callerLog('warn', event, fields),
    })
    const reuseLog = createLogger({ component: 'client-token' }, writeLog, config.logLevel)
    const clientTokens = createClientTokenReuse({
      config: config.tokenReuse,
      memory: clientTokenMemory,
      caches: cacheStorage,
      key: keys.aesKey,
      now,
      sleep,
      log: ({ event, ...fields }) => reuseLog('warn', event, fields),
    })
    if (config.auth.mode === 'anonymous') {
      callerLog('warn', 'running_anonymous', {
        detail: 'AUTH_MODE=anonymous: anyone can negotiate; every caller gets a random user id',
      })
    }
    return {
      ok: true,
      runtime: {
        config,
        issuer,
        failover,
        clientTokens,
        caller,
        rateLimiter: env.RATE_LIMITER as RateLimiter | undefined,
        kvBound: kvBinding !== undefined,
        fetch: upstreamFetch,
        now,
        sleep,
        upstreamDeadlineMs: options.upstreamDeadlineMs ?? 5_000,
        hashUserId: keys.hashUserId,
        adminCheck:
          config.adminToken === undefined ? undefined : await createSecretCheck(config.adminToken),
        revocations,
        writeLog,
      },
    }
  }

  const app = new Hono<AppEnv>()
  // One middleware for what every request needs: its id, its runtime, its logger, and on the way
  // out the X-Request-Id, Server-Timing, Timing-Allow-Origin and CORS headers, set on the
  // finished response.
  app.use(async (c, next) => {
    const startMs = performance.now()
    // The caller's own X-Request-Id when it is a plausible one, for correlation; else a new one.
    const incoming = c.req.header('x-request-id')
    const id =
      incoming !== undefined && incoming.length <= 255 && REQUEST_ID.test(incoming)
        ? incoming
        : crypto.randomUUID()
    c.set('requestId', id)
    c.set('waitUntil', (promise) => c.executionCtx.waitUntil(promise))
    const pending = runtimeFor(c.env)
    const state = pending instanceof Promise ? await pending : pending
    c.set('runtime', state)
    c.set(
      'log',
      createLogger({ requestId: id }, writeLog, state.ok ? state.runtime.config.logLevel : 'info'),
    )
    // A browser app on an allowed origin must be able to read why (config_invalid) too.
    const cors: CorsSettings = state.ok
      ? state.runtime.config
      : corsSettingsDespiteProblems(c.env, state.problems)
    const origin = c.req.header('origin')
    if (c.req.method === 'OPTIONS') return preflightResponse(cors, origin)
    const timings: string[] = []
    c.set('timings', timings)
    await next()
    const headers = c.res.headers
    headers.set('x-request-id', id)
    headers.append('server-timing', serverTimingHeader(timings, performance.now() - startMs))
    // Browsers on allowed origins may read the timings.
    const timingOrigin = state.ok ? allowedOrigin(cors, origin) : undefined
    if (timingOrigin !== undefined) headers.set('timing-allow-origin', timingOrigin)
    addCorsHeaders(headers, cors, origin)
    return undefined
  })
  app.route('/', healthRoutes)
  app.route('/', openapiRoutes)
  app.route('/', negotiateRoutes)
  app.route('/', adminRoutes)
  for (const routes of options.routes ?? []) app.route('/', routes)
  app.notFound((c) =>
    problemResponse(
      new NegotiatorError('not_found', {
        detail:
          'Nothing here; the negotiator serves /negotiate, /healthz, /readyz and /openapi.json.',
      }),
      c.get('requestId'),
      { headers: { 'x-request-id': c.get('requestId') } },
    ),
  )
  app.onError((error, c) => {
    const mapped = toNegotiatorError(error)
    const log = c.get('log') ?? createLogger({}, writeLog)
    log(mapped.code === 'internal_error' ? 'error' : 'warn', 'request_failed', {
      code: mapped.code,
      upstream: mapped.upstream,
      path: c.req.path,
      // Only the error's name for unknown failures: messages may quote upstream bodies.
      cause: mapped.code === 'internal_error' && error instanceof Error ? error.name : undefined,
    })
    return problemResponse(mapped, c.get('requestId'), {
      headers: { 'x-request-id': c.get('requestId') },
    })
  })

  /** The cron: keeps the KV entry fresh so a new isolate finds a good token (wrangler.toml). */
  const scheduled = async (env: Record<string, unknown>): Promise<string> => {
    const log = createLogger({ component: 'scheduled' }, writeLog)
    const state = await runtimeFor(env)
    if (!state.ok) {
      log('error', 'scheduled_skipped', { reason: 'config_invalid' })
      return 'config_invalid'
    }
    const { runtime } = state
    if (runtime.failover.health !== undefined) {
      // Every resource probed, and the outcome shared through KV with every isolate.
      const shared = await runtime.failover.probeAll()
      log('info', 'scheduled_health', {
        down: shared.resources.filter((resource) => !resource.healthy).length,
        resources: shared.resources.length,
      })
    }
    if (runtime.issuer.kind === 'access-key') {
      // Access-key mode keeps no Entra token: nothing to refresh.
      log('info', 'scheduled_refresh', { outcome: 'no_entra' })
      return 'no_entra'
    }
    try {
      const outcome = await runtime.issuer.tokens.refreshIfDue(
        now() + runtime.upstreamDeadlineMs * 2,
      )
      log('info', 'scheduled_refresh', { outcome })
      return outcome
    } catch (error) {
      const mapped = toNegotiatorError(error)
      log('error', 'scheduled_refresh_failed', { code: mapped.code, upstream: mapped.upstream })
      throw mapped
    }
  }

  return { app, scheduled }
}
