// Builds a fresh negotiator app per test with a controllable clock, captured logs and waitUntil.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { createApp } from '../../src/app'
import { demoRoutes } from '../../src/routes/demo'
import type { CacheStorageLike } from '../../src/cache/client-token-store'
import { systemSleep } from '../../src/lib/clock'
import { emulator, emulatorUrl, type DemoApp } from './emulator'
import { KvDouble } from './kv-double'

export interface HarnessOptions {
  /** Which demo app signs in; default the Owner with a secret. */
  app?: 'ownerSecret' | 'ownerCertificate' | 'reader' | 'noRole' | 'expiredSecret' | DemoApp
  /**
   * Extra or replaced variables; `undefined` removes one. TOKEN_CACHE is a fresh KvDouble on the
   * harness clock unless given here: pass one to inspect or share it, or the Miniflare namespace
   * (`env.TOKEN_CACHE` from cloudflare:test) where a test needs the real binding.
   */
  vars?: Record<string, unknown>
  /** Sleep advances the fake clock at once instead of waiting (for retry tests). */
  instantSleep?: boolean
  upstreamDeadlineMs?: number
  /** Replaces the Worker's outbound fetch, e.g. to count or fail upstream calls. */
  fetch?: typeof fetch
  /**
   * The Cache API the app sees. By default a namespace of the real one of its own (see
   * isolatedCaches): pass another harness's `caches` to play a second isolate in the same colo.
   */
  caches?: CacheStorageLike
  /** Mount the demo page's routes, as the development entry (src/dev.ts) does; production has none. */
  demo?: boolean
}

export interface Harness {
  env: Record<string, unknown>
  /** The Cache API this harness's app uses. */
  caches: CacheStorageLike
  logs: string[]
  sleeps: number[]
  /** Milliseconds added to the real clock. */
  advance(ms: number): void
  now(): number
  /** Serves one request and waits for its waitUntil work. */
  request(path: string, init?: RequestInit): Promise<Response>
  /** Serves one request, returning before its waitUntil work ends. */
  requestDeferred(
    path: string,
    init?: RequestInit,
  ): Promise<{ response: Response; settled: Promise<void> }>
  scheduled(): Promise<string>
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const credentials = await emulator.credentials()
  const chosen =
    typeof options.app === 'object' ? options.app : credentials.apps[options.app ?? 'ownerSecret']
  let offsetMs = 0
  const logs: string[] = []
  const sleeps: number[] = []
  const now = (): number => Date.now() + offsetMs
  const cacheStorage = options.caches ?? isolatedCaches()
  const { app, scheduled } = createApp({
    now,
    sleep: async (ms, signal) => {
      sleeps.push(ms)
      if (options.instantSleep === true) offsetMs += ms
      else await systemSleep(ms, signal)
    },
    writeLog: (line) => logs.push(line),
    upstreamDeadlineMs: options.upstreamDeadlineMs,
    fetch: options.fetch,
    caches: cacheStorage,
    routes: options.demo === true ? [demoRoutes] : [],
  })
  const env: Record<string, unknown> = {
    AUTH_MODE: 'anonymous',
    AZURE_TENANT_ID: credentials.tenantId,
    AZURE_CLIENT_ID: chosen.clientId,
    AZURE_CLIENT_SECRET: chosen.clientSecret,
    AZURE_CLIENT_CERTIFICATE: chosen.certificatePem,
    AZURE_AUTHORITY_HOST: emulatorUrl(),
    WEBPUBSUB_ENDPOINT: emulatorUrl(),
    WEBPUBSUB_HUBS: 'chat,lobby',
    // Empty per harness: a test's Entra calls never depend on what an earlier test left in KV.
    TOKEN_CACHE: new KvDouble({ now }),
  }
  for (const [name, value] of Object.entries(options.vars ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  const serve = async (path: string, init?: RequestInit) => {
    const ctx = createExecutionContext()
    const response = await app.request(path, init, env, ctx)
    return { response, settled: waitOnExecutionContext(ctx) }
  }
  return {
    env,
    caches: cacheStorage,
    logs,
    sleeps,
    advance: (ms) => {
      offsetMs += ms
    },
    now,
    async request(path, init) {
      const { response, settled } = await serve(path, init)
      await settled
      return response
    },
    requestDeferred: serve,
    scheduled: () => scheduled(env),
  }
}

/**
 * The real Cache API under cache names of its own. vitest-pool-workers keeps one Cache API per
 * test file, shared by its tests, and workerd has no `caches.delete()` to clear it; fresh names
 * give each harness an empty one, as a fresh KvDouble gives it an empty KV.
 */
export function isolatedCaches(): CacheStorageLike {
  const namespace = crypto.randomUUID()
  return { open: (name) => caches.open(`${name}/${namespace}`) }
}

/** Reads a problem+json body and checks its envelope. */
export async function problemOf(response: Response): Promise<Record<string, unknown>> {
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(
      `expected application/problem+json, got ${response.headers.get('content-type')} (${response.status})`,
    )
  }
  return (await response.json()) as Record<string, unknown>
}
