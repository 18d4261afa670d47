// Clock skew between this machine and an Azure service, read from the service's Date header.
import type { Exchange } from './context'
import { step, type StepResult } from './report'

const TITLE = 'Clock'
/** Above this a skew is worth a word: it eats into the 5-minute tolerance below. */
export const SKEW_WARN_MS = 60_000
/**
 * Entra accepts a client assertion only within its time window, with about 5 minutes of leeway
 * (Microsoft.IdentityModel's default ClockSkew); beyond that it answers AADSTS700024
 * (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
 */
export const SKEW_FAIL_MS = 5 * 60_000

/**
 * The service's clock minus ours, in ms: the Date header (RFC 9110 §6.6.1) against the middle of
 * the exchange. The header has whole seconds, so the service's time lies in [date, date + 1 s):
 * its middle is taken, leaving about ±1 s of uncertainty.
 */
export function measureSkew(exchange: Exchange | undefined): number | undefined {
  if (exchange?.date == null) return undefined
  const serviceMs = Date.parse(exchange.date)
  if (Number.isNaN(serviceMs)) return undefined
  return serviceMs + 500 - (exchange.sentAtMs + exchange.receivedAtMs) / 2
}

/** "3 s behind Entra's": which way this machine's clock is off. */
export function formatSkew(skewMs: number, service: string): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000)
  if (seconds <= 1) return `within 1 s of ${service}`
  return `${seconds} s ${skewMs > 0 ? 'behind' : 'ahead of'} ${service}`
}

export const SYNC_CLOCK =
  "Synchronise this machine's clock (Linux: timedatectl set-ntp true; macOS: sntp -sS " +
  'time.apple.com; Windows: w32tm /resync).'

export function clockStep(
  skewMs: number | undefined,
  service: "Entra's" | "Web PubSub's",
  signing: 'secret' | 'certificate' | 'access-key',
): StepResult {
  if (skewMs === undefined) {
    return step('clock', TITLE, 'skip', `${service} answer had no Date header to compare with`)
  }
  const summary = `this machine's clock is ${formatSkew(skewMs, service)} (Date header)`
  const why =
    signing === 'certificate'
      ? 'Certificate assertions are signed with this clock, and Entra refuses one outside its ' +
        'time window (about 5 minutes of leeway, AADSTS700024).'
      : signing === 'secret'
        ? 'A client secret does not depend on it, but certificate assertions do: Entra refuses one ' +
          'outside its time window (about 5 minutes of leeway, AADSTS700024).'
        : "The doctor signed its probe token by Web PubSub's clock; a token signed by a clock this " +
          'far off would not be valid yet, or expire early, at the service.'
  const data = { skewSeconds: Math.round(skewMs / 1000) }
  const worker = "The deployed Worker uses Cloudflare's clock, not this machine's."
  if (Math.abs(skewMs) > SKEW_FAIL_MS) {
    // A failure only where this run depends on it (a certificate assertion): the deployed Worker
    // does not, so with a secret or a key a token can still be issued and the doctor passes.
    return step(
      'clock',
      TITLE,
      signing === 'certificate' ? 'fail' : 'warn',
      `${summary}: more than 5 minutes`,
      {
        fix: `${SYNC_CLOCK}\n${why} ${worker}`,
        data,
      },
    )
  }
  if (Math.abs(skewMs) > SKEW_WARN_MS) {
    return step('clock', TITLE, 'warn', `${summary}: more than a minute`, {
      fix: `${SYNC_CLOCK}\n${why} ${worker}`,
      data,
    })
  }
  return step('clock', TITLE, 'ok', summary, { data })
}
