// Polls a condition every 25 ms, for e2e tests waiting on what a client does on its own (reconnects).
export function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve()
      if (Date.now() > until) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(check, 25)
    }
    check()
  })
}
