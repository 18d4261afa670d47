// GET {endpoint}/api/health: whether a Web PubSub resource is up. The service answers it without
// authentication (Azure Web PubSub data-plane REST API, "Health - Get Service Status").

/** A probe runs in the background; it gets less time than a negotiation has. */
export const HEALTH_PROBE_TIMEOUT_MS = 2_000

export async function probeHealth(
  endpoint: string,
  fetch: typeof globalThis.fetch,
  timeoutMs = HEALTH_PROBE_TIMEOUT_MS,
): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/api/health`, {
      method: 'GET',
      signal: AbortSignal.timeout(timeoutMs),
    })
    // The body is never read: drop it so the connection is released.
    await response.body?.cancel()
    return response.status === 200
  } catch {
    return false
  }
}
