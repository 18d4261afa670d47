// Entra error responses in the real body shape: `AADSTSnnnn: …` plus trace ids and timestamp.
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import type { AppContext } from '../http/context'

export interface EntraErrorSpec {
  status: number
  error: string
  code: number
  message: string
}

/** `2016-01-09 02:02:12Z`: the timestamp format Entra uses in bodies and descriptions. */
export function entraTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

export function entraError(
  c: AppContext,
  spec: EntraErrorSpec,
  nowMs: number,
  extraHeaders: Record<string, string> = {},
): Response {
  const traceId = c.get('requestId')
  // Entra echoes MSAL's `client-request-id` as the correlation id (an id is made up without one).
  const correlationId = c.req.header('client-request-id') ?? crypto.randomUUID()
  const timestamp = entraTimestamp(nowMs)
  const body = {
    error: spec.error,
    error_description:
      `AADSTS${spec.code}: ${spec.message}\r\nTrace ID: ${traceId}\r\n` +
      `Correlation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [spec.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${new URL(c.req.url).origin}/error?code=${spec.code}`,
  }
  return new Response(JSON.stringify(body), {
    status: spec.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      'client-request-id': correlationId,
      ...extraHeaders,
    },
  })
}

/** A missing form field: AADSTS900144 (observed from Entra for absent required parameters). */
export function missingParameter(name: string): EntraErrorSpec {
  return {
    status: 400,
    error: 'invalid_request',
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`,
  }
}
