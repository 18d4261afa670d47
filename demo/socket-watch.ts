// Tells the page when its WebSocket opens and when an open one closes, which the client does not.

export interface SocketEvents {
  /** A socket finished its handshake. */
  open(socket: WebSocket): void
  /** A socket that had opened closed (one that never opened is a failed attempt, not reported). */
  lost(socket: WebSocket): void
}

/**
 * Wraps the page's WebSocket constructor. @azure/web-pubsub-client (1.0.4, reliable protocol)
 * answers a dropped connection by trying to resume it every second for up to 30 s, and emits
 * nothing until it gives up (`disconnected`) or, after a resume, at all: its events alone would
 * show "Connected" for those 30 s. The client makes its sockets with the global `WebSocket` when
 * it connects, so a subclass installed first sees each of them; the page opens no other.
 */
export function watchWebSockets(events: SocketEvents): void {
  const Native = globalThis.WebSocket
  class WatchedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      let opened = false
      this.addEventListener('open', () => {
        opened = true
        events.open(this)
      })
      this.addEventListener('close', () => {
        if (opened) events.lost(this)
      })
    }
  }
  globalThis.WebSocket = WatchedWebSocket
}
