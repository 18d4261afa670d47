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

/** LOG_LEVEL's values, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * Writes lines at `minLevel` and above (default info). A line below it costs one comparison:
 * it is neither scrubbed nor serialized, which matters on the per-request path, where a
 * console.log is among the dearest things a Worker does.
 */
export function createLogger(
  base: LogFields,
  write: (line: string) => void = (line) => console.log(line),
  minLevel: LogLevel = 'info',
): Logger {
  const min = SEVERITY[minLevel]
  return (level, event, fields) => {
    if (SEVERITY[level] < min) return
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
