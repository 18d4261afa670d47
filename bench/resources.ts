// Everything the benchmark starts is registered here and stopped once, newest first: at the end, on error, on SIGINT.
import { rmSync } from 'node:fs'

/**
 * Miniflare's own exit hook kills workerd on SIGINT, after which Miniflare.dispose() may never
 * settle: no single stop may hold up the ones after it (the folders to remove come last).
 */
const STOP_TIMEOUT_MS = 3000
/** How long closing waits for starts under way (a workerd start takes a second or two). */
const PENDING_START_TIMEOUT_MS = 10_000

function withTimeout(promise: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([promise.then(() => {}), timeout]).finally(() => clearTimeout(timer))
}

export class Resources {
  private readonly stops = new Set<() => Promise<void>>()
  /** Synchronous last resorts, run from the process 'exit' event for whatever was not stopped. */
  private readonly atExit = new Map<() => Promise<void>, () => void>()
  /** Folders are removed again at exit: a child killed mid-start may have written into one late. */
  private readonly folders = new Set<string>()
  private readonly pending = new Set<Promise<unknown>>()
  private closing: Promise<void> | undefined
  /** Aborted when closing starts, so load loops end and starting children are killed. */
  readonly abort = new AbortController()

  constructor() {
    // Miniflare's exit hook answers SIGINT with process.exit() before any async cleanup can run
    // (it kills workerd itself); the 'exit' event is the one place left to stop the rest.
    process.on('exit', () => {
      for (const fallback of [...this.atExit.values()].reverse()) {
        try {
          fallback()
        } catch {
          // Best effort: the process is ending either way.
        }
      }
      for (const folder of this.folders) rmSync(folder, { recursive: true, force: true })
    })
  }

  /**
   * Registers a stop function, and optionally a synchronous fallback for an abrupt exit; returns
   * the stop wrapped so that stopping early unregisters it.
   */
  add(stop: () => Promise<void>, atExit?: () => void): () => Promise<void> {
    let done: Promise<void> | undefined
    const once = () => {
      this.stops.delete(once)
      this.atExit.delete(once)
      done ??= withTimeout(stop(), STOP_TIMEOUT_MS, 'a stop')
      return done
    }
    this.stops.add(once)
    if (atExit !== undefined) this.atExit.set(once, atExit)
    return once
  }

  /** A temporary folder, removed by closeAll and once more at exit. */
  addFolder(path: string, remove: (path: string) => Promise<void>): void {
    this.folders.add(path)
    this.add(() => remove(path))
  }

  /** A start under way: closing waits for it, so whatever it starts is registered and stopped. */
  track<T>(start: Promise<T>): Promise<T> {
    this.pending.add(start)
    void start.then(
      () => this.pending.delete(start),
      () => this.pending.delete(start),
    )
    return start
  }

  /** Idempotent: every caller waits for the same cleanup. */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort()
      await withTimeout(
        Promise.allSettled(this.pending),
        PENDING_START_TIMEOUT_MS,
        'a start under way',
      ).catch((error: unknown) => console.error('cleanup:', (error as Error).message))
      for (const stop of [...this.stops].reverse())
        await stop().catch((error: unknown) => console.error('cleanup:', (error as Error).message))
    })()
    return this.closing
  }
}

/**
 * Runs a bench program's `main` with one Resources, stopping every server it started on SIGINT or
 * SIGTERM, on failure and at the end, then exits (130 after a signal).
 */
export async function runWithResources(
  what: string,
  main: (resources: Resources) => Promise<void>,
): Promise<never> {
  const resources = new Resources()
  let interrupted = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (interrupted) return
      interrupted = true
      console.error(`\n${signal}: stopping every server the ${what} started`)
      // Once a Miniflare exists, its own exit hook also answers the signal: it kills workerd and
      // exits at once, and Resources' 'exit' handler stops the rest. Otherwise the run ends on its
      // own (every loop watches the abort signal) and exits below; the timer is the backstop.
      void resources.closeAll()
      setTimeout(() => process.exit(130), 15_000).unref()
    })
  try {
    await main(resources)
  } catch (error) {
    // After a signal, failures of requests to servers being stopped are expected noise.
    if (!interrupted) console.error(error)
    process.exitCode = 1
  } finally {
    await resources.closeAll()
  }
  // Idle keep-alive sockets in fetch's pool would hold the process open for seconds more.
  process.exit(interrupted ? 130 : undefined)
}
