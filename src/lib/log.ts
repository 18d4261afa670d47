// Structured JSON log lines with a request id; anything shaped like a JWT is masked as a safety net.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>
export type Logger = (level: LogLevel, event: string, fields?: LogFields) => void

/** Three base64url segments: a JWS. Callers never log tokens; this catches mistakes. */
const JWT_SHAPE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g
/** Field names whose values are never written, whatever they hold. */
const SECRET_FIELD = /secret|password|assertion|authorization|access_?token|^token$|private/i

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT_SHAPE, '[redacted-jwt]')
  if (depth > 4 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? '[redacted]' : scrub(item, depth + 1)
  }
  return out
}

export function createLogger(
  base: LogFields,
  write: (line: string) => void = (line) => console.log(line),
): Logger {
  return (level, event, fields) => {
    write(
      JSON.stringify(scrub({ level, event, ...base, ...fields, time: new Date().toISOString() })),
    )
  }
}

/** What a log line may say about a caught error: its stable code, or its name; never a message. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return 'code' in error ? String(error.code) : error.name
  return typeof error
}
