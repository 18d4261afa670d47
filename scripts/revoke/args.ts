// The revoke command line: who, where, for how long, and which negotiator; never the credential.
import { parseArgs } from 'node:util'

/** The negotiator's own limit (src/caller/revocations.ts MAX_REVOCATION_SECONDS): 30 days. */
export const MAX_SECONDS = 30 * 24 * 60 * 60

export type RevokeCommand =
  | { action: 'revoke'; userId: string; hub?: string; forSeconds?: number; sweep: boolean }
  | { action: 'lift'; userId: string; hub?: string }
  | { action: 'list' }

export interface RevokeArgs {
  command: RevokeCommand
  /** The negotiator's origin, without a trailing slash. */
  origin: string
  json: boolean
}

export const USAGE = `Usage:
  npm run revoke -- --user <id> [--hub <hub>] [--for <duration>] [--no-sweep]
  npm run revoke -- --user <id> [--hub <hub>] --lift
  npm run revoke -- --list
Options for all: [--url <negotiator origin>] [--json]

Revokes a user on the deployed negotiator through its admin endpoint: their negotiations are
refused (403 caller_revoked) everywhere within 60 s, their reused client tokens are dropped, and
their connections are closed on every Web PubSub resource and hub (or the one --hub). After 60 s
the connections are closed once more, for a client that reconnected through an isolate that had
not yet learnt of it (--no-sweep skips that wait).

  --user <id>       the user id, as /negotiate hands it out
  --hub <hub>       one hub only (default: every hub)
  --for <duration>  30m, 24h, 7d, 90s or plain seconds; at most 30d (default 24h)
  --lift            lift the user's revocations instead (with --hub: that hub's only)
  --list            list the active revocations and those ended within a day
  --url <origin>    the negotiator, e.g. https://negotiator.example.com (or NEGOTIATOR_URL)
  --json            print the answers as JSON
  --help            print this help

The credential comes only from the ADMIN_TOKEN environment variable, never from a flag: the
arguments of a process are visible to every user of the machine.

Exit code: 0 done; 1 the negotiator refused or could not be reached; 2 usage error; 3 revoked,
but some connections could not be closed (the answer says why).
`

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/**
 * `30m`, `24h`, `7d`, `90s` or plain seconds, as whole numbers of a unit; the seconds, from 1 to
 * 30 days. Anything else (a fraction, a sign, a space, another unit) is refused, never guessed at.
 */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text)
  if (match === null) {
    throw new UsageError(
      `--for "${text.slice(0, 20)}" is not a duration: use e.g. 30m, 24h, 7d or seconds`,
    )
  }
  const seconds = Number(match[1]) * UNITS[match[2] || 's']!
  if (seconds < 1 || seconds > MAX_SECONDS) {
    throw new UsageError(`--for must lie between 1 second and 30 days (30d)`)
  }
  return seconds
}

/**
 * The negotiator's origin: https, or http only for this machine (the admin credential must not
 * cross a network in the clear).
 */
export function parseOrigin(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(
      `--url "${text.slice(0, 60)}" is not a URL such as https://negotiator.example.com`,
    )
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError('--url must use https (http only for 127.0.0.1 and localhost)')
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--url must not hold credentials; put ADMIN_TOKEN in the environment')
  }
  return url.origin
}

export function parseRevokeArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RevokeArgs | 'help' {
  if (
    argv.some((arg) => arg === '--token' || arg.startsWith('--token=') || arg === '--admin-token')
  ) {
    throw new UsageError(
      'the admin credential is read from the ADMIN_TOKEN environment variable only: a flag would ' +
        'be visible to other users in the process list',
    )
  }
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        user: { type: 'string' },
        hub: { type: 'string' },
        for: { type: 'string' },
        lift: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        'no-sweep': { type: 'boolean', default: false },
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  if (values.help) return 'help'
  const urlText = values.url ?? env.NEGOTIATOR_URL
  if (urlText === undefined || urlText === '') {
    throw new UsageError('say which negotiator: --url <origin> or NEGOTIATOR_URL')
  }
  const origin = parseOrigin(urlText)
  const json = values.json ?? false
  if (values.list) {
    if (
      values.user !== undefined ||
      values.lift ||
      values.for !== undefined ||
      values.hub !== undefined
    ) {
      throw new UsageError('--list takes no --user, --hub, --for or --lift')
    }
    return { command: { action: 'list' }, origin, json }
  }
  const userId = values.user
  if (userId === undefined || userId === '') throw new UsageError('--user <id> is required')
  const hub = values.hub === undefined || values.hub === '' ? undefined : values.hub
  if (values.lift) {
    if (values.for !== undefined) throw new UsageError('--lift takes no --for')
    return { command: { action: 'lift', userId, ...(hub && { hub }) }, origin, json }
  }
  return {
    command: {
      action: 'revoke',
      userId,
      ...(hub && { hub }),
      ...(values.for !== undefined && { forSeconds: parseDuration(values.for) }),
      sweep: !values['no-sweep'],
    },
    origin,
    json,
  }
}
