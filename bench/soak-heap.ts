// Reads the negotiator isolate's V8 heap through workerd's inspector: a leak in the Worker's own code shows there.
import WebSocket from 'ws'

/** Miniflare names the user Worker's isolate `core:user:<name>`; the negotiator has no name. */
const USER_WORKER_TARGET = 'core:user:'
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
 * Connects to the negotiator's isolate. The debugger stays off, so the Worker runs as it would
 * without an inspector. workerd leaves `HeapProfiler.collectGarbage` unanswered, hence the heap
 * snapshot in readLive.
 */
export async function connectHeapReader(inspectorUrl: string): Promise<HeapReader> {
  const base = new URL(inspectorUrl)
  const targets = (await (await fetch(`http://${base.host}/json`)).json()) as {
    id: string
    webSocketDebuggerUrl: string
  }[]
  const target = targets.find((t) => t.id === USER_WORKER_TARGET)
  if (target === undefined)
    throw new Error(`no ${USER_WORKER_TARGET} target among ${targets.map((t) => t.id).join(', ')}`)
  const socket = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  let nextId = 0
  const pending = new Map<number, (result: Record<string, number>) => void>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, number> }
    // Snapshot chunks (HeapProfiler.addHeapSnapshotChunk) and other events are dropped.
    if (message.id === undefined) return
    pending.get(message.id)?.(message.result ?? {})
    pending.delete(message.id)
  })
  const send = (method: string, params: object, timeoutMs: number) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const id = (nextId += 1)
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`the inspector did not answer ${method}`))
      }, timeoutMs)
      pending.set(id, (result) => {
        clearTimeout(timer)
        resolve(result)
      })
      socket.send(JSON.stringify({ id, method, params }))
    })
  const read = async (): Promise<HeapUsage> => {
    const result = await send('Runtime.getHeapUsage', {}, ANSWER_TIMEOUT_MS)
    return {
      usedMiB: (result.usedSize ?? Number.NaN) / 2 ** 20,
      totalMiB: (result.totalSize ?? Number.NaN) / 2 ** 20,
    }
  }
  return {
    read,
    async readLive() {
      await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, SNAPSHOT_TIMEOUT_MS)
      return read()
    },
    close: () => socket.close(),
  }
}
