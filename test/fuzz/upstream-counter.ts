// An outbound fetch for the app that counts calls by upstream: Entra, the Auth API, the caller's issuer.
export type UpstreamKind = 'entraToken' | 'authApi' | 'issuerKeys' | 'other'

export type UpstreamCounts = Record<UpstreamKind, number>

export interface UpstreamCounter {
  /** Pass to createHarness({ fetch }). */
  fetch: typeof fetch
  /** Calls so far, by kind. */
  snapshot(): UpstreamCounts
  /** URLs of calls classified `other`, for the failure message. */
  readonly otherUrls: string[]
}

export const zeroCounts = (): UpstreamCounts => ({
  entraToken: 0,
  authApi: 0,
  issuerKeys: 0,
  other: 0,
})

export function difference(after: UpstreamCounts, before: UpstreamCounts): UpstreamCounts {
  return {
    entraToken: after.entraToken - before.entraToken,
    authApi: after.authApi - before.authApi,
    issuerKeys: after.issuerKeys - before.issuerKeys,
    other: after.other - before.other,
  }
}

/** Entra's token endpoint, Web PubSub's `:generateToken`, and OpenID discovery / JWKS / Access certs. */
export function classify(url: string): UpstreamKind {
  const { pathname } = new URL(url)
  if (pathname.endsWith('/oauth2/v2.0/token')) return 'entraToken'
  if (pathname.endsWith(':generateToken')) return 'authApi'
  if (
    pathname.endsWith('/.well-known/openid-configuration') ||
    pathname.endsWith('/jwks') ||
    pathname.endsWith('/cdn-cgi/access/certs')
  ) {
    return 'issuerKeys'
  }
  return 'other'
}

export function createUpstreamCounter(): UpstreamCounter {
  const counts = zeroCounts()
  const otherUrls: string[] = []
  return {
    otherUrls,
    snapshot: () => ({ ...counts }),
    fetch: (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      const kind = classify(url)
      counts[kind] += 1
      if (kind === 'other') otherUrls.push(url)
      // Wrapped: a detached global fetch is an illegal invocation on Workers.
      return fetch(input, init)
    },
  }
}
