// Property-based fuzzing of the whole Worker in workerd: hostile requests in each caller mode.
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import errorsSource from '../../src/errors.ts?raw'
import { emulator } from '../support/emulator'
import { createHarness } from '../support/harness'
import { ERROR_CODES, errorCodesInSource } from './error-codes'
import { checkAnswer, checkRun, type AnswerTally } from './oracle'
import { setUpMode } from './modes'
import { buildRequest, fuzzRequests } from './requests'
import { fuzzSettings, replayHint } from './settings'
import type { CallerMode } from './tokens'
import { createUpstreamCounter, difference } from './upstream-counter'

const MODES: CallerMode[] = ['jwt', 'cloudflare-access', 'anonymous']
const settings = fuzzSettings(MODES.length)

beforeEach(() => emulator.reset())

describe('errors', () => {
  it('lists exactly the ErrorCode union of src/errors.ts in the fuzz oracle', () => {
    expect([...ERROR_CODES].sort()).toEqual(errorCodesInSource(errorsSource).sort())
  })
})

describe('app (fuzzed requests)', () => {
  it.each(MODES)(
    'answers every generated request safely when AUTH_MODE=%s',
    async (mode) => {
      console.log(
        `fuzz AUTH_MODE=${mode}: ${settings.runsPerProperty} cases, seed ${settings.seed} (replay: ${replayHint(settings)})`,
      )
      const { vars, pool, secrets } = await setUpMode(mode)
      const counter = createUpstreamCounter()
      const h = await createHarness({ vars, fetch: counter.fetch })
      const tally: AnswerTally = { statuses: {}, negotiated: 0, cases: 0 }
      const startedAtMs = Date.now()

      await fc.assert(
        fc.asyncProperty(fuzzRequests(mode, pool), async (spec) => {
          const request = buildRequest(spec, mode, pool)
          if (request === undefined)
            throw new Error('the generator let an unbuildable request through')
          const before = counter.snapshot()
          const response = await h.request(request.url, request.init)
          const text = await response.text()
          const delta = difference(counter.snapshot(), before)
          checkAnswer({ mode, request, response, text, delta, pool, secrets, tally })
        }),
        { numRuns: settings.runsPerProperty, seed: settings.seed },
      )

      const elapsedMs = Date.now() - startedAtMs
      const totals = counter.snapshot()
      console.log(
        `fuzz AUTH_MODE=${mode}: ${tally.cases} requests in ${(elapsedMs / 1000).toFixed(1)} s, ` +
          `${tally.negotiated} negotiated, statuses ${JSON.stringify(tally.statuses)}, ` +
          `upstream calls ${JSON.stringify(totals)}`,
      )
      checkRun({
        mode,
        totals,
        otherUrls: counter.otherUrls,
        emulatorCounters: await emulator.counters(),
        elapsedMs,
        tally,
        runs: settings.runsPerProperty,
      })
    },
    settings.timeoutMs,
  )
})
