// Reading a caller's request body for /negotiate and /admin alike: bounded, strictly UTF-8, and
// with caller-chosen names quoted safely in the problem that refuses them.
import { NegotiatorError } from '../errors'

/** Far more than any call here needs; bounds what a request full of junk costs. */
export const MAX_BODY_BYTES = 4096

/** What is read of a request's body: Hono's c.req, or a test double. */
export interface RequestBody {
  header(name: string): string | undefined
  arrayBuffer(): Promise<ArrayBuffer>
}

/** Strict: a lenient decoder would turn bytes that are not UTF-8 into U+FFFD, silently. */
export const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export const parameterInvalid = (detail: string): NegotiatorError =>
  new NegotiatorError('parameter_invalid', { detail })

/** The Content-Type without its parameters (charset), lower-cased; '' when there is none. */
export function mediaTypeOf(request: RequestBody): string | undefined {
  return (request.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
}

/**
 * The body's bytes, refused as too large by its Content-Length before anything is read, and by
 * what was read when the length was absent or wrong.
 */
export async function readBoundedBody(request: RequestBody): Promise<ArrayBuffer> {
  const tooLarge = parameterInvalid(`The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  if (Number(request.header('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge
  const bytes = await request.arrayBuffer()
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge
  return bytes
}

/** A caller-chosen name made safe to quote in a problem detail: short, no control characters. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.slice(0, 40).replace(/[\u0000-\u001f\u007f]/g, '?')
}
