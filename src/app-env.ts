// The Hono context types shared by app.ts and the routes, kept apart so neither imports the other.
import type { ClientTokenCache } from './cache/client-token-cache'
import type { RateLimiter } from './caller/rate-limit'
import type { Revocations } from './caller/revocations'
import type { CallerVerifier } from './caller/verifier'
import type { Config, ConfigProblem } from './config'
import type { EntraTokenSource } from './entra/token-source'
import type { Now, Sleep } from './lib/clock'
import type { Timings } from './http/server-timing'
import type { Logger } from './lib/log'
import type { SecretCheck } from './lib/secret-equal'
import type { UserIdHasher } from './lib/user-id-hash'
import type { AccessKeySigner } from './webpubsub/access-key'
import type { Failover } from './webpubsub/failover'
import type { AuthApiProbe } from './webpubsub/readiness-probe'

/** How client tokens are issued, following the config's `signing`. */
export type TokenIssuer =
  | {
      kind: 'entra'
      tokens: EntraTokenSource
      /** /readyz's cached Auth API probe (webpubsub/readiness-probe.ts). */
      authApiProbe: AuthApiProbe
    }
  /** One signer per resource, in config.resources' order. */
  | { kind: 'access-key'; signers: readonly AccessKeySigner[] }

/** Everything a request needs, built once per isolate from Env. */
export interface Runtime {
  config: Config
  issuer: TokenIssuer
  /** Which resource issues: breakers, probes, shared health (webpubsub/failover.ts). */
  failover: Failover
  /** Client-token reuse; undefined when TOKEN_REUSE=off. */
  clientTokens: ClientTokenCache | undefined
  /** Undefined in anonymous mode. */
  caller: CallerVerifier | undefined
  /** The RATE_LIMITER binding, when bound. */
  rateLimiter: RateLimiter | undefined
  kvBound: boolean
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  upstreamDeadlineMs: number
  /** LOG_USER_ID=hash: the keyed hash written in place of user ids (lib/user-id-hash.ts). */
  hashUserId: UserIdHasher | undefined
  /** ADMIN_TOKEN's check; undefined when it is unset, and then the admin endpoint does not exist. */
  adminCheck: SecretCheck | undefined
  /** Revoked users (caller/revocations.ts); undefined without ADMIN_TOKEN or without KV. */
  revocations: Revocations | undefined
  writeLog: (line: string) => void
}

export type RuntimeState = { ok: true; runtime: Runtime } | { ok: false; problems: ConfigProblem[] }

export type AppEnv = {
  Bindings: Record<string, unknown>
  Variables: {
    /** The caller's X-Request-Id when plausible, else a random UUID; in logs and problem bodies. */
    requestId: string
    runtime: RuntimeState
    log: Logger
    waitUntil: (promise: Promise<unknown>) => void
    /** Server-Timing metrics (http/server-timing.ts), written onto the response at the end. */
    timings: Timings
  }
}
