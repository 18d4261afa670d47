// Step 1: the configuration as the Worker parses it (src/config.ts), each problem naming its variable.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { parseConfig, type Config, type ConfigProblem } from '../../src/config'
import type { CredentialConfig } from '../../src/entra/credential-config'
import { prepareCredential, type PreparedCredential } from '../../src/entra/credential'
import { cloudMismatch } from './clouds'
import { step, type StepResult } from './report'
import type { LoadedVariables } from './variables'

const TITLE = 'Configuration'
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** README "Configuration": the variables of kind `secret`. */
const SECRETS = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE',
  'TOKEN_CACHE_KEY',
  'WEBPUBSUB_CONNECTION_STRING',
]
const DAY_MS = 24 * 60 * 60_000
/** A certificate this close to its end is worth a warning: uploading the next one takes a change. */
const CERTIFICATE_WARNING_DAYS = 14

export interface CertificateFacts {
  /** SHA-1 of the DER in upper-case hex: the Thumbprint column of the Azure portal. */
  sha1Thumbprint: string
  subject: string
  notAfterMs: number
  keyMatchesCertificate: boolean
}

export interface ConfigOutcome {
  step: StepResult
  /** The configuration the Azure steps use: the whole one, or that of the Azure variables alone. */
  config?: Config
  credential?: PreparedCredential
  certificate?: CertificateFacts
  /** AZURE_CLIENT_SECRET has the shape of a GUID: likely the Secret ID, not the Value. */
  secretLooksLikeId: boolean
}

export function certificateFacts(
  credential: Extract<CredentialConfig, { kind: 'certificate' }>,
): CertificateFacts | undefined {
  try {
    const certificate = new X509Certificate(Buffer.from(credential.certificateDer))
    const fromKey = createPublicKey(createPrivateKey(credential.privateKeyPem))
    const spki = (key: typeof fromKey) => key.export({ type: 'spki', format: 'der' })
    return {
      sha1Thumbprint: certificate.fingerprint.replace(/:/g, '').toUpperCase(),
      subject: certificate.subject.replace(/\n/g, ', '),
      notAfterMs: Date.parse(certificate.validTo),
      keyMatchesCertificate: spki(fromKey).equals(spki(certificate.publicKey)),
    }
  } catch {
    return undefined
  }
}

/** A problem line with where the variable came from, so the operator knows which file to edit. */
function problemLine(problem: ConfigProblem, loaded: LoadedVariables): string {
  const origin = loaded.origins[problem.variable]
  return `${problem.variable}${origin === undefined ? '' : ` (from ${origin})`}: ${problem.problem}`
}

/** The Azure variables alone, with the caller settings stubbed: enough to check Azure. */
function azureOnly(vars: Record<string, unknown>): Record<string, unknown> {
  const picked = Object.fromEntries(
    Object.entries(vars).filter(
      ([name]) =>
        name.startsWith('AZURE_') || name.startsWith('WEBPUBSUB_') || name === 'TOKEN_TTL_MINUTES',
    ),
  )
  return { ...picked, AUTH_MODE: 'anonymous' }
}

