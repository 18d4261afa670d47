// The last line of defence: whatever the doctor writes passes through here, minus secrets and tokens.
//
// The steps never put a secret or a token in their text; this catches the one that slips in
// anyway (an upstream message quoting a request, say): every secret variable's value, the
// AccessKey inside a connection string, every PEM block, every token the doctor was handed, and
// anything shaped like a JWT (access tokens, client tokens, client assertions).

/** Variables whose values are secrets (README "Configuration": kind `secret`), and any like them. */
const SECRET_NAME = /SECRET|CERTIFICATE|CONNECTION_STRING|_KEY$|PASSWORD|TOKEN$/

/** Shorter values are not replaced: they would mangle ordinary words and are no real secret. */
const MIN_SECRET_LENGTH = 8

const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g
const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g
const ACCESS_KEY = /AccessKey=([^;]+)/gi

export interface Redactor {
  /** Adds a value that must never be written (a token the doctor obtained, say). */
  add(secret: string | undefined): void
  redact(text: string): string
}

export function createRedactor(vars: Record<string, unknown>): Redactor {
  const secrets = new Set<string>()
  const add = (secret: string | undefined): void => {
    if (secret === undefined) return
    const trimmed = secret.trim()
    if (trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed)
    for (const match of trimmed.matchAll(ACCESS_KEY)) add(match[1])
    // A certificate bundle arrives with literal "\n" from dashboards: its lines count too.
    for (const line of trimmed.split(/\\n|\r?\n/)) {
      if (line !== trimmed && line.length >= 16 && !line.startsWith('-----')) secrets.add(line)
    }
  }
  for (const [name, value] of Object.entries(vars)) {
    if (SECRET_NAME.test(name) && typeof value === 'string') add(value)
  }
  return {
    add,
    redact(text) {
      let out = text.replace(PEM, '[redacted PEM]').replace(JWT, '[redacted token]')
      // Longest first, so that a secret containing another is replaced whole.
      for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
        out = out.split(secret).join('[redacted]')
      }
      return out
    },
  }
}
