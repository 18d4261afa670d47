// `npm run revoke`: calls the deployed negotiator's admin endpoint and says what it did.
//
// The Worker writes the revocation and closes the connections with its own credentials; this
// side needs only ADMIN_TOKEN (from the environment) and the negotiator's origin.
import { parseRevokeArgs, UsageError, USAGE, type RevokeArgs } from './args'

export interface RevokeIo {
  fetch: typeof fetch
  /** Waits between the revocation and the second sweep. */
  sleep: (ms: number) => Promise<void>
  out: (line: string) => void
  err: (line: string) => void
}

interface Connection {
  endpoint: string
  hub: string
  outcome: 'closed' | 'forbidden' | 'failed'
  status?: number
  code?: string
  detail?: string
}

interface RevocationView {
  userId: string
  hub: string | null
  revokedAt: string
  until: string
  liftedAt?: string
}

/** Each call gives up after this long: closing connections takes the Worker at most a few seconds. */
const REQUEST_TIMEOUT_MS = 30_000

class Refused extends Error {
  constructor(readonly summary: string) {
    super(summary)
  }
}

export async function runRevoke(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: RevokeIo,
): Promise<number> {
  let args: RevokeArgs | 'help'
  try {
    args = parseRevokeArgs(argv, env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.err(`revoke: ${error.message}\n\n${USAGE}`)
    return 2
  }
  if (args === 'help') {
    io.out(USAGE)
    return 0
  }
  const token = env.ADMIN_TOKEN
  if (token === undefined || token === '') {
    io.err("revoke: set ADMIN_TOKEN in the environment (the negotiator's ADMIN_TOKEN secret)")
    return 2
  }
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let response: Response
    try {
      response = await io.fetch(`${args.origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (error) {
      throw new Refused(
        `${args.origin} could not be reached (${error instanceof Error ? error.name : 'error'})`,
      )
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (response.ok && parsed !== undefined) return parsed
    const problem = (parsed ?? {}) as { code?: string; detail?: string }
    const hint =
      response.status === 404
        ? ' (is ADMIN_TOKEN set on the Worker? Without it the admin endpoint does not exist)'
        : ''
    throw new Refused(
      `the negotiator answered ${response.status}` +
        (problem.code === undefined ? '' : ` ${problem.code}`) +
        (problem.detail === undefined ? '' : `: ${problem.detail}`) +
        hint,
    )
  }

  const { command } = args
  try {
    if (command.action === 'list') {
      const listed = (await call('GET', '/admin/revocations')) as {
        revocations: RevocationView[]
        ended: RevocationView[]
      }
      if (args.json) io.out(JSON.stringify(listed, null, 2))
      else printList(io, listed)
      return 0
    }
    if (command.action === 'lift') {
      const query = new URLSearchParams({ userId: command.userId })
      if (command.hub !== undefined) query.set('hub', command.hub)
      const lifted = (await call('DELETE', `/admin/revocations?${query}`)) as {
        lifted: RevocationView[]
        stillRevoked: RevocationView[]
        appliesEverywhereWithinSeconds: number
      }
      if (args.json) io.out(JSON.stringify(lifted, null, 2))
      else printLift(io, command.userId, lifted)
      return 0
    }
    const revoked = (await call('POST', '/admin/revocations', {
      userId: command.userId,
      ...(command.hub === undefined ? {} : { hub: command.hub }),
      ...(command.forSeconds === undefined ? {} : { forSeconds: command.forSeconds }),
    })) as {
      revocation: RevocationView
      connections: Connection[]
      appliesEverywhereWithinSeconds: number
      warning?: string
    }
    if (!args.json) printRevoke(io, revoked)
    let sweep: { connections: Connection[] } | undefined
    if (command.sweep) {
      const waitSeconds = revoked.appliesEverywhereWithinSeconds
      if (!args.json) {
        io.out(
          `Waiting ${waitSeconds} s until every isolate refuses ${command.userId}, then closing ` +
            'the connections again (--no-sweep skips this)…',
        )
      }
      await io.sleep(waitSeconds * 1000)
      sweep = (await call('POST', '/admin/revocations/close-connections', {
        userId: command.userId,
        ...(command.hub === undefined ? {} : { hub: command.hub }),
      })) as { connections: Connection[] }
      if (!args.json) {
        io.out('Second sweep:')
        printConnections(io, sweep.connections)
      }
    }
    if (args.json) io.out(JSON.stringify({ ...revoked, ...(sweep && { sweep }) }, null, 2))
    const allClosed = [...revoked.connections, ...(sweep?.connections ?? [])].every(
      (c) => c.outcome === 'closed',
    )
    return allClosed ? 0 : 3
  } catch (error) {
    if (!(error instanceof Refused)) throw error
    io.err(`revoke: ${error.summary}`)
    return 1
  }
}

const where = (hub: string | null) => (hub === null ? 'every hub' : `hub ${hub}`)

function printRevoke(
  io: RevokeIo,
  revoked: {
    revocation: RevocationView
    connections: Connection[]
    appliesEverywhereWithinSeconds: number
    warning?: string
  },
) {
  const { revocation } = revoked
  io.out(
    `Revoked ${revocation.userId} on ${where(revocation.hub)} until ${revocation.until}: ` +
      `negotiations are refused everywhere within ${revoked.appliesEverywhereWithinSeconds} s.`,
  )
  if (revoked.warning !== undefined) io.out(`Warning: ${revoked.warning}`)
  io.out('Connections:')
  printConnections(io, revoked.connections)
}

function printConnections(io: RevokeIo, connections: readonly Connection[]) {
  for (const c of connections) {
    const status = c.status === undefined ? '' : ` ${c.status}`
    const detail = c.outcome === 'closed' ? '' : `${status}: ${c.detail ?? c.code ?? ''}`
    io.out(`  ${c.endpoint} ${c.hub}: ${c.outcome}${detail}`)
  }
}

function printLift(
  io: RevokeIo,
  userId: string,
  lifted: {
    lifted: RevocationView[]
    stillRevoked: RevocationView[]
    appliesEverywhereWithinSeconds: number
  },
) {
  if (lifted.lifted.length === 0) io.out(`${userId} had no active revocation to lift.`)
  for (const r of lifted.lifted) {
    io.out(
      `Lifted ${r.userId} on ${where(r.hub)}: negotiations are accepted everywhere within ` +
        `${lifted.appliesEverywhereWithinSeconds} s.`,
    )
  }
  for (const r of lifted.stillRevoked) {
    io.out(`Still revoked on ${where(r.hub)} until ${r.until} (lift it without --hub).`)
  }
}

function printList(
  io: RevokeIo,
  listed: { revocations: RevocationView[]; ended: RevocationView[] },
) {
  if (listed.revocations.length === 0) io.out('No active revocations.')
  for (const r of listed.revocations) {
    io.out(`${r.userId}  ${where(r.hub)}  since ${r.revokedAt}  until ${r.until}`)
  }
  if (listed.ended.length > 0) {
    io.out('Ended within the last day (their older client tokens are still not reused):')
    for (const r of listed.ended) {
      io.out(
        `  ${r.userId}  ${where(r.hub)}  ${r.liftedAt === undefined ? `expired ${r.until}` : `lifted ${r.liftedAt}`}`,
      )
    }
  }
}
