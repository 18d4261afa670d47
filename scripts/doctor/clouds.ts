// Which Azure cloud an endpoint, a scope or an authority belongs to, so that a mix can be named.
//
// Authority hosts: Microsoft identity platform, "National clouds"
// (https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud). The Web
// PubSub scopes are the ones README "Configuration" gives (public and Azure China).

export type Cloud = 'public' | 'china' | 'usgov'

export const CLOUD_NAMES: Record<Cloud, string> = {
  public: 'public Azure',
  china: 'Azure China',
  usgov: 'Azure US Government',
}

export const AUTHORITY_HOSTS: Record<Cloud, string> = {
  public: 'https://login.microsoftonline.com',
  china: 'https://login.chinacloudapi.cn',
  usgov: 'https://login.microsoftonline.us',
}

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

export function cloudOfAuthority(authorityHost: string): Cloud | undefined {
  const host = hostOf(authorityHost)
  if (host === 'login.microsoftonline.com' || host === 'login.windows.net') return 'public'
  if (host === 'login.chinacloudapi.cn' || host === 'login.partner.microsoftonline.cn')
    return 'china'
  if (host === 'login.microsoftonline.us') return 'usgov'
  return undefined
}

export function cloudOfEndpoint(endpoint: string): Cloud | undefined {
  const host = hostOf(endpoint)
  if (host?.endsWith('.webpubsub.azure.com')) return 'public'
  if (host?.endsWith('.webpubsub.azure.cn')) return 'china'
  return undefined
}

/** The resource of a `<resource>/.default` scope, e.g. `https://webpubsub.azure.com`. */
export function scopeResource(scope: string): string {
  return scope.replace(/\/\.default$/, '')
}

export function cloudOfScope(scope: string): Cloud | undefined {
  const host = hostOf(scopeResource(scope))
  if (host === 'webpubsub.azure.com') return 'public'
  if (host === 'webpubsub.azure.cn') return 'china'
  return undefined
}

/** The variables for a cloud: what to set when the endpoint's cloud is known. */
export function cloudSettings(cloud: Cloud): string {
  switch (cloud) {
    case 'public':
      return 'leave AZURE_AUTHORITY_HOST and WEBPUBSUB_SCOPE unset (https://login.microsoftonline.com, https://webpubsub.azure.com/.default)'
    case 'china':
      return `AZURE_AUTHORITY_HOST=${AUTHORITY_HOSTS.china} and WEBPUBSUB_SCOPE=https://webpubsub.azure.cn/.default`
    case 'usgov':
      return `AZURE_AUTHORITY_HOST=${AUTHORITY_HOSTS.usgov} and that cloud's Web PubSub scope in WEBPUBSUB_SCOPE`
  }
}

/** A sentence naming the clouds that disagree, or undefined when they agree or are unknown. */
export function cloudMismatch(settings: {
  endpoint: string
  scope: string
  authorityHost: string
}): { problem: string; fix: string } | undefined {
  const endpoint = cloudOfEndpoint(settings.endpoint)
  const scope = cloudOfScope(settings.scope)
  const authority = cloudOfAuthority(settings.authorityHost)
  const named: [string, Cloud | undefined][] = [
    ['WEBPUBSUB_ENDPOINT', endpoint],
    ['WEBPUBSUB_SCOPE', scope],
    ['AZURE_AUTHORITY_HOST', authority],
  ]
  const known = named.filter((entry): entry is [string, Cloud] => entry[1] !== undefined)
  if (new Set(known.map(([, cloud]) => cloud)).size <= 1) return undefined
  const problem = known.map(([name, cloud]) => `${name} is in ${CLOUD_NAMES[cloud]}`).join(', ')
  const target = endpoint ?? authority ?? 'public'
  return {
    problem,
    fix: `For a resource in ${CLOUD_NAMES[target]}: ${cloudSettings(target)}.`,
  }
}
