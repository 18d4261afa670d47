// `npm run revoke`: revokes a user on the deployed negotiator (scripts/revoke/), or lifts or lists.
//
//   ADMIN_TOKEN=… tsx scripts/revoke.ts --user <id> [--hub <hub>] [--for 24h] [--lift] [--list] [--url <origin>]
import { runRevoke } from './revoke/main'

process.exitCode = await runRevoke(process.argv.slice(2), process.env, {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
})
