// The fuzz oracle's list of public error codes, kept equal to src/errors.ts's ErrorCode union.
import type { ErrorCode } from '../../src/errors'

/**
 * A Record over the union, so that adding, renaming or removing a code in src/errors.ts breaks the
 * typecheck here (a missing key, or an unknown one) until this list follows.
 */
const CODES: Record<ErrorCode, true> = {
  config_invalid: true,
  not_found: true,
  method_not_allowed: true,
  parameter_invalid: true,
  parameter_not_allowed: true,
  hub_not_allowed: true,
  group_not_allowed: true,
  protocol_invalid: true,
  caller_unauthenticated: true,
  caller_claims_unusable: true,
  caller_verification_unavailable: true,
  caller_revoked: true,
  rate_limited: true,
  entra_credentials_rejected: true,
  entra_app_or_tenant_not_found: true,
  entra_scope_invalid: true,
  entra_assertion_invalid: true,
  entra_federation_rejected: true,
  entra_request_rejected: true,
  entra_throttled: true,
  entra_unavailable: true,
  entra_unexpected_response: true,
  webpubsub_unauthorized: true,
  webpubsub_forbidden: true,
  webpubsub_request_rejected: true,
  webpubsub_throttled: true,
  webpubsub_unavailable: true,
  webpubsub_unexpected_response: true,
  admin_unauthenticated: true,
  revocation_unavailable: true,
  internal_error: true,
}

export const ERROR_CODES: readonly ErrorCode[] = Object.keys(CODES) as ErrorCode[]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value)
}

/** The string literals of `export type ErrorCode = 'a' | 'b' …` in the text of src/errors.ts. */
export function errorCodesInSource(source: string): string[] {
  const union = /export type ErrorCode\s*=([\s\S]*?)\n\s*\n/.exec(source)?.[1]
  if (union === undefined) throw new Error('no "export type ErrorCode =" union in src/errors.ts')
  const withoutComments = union.replace(/\/\/.*$/gm, '')
  return [...withoutComments.matchAll(/'([^']+)'/g)].map((match) => match[1] ?? '')
}
