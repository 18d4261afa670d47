// Time and waiting as injectable dependencies, so tests control them instead of sleeping.

/** Milliseconds since the Unix epoch. On Workers it only advances across I/O. */
export type Now = () => number

/** Waits `ms` milliseconds; rejects early with the signal's reason when it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export const systemNow: Now = () => Date.now()

export const systemSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms),
    )
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
