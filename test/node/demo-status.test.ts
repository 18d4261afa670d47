// The demo page's status line after a disconnect: the service's reason, never "[object Object]".
import type { OnDisconnectedArgs } from '@azure/web-pubsub-client'
import { describe, expect, it } from 'vitest'
import { disconnectedStatus } from '../../demo/status'

/** What @azure/web-pubsub-client passes to `disconnected` after the service's system message. */
function withReason(message: string): OnDisconnectedArgs {
  return { connectionId: 'c1', message: { kind: 'disconnected', message } }
}

describe('demo/status', () => {
  it('shows the reason the service gave in its disconnected message', () => {
    expect(disconnectedStatus(withReason('Closed by the server.'))).toBe(
      'Disconnected: Closed by the server.; reconnecting…',
    )
  })

  it('says only "Disconnected" when the connection dropped without a message', () => {
    expect(disconnectedStatus({ connectionId: 'c1' })).toBe('Disconnected; reconnecting…')
    expect(disconnectedStatus({})).toBe('Disconnected; reconnecting…')
    expect(disconnectedStatus(withReason('  '))).toBe('Disconnected; reconnecting…')
  })

  it('ignores a reason that is not text', () => {
    const odd = { message: { kind: 'disconnected', message: { code: 1 } } } as unknown
    expect(disconnectedStatus(odd as OnDisconnectedArgs)).toBe('Disconnected; reconnecting…')
  })
})
