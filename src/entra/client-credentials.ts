// The OAuth 2.0 client-credentials request to Entra ID over fetch, with retries
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
import { NegotiatorError } from '../errors'
import type { Now, Sleep } from '../lib/clock'
import type { RetryOptions, UpstreamRequest } from '../lib/retry'
import { callUpstream } from '../lib/upstream'
import { entraError, type EntraErrorBody } from './aadsts'
import { createClientAssertion } from './assertion'
import type { PreparedCredential } from './credential'

/** An app-only access token and the points in its life that the cache acts on. */
export interface EntraToken {
  /** Opaque to us, as an access token is for its resource to read: never decoded, never logged. */
  accessToken: string
  obtainedAtMs: number
  expiresAtMs: number
  /** From here a refresh is started in the background. */
  refreshAtMs: number
  /** From here the token is too close to expiry to hand to Web PubSub: requests wait for a new one. */
  staleAtMs: number
}

export interface TokenRequestTarget {
  tokenEndpoint: string
  clientId: string
  scope: string
}

export interface TokenRequestDeps {
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  deadlineMs: number
  onRetry?: RetryOptions['onRetry']
}

/** MSAL treats a token as stale 5 minutes before expiry. */
const STALE_MARGIN_MS = 5 * 60_000

/** Works out the refresh and stale points from Entra's own numbers, never from a constant lifetime. */
export function tokenTimeline(
  obtainedAtMs: number,
  expiresInSeconds: number,
  refreshInSeconds: number | undefined,
): Pick<EntraToken, 'obtainedAtMs' | 'expiresAtMs' | 'refreshAtMs' | 'staleAtMs'> {
  const lifetimeMs = expiresInSeconds * 1000
  const expiresAtMs = obtainedAtMs + lifetimeMs
  // Short-lived tokens (seen with some policies and in tests) would be stale at birth with a fixed
  // 5-minute margin: keep at least half of their life usable.
  const staleAtMs = expiresAtMs - Math.min(STALE_MARGIN_MS, lifetimeMs / 2)
  // Without refresh_in, refresh at half-life, as MSAL does for long-lived tokens.
  const wantedRefreshAtMs = obtainedAtMs + (refreshInSeconds ?? expiresInSeconds / 2) * 1000
  const refreshAtMs = Math.min(wantedRefreshAtMs, staleAtMs)
  return { obtainedAtMs, expiresAtMs, refreshAtMs, staleAtMs }
}

function numberField(value: unknown): number | undefined {
  // The v1 endpoint sends numbers as strings; accept both.
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined
}

export async function requestEntraToken(
  target: TokenRequestTarget,
  credential: PreparedCredential,
  deps: TokenRequestDeps,
): Promise<EntraToken> {
  const obtainedAtMs = deps.now()
  const makeRequest = async (): Promise<UpstreamRequest> => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: target.clientId,
      scope: target.scope,
    })
    if (credential.kind === 'secret') {
      form.set('client_secret', credential.secret)
    } else {
      // A fresh assertion per attempt: each carries a unique jti that Entra may refuse to replay.
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      form.set(
        'client_assertion',
        await createClientAssertion({
          clientId: target.clientId,
          tokenEndpoint: target.tokenEndpoint,
          privateKey: credential.privateKey,
          x5tS256: credential.x5tS256,
          nowMs: deps.now(),
        }),
      )
    }
    return {
      url: target.tokenEndpoint,
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form,
      },
    }
  }

  const { response, fields, hasObjectBody, retryAfterSeconds } = await callUpstream(
    makeRequest,
    deps,
    {
      service: 'entra',
      timeout: 'Entra ID did not answer in time; check AZURE_AUTHORITY_HOST or retry shortly.',
      unreachable: 'Entra ID could not be reached; check AZURE_AUTHORITY_HOST or retry shortly.',
    },
  )
  if (!response.ok) {
    throw entraError(
      response.status,
      hasObjectBody ? (fields as EntraErrorBody) : undefined,
      retryAfterSeconds,
    )
  }

  const accessToken = fields.access_token
  const expiresIn = numberField(fields.expires_in)
  const refreshIn = numberField(fields.refresh_in)
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    expiresIn === undefined ||
    expiresIn <= 0
  ) {
    throw new NegotiatorError('entra_unexpected_response', {
      detail:
        'Entra answered 200 without an access_token and a positive expires_in; check AZURE_AUTHORITY_HOST ' +
        'points at a Microsoft Entra authority.',
      upstream: { service: 'entra', status: response.status },
    })
  }
  const validRefreshIn =
    refreshIn !== undefined && refreshIn > 0 && refreshIn < expiresIn ? refreshIn : undefined
  return { accessToken, ...tokenTimeline(obtainedAtMs, expiresIn, validRefreshIn) }
}
