// What GET /negotiate answers: the client access grant, or the problem (RFC 9457) of a refusal.
import type { ErrorCode, UpstreamDetail } from '../src/errors.js'
import type { ClientProtocol } from '../src/webpubsub/client-url.js'

export type { ClientProtocol }

/** A 200 from /negotiate (README "HTTP API"). */
export interface NegotiateResponse {
  /** The client endpoint without the token: `wss://<host>/client/hubs/<hub>`. */
  baseUrl: string
  /** The client access token (a JWT); it is also in `url`. */
  token: string
  /** What `WebPubSubClient` connects to: `baseUrl` with `access_token`. */
  url: string
  /** The token's own `exp`, ISO 8601. */
  expiresAt: string
  /** Three quarters into the token's life (ISO 8601): negotiate again from then on. */
  refreshAfter: string
  /** The hub as the negotiator spells it. */
  hub: string
  /** The user the token names; null on a hub whose anonymous callers share one token. */
  userId: string | null
  /** The roles the policy granted, e.g. `webpubsub.sendToGroups.room.*`. */
  roles: string[]
  /** The groups the connection joins when it opens. */
  groups: string[]
}

/**
 * The negotiator's stable error codes (README "Errors"). Codes are added, never renamed or reused:
 * a negotiator newer than this helper may send one this list lacks, so keep a default branch.
 */
export type NegotiatorErrorCode = ErrorCode

/** What the service said about the upstream answer behind a 502/503; never a secret or a token. */
export type NegotiatorUpstreamDetail = UpstreamDetail

/** An `application/problem+json` refusal from the negotiator (RFC 9457). */
export interface NegotiatorProblem {
  /** `urn:webpubsub-edge-negotiator:error:<code>`. */
  type: string
  title: string
  status: number
  /** What is wrong and what to do; safe to show. */
  detail: string
  code: NegotiatorErrorCode
  /** The `X-Request-Id` of the answer: it finds the negotiator's log line. */
  requestId?: string
  /** Mirrors the `Retry-After` header of 429 and 503 answers. */
  retryAfterSeconds?: number
  upstream?: NegotiatorUpstreamDetail
  /** `hub_not_allowed`: the hubs this negotiator serves. */
  allowedHubs?: string[]
  /** `config_invalid`: every configuration problem, naming its variable. */
  problems?: { variable: string; problem: string }[]
  /** Further extension members (RFC 9457 §3.2). */
  [member: string]: unknown
}
