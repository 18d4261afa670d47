// Maps Entra token-endpoint failures to stable error codes with advice an operator can act on.
import { NegotiatorError, type ErrorCode, type UpstreamDetail } from '../errors'
import { MAX_RETRY_AFTER_MS } from '../lib/retry-after'

/**
 * The error body Entra sends: RFC 6749 §5.2 plus `error_codes`, `trace_id` and `correlation_id`
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). Every field is
 * optional: proxies send other bodies.
 */
export interface EntraErrorBody {
  error?: unknown
  error_description?: unknown
  error_codes?: unknown
  trace_id?: unknown
  correlation_id?: unknown
}

interface Advice {
  code: ErrorCode
  detail: string
}

/**
 * Known AADSTS numbers and what to do about each (Microsoft Entra authentication and authorization
 * error codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
const ADVICE: Record<number, Advice> = {
  7000215: {
    code: 'entra_credentials_rejected',
    detail:
      'Entra rejected the client secret (AADSTS7000215). Set AZURE_CLIENT_SECRET to the secret VALUE ' +
      '(not its secret ID) of a secret that belongs to AZURE_CLIENT_ID.',
  },
  7000222: {
    code: 'entra_credentials_rejected',
    detail:
      'The client secret has expired (AADSTS7000222). Create a new secret on the app registration and ' +
      'store it with `wrangler secret put AZURE_CLIENT_SECRET`.',
  },
  700027: {
    code: 'entra_credentials_rejected',
    detail:
      'Entra could not verify the certificate assertion (AADSTS700027). Upload the certificate in ' +
      'AZURE_CLIENT_CERTIFICATE to the app registration (Certificates & secrets) and check that the ' +
      'private key belongs to that certificate.',
  },
  700024: {
    code: 'entra_assertion_invalid',
    detail:
      'Entra refused the certificate assertion as outside its valid time window (AADSTS700024). ' +
      'This is usually clock skew; it should heal by itself.',
  },
  700016: {
    code: 'entra_app_or_tenant_not_found',
    detail:
      'No application with AZURE_CLIENT_ID exists in tenant AZURE_TENANT_ID (AADSTS700016). Check both ' +
      'ids on the app registration overview page, and that the app was not deleted.',
  },
  90002: {
    code: 'entra_app_or_tenant_not_found',
    detail: 'Tenant AZURE_TENANT_ID was not found (AADSTS90002). Use the directory (tenant) id.',
  },
  70011: {
    code: 'entra_scope_invalid',
    detail:
      'Entra rejected the scope (AADSTS70011). Set WEBPUBSUB_SCOPE to https://webpubsub.azure.com/.default ' +
      '(Azure China: https://webpubsub.azure.cn/.default), or remove it to use the default.',
  },
  70021: {
    code: 'entra_federation_rejected',
    detail:
      'No federated credential on the app registration matches the presented assertion (AADSTS70021). ' +
      'Check the issuer, subject and audience of the federated credential.',
  },
}

function extractAadsts(body: EntraErrorBody): number | undefined {
  if (Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number') {
    return body.error_codes[0]
  }
  if (typeof body.error_description === 'string') {
    const match = /^AADSTS(\d+)/.exec(body.error_description)
    if (match?.[1] !== undefined) return Number(match[1])
  }
  return undefined
}

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined

/**
 * Turns a non-2xx answer with a parsed body into a NegotiatorError. Throttling and outages are
 * decided by status; everything else by the OAuth `error` and the AADSTS number.
 */
export function entraError(
  status: number,
  body: EntraErrorBody | undefined,
  retryAfterSeconds?: number,
): NegotiatorError {
  const aadsts = body === undefined ? undefined : extractAadsts(body)
  const upstream: UpstreamDetail = {
    service: 'entra',
    status,
    code: asString(body?.error),
    aadsts,
    traceId: asString(body?.trace_id),
    correlationId: asString(body?.correlation_id),
  }
  if (status === 429) {
    return new NegotiatorError('entra_throttled', {
      detail: 'Entra ID is throttling token requests; the negotiator backs off and will retry.',
      upstream,
      retryAfterSeconds,
    })
  }
  if (status >= 500 || status === 408) {
    return new NegotiatorError('entra_unavailable', {
      detail: `Entra ID answered ${status}; token requests are retried with backoff.`,
      upstream,
      retryAfterSeconds,
    })
  }
  const known = aadsts === undefined ? undefined : ADVICE[aadsts]
  if (known !== undefined)
    return new NegotiatorError(known.code, { detail: known.detail, upstream })
  const error = upstream.code
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return new NegotiatorError('entra_credentials_rejected', {
      detail:
        `Entra rejected the app's credentials (${error}${aadsts === undefined ? '' : `, AADSTS${aadsts}`}). ` +
        'Check AZURE_CLIENT_ID and its secret or certificate.',
      upstream,
    })
  }
  if (error === 'invalid_scope') {
    return new NegotiatorError('entra_scope_invalid', {
      detail: ADVICE[70011]?.detail ?? '',
      upstream,
    })
  }
  if (body === undefined || error === undefined) {
    return new NegotiatorError('entra_unexpected_response', {
      detail: `Entra answered ${status} without an OAuth error body; check AZURE_AUTHORITY_HOST.`,
      upstream,
    })
  }
  return new NegotiatorError('entra_request_rejected', {
    detail: `Entra rejected the token request (${error}${aadsts === undefined ? '' : `, AADSTS${aadsts}`}).`,
    upstream,
  })
}

/** Failures that do not heal by retrying: remembered for a while so Entra is not hammered. */
export function isPermanentEntraFailure(error: NegotiatorError): boolean {
  switch (error.code) {
    case 'entra_credentials_rejected':
    case 'entra_app_or_tenant_not_found':
    case 'entra_scope_invalid':
    case 'entra_federation_rejected':
    case 'entra_request_rejected':
      return true
    default:
      return false
  }
}

/**
 * The hold after a 429/5xx without Retry-After. MSAL waits 60 s, but it is one long-lived client;
 * here the request already retried with backoff for up to its whole deadline, and a minute would
 * turn a short incident into a minute of 503s for every caller of this isolate. A few seconds keep
 * an isolate to one burst of attempts per window while letting it recover soon after Entra does.
 */
export const DEFAULT_ENTRA_BACKOFF_MS = 5_000

/**
 * How long not to ask Entra again after this failure, in ms; undefined when it is not a throttle
 * or an outage. Only an answer (429, 408, 5xx) counts: a timeout or network error may be ours.
 * Entra's Retry-After is honoured up to an hour, as MSAL caps it.
 */
export function entraBackoffMs(error: NegotiatorError): number | undefined {
  if (error.code !== 'entra_throttled' && error.code !== 'entra_unavailable') return undefined
  if (error.upstream?.status === undefined) return undefined
  if (error.retryAfterSeconds === undefined) return DEFAULT_ENTRA_BACKOFF_MS
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, error.retryAfterSeconds * 1000))
}
