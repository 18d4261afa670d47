// The demo's status-line texts for the connection's states, kept apart so a test can import them.
import type { OnDisconnectedArgs } from '@azure/web-pubsub-client'

/** The page's connection states; the status dot's colour follows them (style.css). */
export type ConnectionState =
  'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'failed'

/** The socket closed and the client is trying to resume it: no `disconnected` event yet. */
export const CONNECTION_LOST = 'Connection lost; reconnecting…'

/**
 * The status after a `disconnected` event. The client passes the service's last `disconnected`
 * system message (`{ type: 'system', event: 'disconnected', message }`) as `e.message`, an object
 * whose `message` field holds the reason; a connection that simply dropped has none.
 */
export function disconnectedStatus(event: OnDisconnectedArgs): string {
  // Checked at run time: the message comes off the wire.
  const raw: unknown = event.message?.message
  const reason = typeof raw === 'string' ? raw.trim() : ''
  return reason ? `Disconnected: ${reason}; reconnecting…` : 'Disconnected; reconnecting…'
}
