import { describe, expect, it } from 'vitest'
import {
  DEFAULT_ENTRA_BACKOFF_MS,
  entraBackoffMs,
  entraError,
  isPermanentEntraFailure,
} from '../../src/entra/aadsts'
import { NegotiatorError } from '../../src/errors'

const body = (aadsts: number, error: string) => ({
  error,
  error_description: `AADSTS${aadsts}: something. Trace ID: t Correlation ID: c Timestamp: now`,
  error_codes: [aadsts],
  trace_id: 'trace-1',
  correlation_id: 'corr-1',
})

describe('entra/aadsts', () => {
  it.each([
    [7000215, 401, 'invalid_client', 'entra_credentials_rejected', 'secret VALUE'],
    [7000222, 401, 'invalid_client', 'entra_credentials_rejected', 'expired'],
    [700027, 401, 'invalid_client', 'entra_credentials_rejected', 'Upload the certificate'],
    [700024, 400, 'invalid_client', 'entra_assertion_invalid', 'clock skew'],
    [700016, 400, 'unauthorized_client', 'entra_app_or_tenant_not_found', 'AZURE_CLIENT_ID'],
    [90002, 400, 'invalid_request', 'entra_app_or_tenant_not_found', 'AZURE_TENANT_ID'],
    [70011, 400, 'invalid_scope', 'entra_scope_invalid', 'WEBPUBSUB_SCOPE'],
    [70021, 401, 'unauthorized_client', 'entra_federation_rejected', 'federated credential'],
  ])('maps AADSTS%i to its code with advice', (aadsts, status, error, code, advice) => {
    const mapped = entraError(status, body(aadsts, error))
    expect(mapped.code).toBe(code)
    expect(mapped.detail).toContain(advice)
    expect(mapped.upstream).toEqual({
      service: 'entra',
      status,
      code: error,
      aadsts,
      traceId: 'trace-1',
      correlationId: 'corr-1',
    })
  })

  it('reads the AADSTS number from the description when error_codes is missing', () => {
    const mapped = entraError(401, {
      error: 'invalid_client',
      error_description: 'AADSTS7000222: expired',
    })
    expect(mapped.upstream?.aadsts).toBe(7000222)
    expect(mapped.code).toBe('entra_credentials_rejected')
  })

  it('maps throttling and outages by status, keeping Retry-After', () => {
    expect(entraError(429, undefined, 12)).toMatchObject({
      code: 'entra_throttled',
      retryAfterSeconds: 12,
    })
    expect(entraError(503, undefined).code).toBe('entra_unavailable')
    expect(entraError(500, body(50000, 'server_error')).code).toBe('entra_unavailable')
  })

  it('falls back by OAuth error, and flags bodies that are not OAuth errors', () => {
    expect(entraError(401, { error: 'invalid_client' }).code).toBe('entra_credentials_rejected')
    expect(entraError(400, { error: 'invalid_grant' }).code).toBe('entra_request_rejected')
    expect(entraError(404, undefined).code).toBe('entra_unexpected_response')
  })

  it('treats only non-healing failures as permanent', () => {
    expect(isPermanentEntraFailure(entraError(401, body(7000215, 'invalid_client')))).toBe(true)
    expect(isPermanentEntraFailure(entraError(400, body(90002, 'invalid_request')))).toBe(true)
    expect(isPermanentEntraFailure(entraError(429, undefined))).toBe(false)
    expect(isPermanentEntraFailure(entraError(503, undefined))).toBe(false)
    expect(isPermanentEntraFailure(entraError(400, body(700024, 'invalid_client')))).toBe(false)
  })
})

describe('entra/aadsts entraBackoffMs', () => {
  it('holds for the Retry-After of a 429 or 5xx, at most an hour', () => {
    expect(entraBackoffMs(entraError(429, undefined, 60))).toBe(60_000)
    expect(entraBackoffMs(entraError(503, undefined, 30))).toBe(30_000)
    expect(entraBackoffMs(entraError(429, undefined, 0))).toBe(0)
    expect(entraBackoffMs(entraError(429, undefined, 1e21))).toBe(3_600_000)
  })

  it('holds for a few seconds after a 429, 408 or 5xx without Retry-After', () => {
    for (const status of [429, 408, 500, 502, 503, 504]) {
      expect(entraBackoffMs(entraError(status, undefined))).toBe(DEFAULT_ENTRA_BACKOFF_MS)
    }
    expect(DEFAULT_ENTRA_BACKOFF_MS).toBe(5_000)
  })

  it('does not hold after a timeout, a network error or a rejection', () => {
    const timeout = new NegotiatorError('entra_unavailable', {
      detail: 'late',
      upstream: { service: 'entra' },
    })
    expect(entraBackoffMs(timeout)).toBeUndefined()
    expect(entraBackoffMs(entraError(401, { error: 'invalid_client' }))).toBeUndefined()
    expect(entraBackoffMs(entraError(400, { error: 'invalid_request' }))).toBeUndefined()
  })
})
