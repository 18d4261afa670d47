// Reads the negotiator isolate's V8 heap through workerd's inspector: a leak in the Worker's own code shows there.
import { connectInspector } from './inspector'

const ANSWER_TIMEOUT_MS = 5_000
/** A snapshot of a heap of some tens of MiB takes a second or two on a busy machine. */
const SNAPSHOT_TIMEOUT_MS = 60_000

export interface HeapUsage {
  /** V8 heap in use (live objects and garbage not yet collected). */
  usedMiB: number
  /** V8 heap reserved. */
  totalMiB: number
}

export interface HeapReader {
  read(): Promise<HeapUsage>
  /**
   * The heap after a full collection: V8 collects all garbage before it takes a heap snapshot
   * (the snapshot itself is discarded). Stalls the isolate for about a second.
   */
  readLive(): Promise<HeapUsage>
  close(): void
}

/**
 * Reads the negotiator's isolate through its inspector. workerd leaves
 * `HeapProfiler.collectGarbage` unanswered, hence the heap snapshot in readLive.
 */
export async function connectHeapReader(inspectorUrl: string): Promise<HeapReader> {
  const inspector = await connectInspector(inspectorUrl)
  const read = async (): Promise<HeapUsage> => {
    const result = (await inspector.send('Runtime.getHeapUsage', {}, ANSWER_TIMEOUT_MS)) as Record<
      string,
      number
    >
    return {
      usedMiB: (result.usedSize ?? Number.NaN) / 2 ** 20,
      totalMiB: (result.totalSize ?? Number.NaN) / 2 ** 20,
    }
  }
  return {
    read,
    async readLive() {
      await inspector.send(
        'HeapProfiler.takeHeapSnapshot',
        { reportProgress: false },
        SNAPSHOT_TIMEOUT_MS,
      )
      return read()
    },
    close: () => inspector.close(),
  }
}
