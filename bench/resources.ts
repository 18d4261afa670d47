// Everything the benchmark starts is registered here and stopped once, newest first: at the end, on error, on SIGINT.

export class Resources {
  private readonly stops = new Set<() => Promise<void>>()
  /** Aborted when closing starts, so load loops end instead of hitting stopped servers. */
  readonly abort = new AbortController()

  /** Registers a stop function; returns it wrapped so that stopping early unregisters it. */
  add(stop: () => Promise<void>): () => Promise<void> {
    let done: Promise<void> | undefined
    const once = () => {
      this.stops.delete(once)
      done ??= stop()
      return done
    }
    this.stops.add(once)
    return once
  }

  async closeAll(): Promise<void> {
    this.abort.abort()
    for (const stop of [...this.stops].reverse())
      await stop().catch((error: unknown) => console.error('cleanup:', error))
  }
}