export async function configStep(loaded: LoadedVariables, nowMs: number): Promise<ConfigOutcome> {
  const secret = loaded.vars.AZURE_CLIENT_SECRET
  const secretLooksLikeId = typeof secret === 'string' && GUID.test(secret.trim())
  const parsed = parseConfig(loaded.vars)
  const problems: ConfigProblem[] = parsed.ok ? [] : [...parsed.problems]
  let config: Config | undefined = parsed.ok ? parsed.config : undefined
  const details: string[] = []
  const warnings: string[] = []

  if (!parsed.ok) {
    const fallback = parseConfig(azureOnly(loaded.vars))
    if (fallback.ok) {
      config = fallback.config
      details.push(
        'The Azure checks below ran with the Azure variables alone (AZURE_*, WEBPUBSUB_*).',
      )
    }
  }

  let credential: PreparedCredential | undefined
  let certificate: CertificateFacts | undefined
  if (config?.signing === 'entra') {
    try {
      credential = await prepareCredential(config.credential)
    } catch {
      // The Worker reports the same problem (src/app.ts) and cannot sign in.
      problems.push({
        variable: 'AZURE_CLIENT_CERTIFICATE',
        problem: 'the private key could not be imported as an RSA PKCS#8 key for PS256',
      })
    }
    if (config.credential.kind === 'certificate') {
      certificate = certificateFacts(config.credential)
      if (certificate !== undefined) {
        details.push(
          `certificate ${certificate.subject}, thumbprint ${certificate.sha1Thumbprint}, ` +
            `valid until ${new Date(certificate.notAfterMs).toISOString()}`,
        )
        if (!certificate.keyMatchesCertificate) {
          problems.push({
            variable: 'AZURE_CLIENT_CERTIFICATE',
            problem:
              'the private key does not belong to the certificate: put the key and the certificate ' +
              'of one pair in it (cat key.pkcs8.pem cert.pem); Entra would refuse it (AADSTS700027)',
          })
        }
        const daysLeft = Math.floor((certificate.notAfterMs - nowMs) / DAY_MS)
        if (daysLeft < 0) {
          problems.push({
            variable: 'AZURE_CLIENT_CERTIFICATE',
            problem:
              `the certificate expired on ${new Date(certificate.notAfterMs).toISOString()}: ` +
              'create a new one and upload it (README "Azure setup", 2b)',
          })
        } else if (daysLeft < CERTIFICATE_WARNING_DAYS) {
          warnings.push(
            `AZURE_CLIENT_CERTIFICATE expires in ${daysLeft} day(s): upload the next certificate ` +
              `(az ad app credential reset --id ${config.clientId} --cert @next.pem --append) and switch before then`,
          )
        }
      }
    }
    const mismatch = cloudMismatch(config)
    if (mismatch !== undefined) warnings.push(`${mismatch.problem}. ${mismatch.fix}`)
  }
  for (const name of SECRETS) {
    if (loaded.fromToml.includes(name)) {
      warnings.push(
        `${name} is set in wrangler.toml, which is committed and shown in the dashboard: remove ` +
          `it there and store it as a secret (npx wrangler secret put ${name} --env="")`,
      )
    }
  }
  if (secretLooksLikeId) {
    warnings.push(
      'AZURE_CLIENT_SECRET has the shape of a GUID, which is what a Secret ID looks like: it ' +
        "must hold the secret's Value (Certificates & secrets → Client secrets → Value)",
    )
  }
  if (parsed.ok && parsed.config.auth.mode === 'anonymous') {
    warnings.push('AUTH_MODE=anonymous: anyone can negotiate a connection')
  }

  if (config !== undefined) {
    details.unshift(
      `${modeText(config)}; endpoint ${config.endpoint}; hubs ${config.hubs.join(', ')} ` +
        `(probed: ${config.hubs[0]})`,
    )
  }
  if (problems.length > 0) {
    const noFile = loaded.sources.some((source) => source === 'no .dev.vars')
    return {
      step: step(
        'config',
        TITLE,
        'fail',
        `${problems.length} problem(s): the Worker answers config_invalid until they are fixed`,
        {
          details: [...problems.map((p) => problemLine(p, loaded)), ...details],
          fix: [
            'Set each variable named above where it came from (a production secret: ' +
              'npx wrangler secret put <NAME> --env="").',
            ...(noFile
              ? [
                  'No .dev.vars found: copy .dev.vars.example to .dev.vars and fill it in, or ' +
                    'pass the variables in the environment or with --env-file.',
                ]
              : []),
            ...warnings,
          ].join('\n'),
          data: {
            problems: problems.map((p) => ({ ...p, from: loaded.origins[p.variable] ?? null })),
          },
        },
      ),
      config,
      credential,
      certificate,
      secretLooksLikeId,
    }
  }
  const valid = config as Config
  return {
    step: stepFor(warnings, details, valid),
    config: valid,
    credential,
    certificate,
    secretLooksLikeId,
  }
}

function modeText(config: Config): string {
  if (config.signing === 'access-key') return 'access-key mode (WEBPUBSUB_CONNECTION_STRING)'
  return `Entra mode, AZURE_CLIENT_ID ${config.clientId} with a ${config.credential.kind === 'secret' ? 'client secret' : 'certificate'}`
}

function stepFor(warnings: string[], details: string[], config: Config): StepResult {
  const summary = `valid (AUTH_MODE=${config.auth.mode})`
  if (warnings.length === 0) return step('config', TITLE, 'ok', summary, { details })
  return step('config', TITLE, 'warn', `${summary}, ${warnings.length} warning(s)`, {
    details,
    fix: warnings.join('\n'),
  })
}
