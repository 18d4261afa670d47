import { describe, expect, it } from 'vitest'
import { NegotiatorError } from '../../src/errors'
import { problemResponse, toNegotiatorError } from '../../src/http/problem'

describe('http/problem', () => {
  it('writes an RFC 9457 body with code, upstream and Retry-After', async () => {
    const error = new NegotiatorError('entra_throttled', {
      detail: 'slow down',
      upstream: { service: 'entra', status: 429, aadsts: 50196 },
      retryAfterSeconds: 7,
    })
    const response = problemResponse(error, 'req-1')
    expect(response.status).toBe(503)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('retry-after')).toBe('7')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({
      type: 'urn:webpubsub-edge-negotiator:error:entra_throttled',
      title: 'Entra ID is throttling',
      status: 503,
      detail: 'slow down',
      code: 'entra_throttled',
      requestId: 'req-1',
      upstream: { service: 'entra', status: 429, aadsts: 50196 },
      retryAfterSeconds: 7,
    })
  })

  it('hides the message of unknown errors', async () => {
    const mapped = toNegotiatorError(new Error('secret-ish internal detail'))
    expect(mapped.code).toBe('internal_error')
    const body = await problemResponse(mapped, undefined).text()
    expect(body).not.toContain('secret-ish')
  })

  it('allows a status override', () => {
    const response = problemResponse(
      new NegotiatorError('webpubsub_forbidden', { detail: 'x' }),
      'r',
      {
        status: 503,
      },
    )
    expect(response.status).toBe(503)
  })
})
