// Who is calling: the verified identity per AUTH_MODE, never what the caller claims to be.
import type { AuthConfig } from './auth-config'
import { unauthenticated, type JwtVerifier } from './jwt'
import type { Identity } from './policy'

export interface CallerRequest {
  header(name: string): string | undefined
}

/**
 * The first cookie of that name (RFC 6265 §5.4 leaves duplicates to the server). Anything a client
 * can put in the header yields a value, undefined, or a 401 — never another error.
 */
function cookie(request: CallerRequest, name: string): string | undefined {
  const header = request.header('cookie')
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue
    let value = part.slice(separator + 1).trim()
    // RFC 6265 §4.1.1: a cookie-value may be wrapped in double quotes.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    try {
      return decodeURIComponent(value)
    } catch {
      throw unauthenticated(`The ${name} cookie is not valid percent-encoding.`)
    }
  }
  return undefined
}

function bearer(request: CallerRequest): string | undefined {
  const header = request.header('authorization')
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header)
  // A malformed Authorization header is an invalid credential, not a missing one.
  if (match === null) throw unauthenticated('The Authorization header must be "Bearer <token>".')
  return match[1]
}

/** Where each mode finds its token; Cloudflare Access also sets the CF_Authorization cookie. */
function tokenOf(auth: AuthConfig, request: CallerRequest): string | undefined {
  switch (auth.mode) {
    case 'anonymous':
      return undefined
    case 'jwt':
      return (
        bearer(request) ??
        (auth.cookieName === undefined ? undefined : cookie(request, auth.cookieName))
      )
    case 'cloudflare-access':
      return request.header('cf-access-jwt-assertion') ?? cookie(request, 'CF_Authorization')
  }
}

export async function identifyCaller(
  auth: AuthConfig,
  verifier: JwtVerifier | undefined,
  request: CallerRequest,
): Promise<Identity> {
  if (auth.mode === 'anonymous') {
    // A fresh random id per negotiation: anonymous callers share nothing, not even a user id.
    const userId = crypto.randomUUID()
    return { userId, claims: { sub: userId } }
  }
  const token = tokenOf(auth, request)
  if (token === undefined || token === '') {
    // RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
    throw unauthenticated(
      auth.mode === 'jwt'
        ? 'A bearer token is required (Authorization: Bearer <token>).'
        : 'The Cf-Access-Jwt-Assertion header is missing: put this Worker behind Cloudflare Access.',
      null,
    )
  }
  if (verifier === undefined) throw new Error('caller verifier missing for a verifying mode')
  return verifier.verify(token)
}
