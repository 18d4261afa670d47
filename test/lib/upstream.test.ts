// Tests for callUpstream: the parsed body and the server's wait, capped, as whole seconds.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { callUpstream } from '../../src/lib/upstream'

const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0)
const hints = { service: 'webpubsub', timeout: 'late', unreachable: 'gone' } as const

/** One answer, one attempt: the wait the caller would report is all these tests look at. */
function answerWith(headers: Record<string, string>, status = 429) {
  return callUpstream(
    () => ({ url: 'https://contoso.webpubsub.azure.com/api/hubs/chat/:generateToken', init: {} }),
    {
      fetch: (async () =>
        new Response('{"code":"Error.TooManyRequests"}', {
          status,
          headers,
        })) as typeof fetch,
      now: () => START_MS,
      sleep: async () => undefined,
      deadlineMs: START_MS + 5_000,
      maxAttempts: 1,
    },
    hints,
  )
}

describe('lib/upstream', () => {
  it('reports the wait as whole seconds, rounded up', async () => {
    expect((await answerWith({ 'retry-after-ms': '1500' })).retryAfterSeconds).toBe(2)
    expect((await answerWith({ 'Retry-After': '60' })).retryAfterSeconds).toBe(60)
    expect((await answerWith({})).retryAfterSeconds).toBeUndefined()
  })

  it.each<Record<string, string>>([
    { 'Retry-After': '1000000000000000000000' },
    { 'x-ms-retry-after-ms': '9'.repeat(400) },
    { 'retry-after-ms': '9'.repeat(30) },
  ])('caps a huge wait at 3600 seconds: %j', async (headers) => {
    const answer = await answerWith(headers)
    expect(answer.retryAfterSeconds).toBe(3600)
    expect(answer.fields).toEqual({ code: 'Error.TooManyRequests' })
  })

  it('reports any Retry-After as undefined or an integer in [0, 3600] (property)', async () => {
    const value = fc.oneof(
      fc.string().map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Retry-After', 'retry-after-ms', 'x-ms-retry-after-ms'),
        value,
        async (name, header) => {
          const { retryAfterSeconds } = await answerWith({ [name]: header })
          return (
            retryAfterSeconds === undefined ||
            (Number.isInteger(retryAfterSeconds) &&
              retryAfterSeconds >= 0 &&
              retryAfterSeconds <= 3600)
          )
        },
      ),
      { numRuns: 500 },
    )
  })
})
