// Memory over the soak: workerd RSS and isolate heap every 2 s, and the live heap after full collections at set points.
import { memoryMiB } from './proc'
import type { HeapReader } from './soak-heap'
import type { SoakProgress } from './soak-load'
import type { LiveHeapPoint, RssSample } from './soak-report'

const SAMPLE_EVERY_MS = 2_000

export interface MemoryMonitorOptions {
  workerdPid: number | undefined
  emulatorPid?: number
  /** The negotiator isolate's heap; absent for the reference Worker. */
  heap?: HeapReader
  progress: SoakProgress
  /** Negotiation counts at which to measure the live heap (once each, when reached). */
  liveHeapAt: number[]
  /** Also at these times since start (ms): the failover soak picks quiet moments, not counts. */
  liveHeapAtMs?: number[]
}

export interface MemoryMonitor {
  samples: RssSample[]
  liveHeap: LiveHeapPoint[]
  /** The latest workerd RSS, for the progress line. */
  latestRssMiB(): number | undefined
  /** Takes the first sample and starts the timer; times count from here. */
  start(): Promise<void>
  /** Stops the timer, then takes a last sample and a last live-heap reading. */
  stop(): Promise<void>
}

export function createMemoryMonitor(options: MemoryMonitorOptions): MemoryMonitor {
  const { progress, heap } = options
  const samples: RssSample[] = []
  const liveHeap: LiveHeapPoint[] = []
  const pendingLive = [...options.liveHeapAt].sort((a, b) => a - b)
  const pendingLiveMs = [...(options.liveHeapAtMs ?? [])].sort((a, b) => a - b)
  let startedAt = 0
  let timer: NodeJS.Timeout | undefined
  let busy: Promise<void> | undefined
  let failure: unknown

  const sample = async (): Promise<void> => {
    const tMs = performance.now() - startedAt
    const done = progress.done
    const workerd = options.workerdPid === undefined ? undefined : memoryMiB(options.workerdPid)
    if (workerd === undefined) return
    const isolate = await heap?.read()
    samples.push({
      tMs,
      done,
      workerdMiB: workerd.rss,
      heapUsedMiB: isolate?.usedMiB,
      heapTotalMiB: isolate?.totalMiB,
      emulatorMiB:
        options.emulatorPid === undefined ? undefined : memoryMiB(options.emulatorPid)?.rss,
    })
  }

  const measureLive = async (): Promise<void> => {
    if (heap === undefined) return
    const done = progress.done
    const tMs = performance.now() - startedAt
    const live = await heap.readLive()
    liveHeap.push({ tMs, done, usedMiB: live.usedMiB })
  }

  const tick = async (): Promise<void> => {
    await sample()
    if (pendingLive[0] !== undefined && progress.done >= pendingLive[0]) {
      pendingLive.shift()
      await measureLive()
    } else if (
      pendingLiveMs[0] !== undefined &&
      performance.now() - startedAt >= pendingLiveMs[0]
    ) {
      pendingLiveMs.shift()
      await measureLive()
    }
  }

  return {
    samples,
    liveHeap,
    latestRssMiB: () => samples[samples.length - 1]?.workerdMiB,
    async start() {
      startedAt = performance.now()
      await sample()
      timer = setInterval(() => {
        // A slow snapshot must not stack ticks up behind it: skip while one is under way.
        if (busy !== undefined) return
        busy = tick()
          .catch((error: unknown) => {
            failure ??= error
          })
          .finally(() => {
            busy = undefined
          })
      }, SAMPLE_EVERY_MS)
    },
    async stop() {
      clearInterval(timer)
      await busy
      if (failure !== undefined) throw failure
      await sample()
      await measureLive()
    },
  }
}
