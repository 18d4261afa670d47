// `npm run doctor`: diagnoses the Azure setup the negotiator's variables describe (scripts/doctor/).
//
//   tsx scripts/doctor.ts [--env <name>] [--env-file <file>]… [--config wrangler.toml] [--json]
import { runDoctor } from './doctor/main'

process.exitCode = await runDoctor({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
})
