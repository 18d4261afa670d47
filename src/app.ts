// Builds the Hono app from its parts; the only place that reads Env and the execution context.
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { timing } from 'hono/timing'
import type { AppEnv, RuntimeState } from './app-env'
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
import { createCallerVerifier } from './caller/verifier'
import { CONFIG_VARIABLES, parseConfig } from './config'
import type { EntraToken } from './entra/client-credentials'
import { prepareCredential } from './entra/credential'
import { createEntraTokenSource, entraTokenCacheKey } from './entra/token-source'
import { NegotiatorError } from './errors'
import { allowedOrigin, corsMiddleware, corsSettingsDespiteProblems } from './http/cors'
import { problemResponse, toNegotiatorError } from './http/problem'
import { systemNow, systemSleep, type Now, type Sleep } from './lib/clock'
import { createLogger } from './lib/log'
import { demoRoutes } from './routes/demo'
import { healthRoutes } from './routes/health'
import { negotiateRoutes } from './routes/negotiate'
import { createClientTokenReuse } from './webpubsub/client-token-reuse'

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
  let cached: { env: object; values: unknown[]; state: RuntimeState } | undefined

  const runtimeFor = async (env: Record<string, unknown>): Promise<RuntimeState> => {
    if (cached !== undefined && cached.env === env) return cached.state
    // workerd may hand each request a distinct env object: compare the values, not the identity.
    const values = [...CONFIG_VARIABLES.map((name) => env[name]), env.TOKEN_CACHE, env.RATE_LIMITER]
    if (cached !== undefined && values.every((value, i) => value === cached?.values[i])) {
      cached = { ...cached, env }
      return cached.state
    }
    const state = await buildRuntime(env)
    cached = { env, values, state }
    if (!state.ok) {
      createLogger({}, writeLog)('error', 'config_invalid', { problems: state.problems })
    }
    return state
  }

  const buildRuntime = async (env: Record<string, unknown>): Promise<RuntimeState> => {
    const parsed = parseConfig(env)
    if (!parsed.ok) return parsed
    const { config } = parsed
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
    const kvBinding = env.TOKEN_CACHE as KvLike | undefined
    const cacheKey = await entraTokenCacheKey(config, credential)
    const aesKey =
      config.cacheKeyBase64 !== undefined
        ? await importCacheKey(config.cacheKeyBase64)
        : await deriveCacheKey(credential.keyMaterial)
    const log = createLogger({ component: 'entra-token' }, writeLog)
    const tokens = createEntraTokenSource({
      config,
      credential,
      cacheKey,
      memory,
      kv: kvBinding === undefined ? undefined : createEncryptedKv({ kv: kvBinding, key: aesKey }),
      fetch: upstreamFetch,
      now,
      sleep,
      log: ({ event, ...fields }) => log(event.endsWith('failed') ? 'warn' : 'info', event, fields),
    })
    const callerLog = createLogger({ component: 'caller' }, writeLog)
    const caller = await createCallerVerifier(config.auth, {
      fetch: upstreamFetch,
      now,
      kv: kvBinding === undefined ? undefined : createEncryptedKv({ kv: kvBinding, key: aesKey }),
      log: (event, fields) => callerLog('warn', event, fields),
    })
    const reuseLog = createLogger({ component: 'client-token' }, writeLog)
    const clientTokens = createClientTokenReuse({
      config: config.tokenReuse,
      memory: clientTokenMemory,
      caches: cacheStorage,
      key: aesKey,
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
        tokens,
        clientTokens,
        caller,
        rateLimiter: env.RATE_LIMITER as RateLimiter | undefined,
        cors: corsMiddleware(config),
        kvBound: kvBinding !== undefined,
        fetch: upstreamFetch,
        now,
        sleep,
        upstreamDeadlineMs: options.upstreamDeadlineMs ?? 5_000,
        writeLog,
      },
    }
  }

  const app = new Hono<AppEnv>()
  app.use(requestId())
  app.use(
    timing({
      totalDescription: 'total',
      // Browsers on allowed origins may read the timings (Timing-Allow-Origin).
      crossOrigin: (c) => {
        const state = c.get('runtime')
        return (state?.ok && allowedOrigin(state.runtime.config, c.req.header('origin'))) || false
      },
    }),
  )
  app.use(async (c, next) => {
    const id = c.get('requestId')
    c.set('log', createLogger({ requestId: id }, writeLog))
    c.set('waitUntil', (promise) => c.executionCtx.waitUntil(promise))
    const state = await runtimeFor(c.env)
    c.set('runtime', state)
    if (state.ok) return state.runtime.cors(c, next)
    // A browser app on an allowed origin must be able to read why (config_invalid) too.
    return corsMiddleware(corsSettingsDespiteProblems(c.env, state.problems))(c, next)
  })
  app.route('/', healthRoutes)
  app.route('/', negotiateRoutes)
  app.route('/', demoRoutes)
  app.notFound((c) =>
    problemResponse(
      new NegotiatorError('not_found', {
        detail: 'Nothing here; the negotiator serves /negotiate, /healthz and /readyz.',
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
    try {
      const outcome = await runtime.tokens.refreshIfDue(now() + runtime.upstreamDeadlineMs * 2)
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
