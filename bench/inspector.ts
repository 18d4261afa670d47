// A DevTools-protocol connection to the negotiator's isolate in workerd (its V8 inspector), for heap readings and CPU profiles.
import WebSocket from 'ws'

/** Miniflare names the user Worker's isolate `core:user:<name>`; the negotiator has no name. */
const USER_WORKER_TARGET = 'core:user:'

export interface Inspector {
  /** Sends one command and resolves with its result; rejects when no answer comes in time. */
  send(method: string, params: object, timeoutMs: number): Promise<Record<string, unknown>>
  close(): void
}

/**
 * Connects to the user Worker's isolate. The debugger stays off, so the Worker runs as it would
 * without an inspector. Events (snapshot chunks and others) are dropped.
 */
export async function connectInspector(inspectorUrl: string): Promise<Inspector> {
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
  const pending = new Map<number, (result: Record<string, unknown>) => void>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> }
    if (message.id === undefined) return
    pending.get(message.id)?.(message.result ?? {})
    pending.delete(message.id)
  })
  return {
    send: (method, params, timeoutMs) =>
      new Promise((resolve, reject) => {
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
      }),
    close: () => socket.close(),
  }
}
