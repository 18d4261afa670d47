// One AbortSignal for a request: the caller's signal (any AbortSignalLike) plus a timeout.

/**
 * What `@azure/web-pubsub-client` passes as `abortSignal` (`@azure/abort-controller`'s
 * AbortSignalLike): a DOM AbortSignal or a polyfill with the same two methods.
 */
export interface AbortSignalLike {
  readonly aborted: boolean
  addEventListener(type: 'abort', listener: () => void): void
  removeEventListener(type: 'abort', listener: () => void): void
}

export interface RequestSignal {
  signal: AbortSignal
  /** Whether the timeout, rather than the caller, aborted. */
  timedOut(): boolean
  /** Clears the timer and the listener on the caller's signal. */
  dispose(): void
}

/** Why the caller's signal aborted: its `reason` when it has one, else an `AbortError`. */
export function abortReason(signal: AbortSignalLike): unknown {
  const reason = (signal as { reason?: unknown }).reason
  return reason ?? new DOMException('The negotiation was aborted.', 'AbortError')
}

export function requestSignal(
  caller: AbortSignalLike | undefined,
  timeoutMs: number,
): RequestSignal {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException('The negotiation timed out.', 'TimeoutError'))
  }, timeoutMs)
  const onAbort = () => controller.abort(caller === undefined ? undefined : abortReason(caller))
  caller?.addEventListener('abort', onAbort)
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer)
      caller?.removeEventListener('abort', onAbort)
    },
  }
}
