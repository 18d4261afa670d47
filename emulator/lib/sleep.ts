// Abortable waiting: latency and hanging faults must end when the client leaves or the emulator closes.

/** Resolves after `ms`, or as soon as one of the signals aborts (never rejects). */
export function sleep(ms: number, ...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve()
    const done = () => {
      clearTimeout(timer)
      for (const s of signals) s.removeEventListener('abort', done)
      resolve()
    }
    const timer = ms === Infinity ? undefined : setTimeout(done, ms)
    for (const s of signals) s.addEventListener('abort', done, { once: true })
  })
}
