// Tests for the one error → problem+json mapping, including the Retry-After it sends.
import fc from 'fast-check'
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

  it.each([
    [1e21, '3600'],
    [Number.POSITIVE_INFINITY, '3600'],
    [3600.5, '3600'],
    [-1, '0'],
    [Number.NEGATIVE_INFINITY, '0'],
    [2.1, '3'],
  ])('sends Retry-After %d as the integer %s, in the header and the body', async (value, sent) => {
    const error = new NegotiatorError('entra_throttled', { detail: 'x', retryAfterSeconds: value })
    const response = problemResponse(error, 'r')
    expect(response.headers.get('retry-after')).toBe(sent)
    const body = (await response.json()) as { retryAfterSeconds?: number }
    expect(body.retryAfterSeconds).toBe(Number(sent))
  })

  it('sends no Retry-After for NaN, and none smuggled in through headers or extensions', async () => {
    const error = new NegotiatorError('entra_throttled', {
      detail: 'x',
      retryAfterSeconds: Number.NaN,
      headers: { 'retry-after': '1e+21' },
      extensions: { retryAfterSeconds: 'Infinity' },
    })
    const response = problemResponse(error, 'r', { headers: { 'Retry-After': '-1' } })
    expect(response.headers.has('retry-after')).toBe(false)
    expect(await response.json()).not.toHaveProperty('retryAfterSeconds')
  })

  it('sends any retryAfterSeconds as a non-negative integer of at most 3600 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double(), async (seconds) => {
        const error = new NegotiatorError('webpubsub_throttled', {
          detail: 'x',
          retryAfterSeconds: seconds,
        })
        const response = problemResponse(error, 'r')
        const header = response.headers.get('retry-after')
        const body = (await response.json()) as { retryAfterSeconds?: number }
        if (Number.isNaN(seconds)) return header === null && body.retryAfterSeconds === undefined
        return (
          header !== null &&
          /^\d+$/.test(header) &&
          Number(header) <= 3600 &&
          body.retryAfterSeconds === Number(header)
        )
      }),
      { numRuns: 1000 },
    )
  })
})
