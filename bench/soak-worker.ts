// Soak only: wraps the negotiator so its TOKEN_CACHE fails on a seeded fraction of calls, and counts them.
// Bundled by startNegotiator's `wrapper` option; the deployed bundle never contains it.
import { seededRandom } from '../emulator/lib/prng'

/** The part of a module Worker the soak uses; the negotiator's default export has this shape. */
export interface FetchWorker {
  fetch(request: Request, env: Record<string, unknown>, ctx: unknown): Response | Promise<Response>
}

/**
 * Handled here, never by the negotiator: GET answers the counts (KvFaultCounts); PUT
 * `{ rate, seed }` (KvFaultSettings) starts injecting and zeroes the counts, so that a fault-free
 * warm-up can come first.
 */
export const KV_FAULTS_PATH = '/_soak/kv-faults'

export interface KvFaultSettings {
  /** Share of get/put/delete calls that fail, 0–1. */
  rate: number
  seed: number
}

const OPERATIONS = ['get', 'put', 'delete'] as const
type Operation = (typeof OPERATIONS)[number]

export type KvFaultCounts = Record<Operation, { calls: number; faults: number }>

const zeroCounts = (): KvFaultCounts => ({
  get: { calls: 0, faults: 0 },
  put: { calls: 0, faults: 0 },
  delete: { calls: 0, faults: 0 },
})

// Module scope: one isolate (Miniflare runs one), so these are the run's totals.
let counts = zeroCounts()
let rate = 0
let random = seededRandom(0, 'kv')
// One wrapper per binding object: the negotiator rebuilds its runtime when TOKEN_CACHE changes.
const wrapped = new WeakMap<object, object>()

function isOperation(name: string | symbol): name is Operation {
  return (OPERATIONS as readonly (string | symbol)[]).includes(name)
}

/**
 * Forwards everything to the real namespace; get, put and delete first draw from `random` and
 * reject on a fault, as KV does on an outage or a 429 for writing a key more than once a second.
 */
function faultyKv(inner: object): object {
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      if (!isOperation(property)) return value.bind(target)
      return async (...args: unknown[]) => {
        counts[property].calls += 1
        if (random() < rate) {
          counts[property].faults += 1
          throw new Error(`KV ${property.toUpperCase()} failed: 503 (injected by the soak)`)
        }
        return value.apply(target, args)
      }
    },
  })
}

async function control(request: Request): Promise<Response> {
  if (request.method === 'PUT') {
    const settings = (await request.json()) as KvFaultSettings
    if (!(settings.rate >= 0 && settings.rate <= 1 && Number.isInteger(settings.seed)))
      return Response.json({ error: 'rate must be 0–1 and seed an integer' }, { status: 400 })
    rate = settings.rate
    random = seededRandom(settings.seed, 'kv')
    counts = zeroCounts()
  }
  return Response.json(counts)
}

export default function wrap(worker: FetchWorker): FetchWorker {
  return {
    fetch(request, env, ctx) {
      if (new URL(request.url).pathname === KV_FAULTS_PATH) return control(request)
      const kv = env.TOKEN_CACHE
      if (typeof kv !== 'object' || kv === null) return worker.fetch(request, env, ctx)
      let faulty = wrapped.get(kv)
      if (faulty === undefined) {
        faulty = faultyKv(kv)
        wrapped.set(kv, faulty)
      }
      return worker.fetch(request, { ...env, TOKEN_CACHE: faulty }, ctx)
    },
  }
}
