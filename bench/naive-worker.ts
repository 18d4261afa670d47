// The naive reference Worker: the negotiator's two upstream calls (an Entra token kept in isolate memory, then :generateToken) and nothing else.
// No caller checks, no policy, no validation, no retries, no KV: what the platform and the calls
// cost alone. The benchmark bundles and runs it exactly as src/index.ts (negotiator-process `entry`).

interface NaiveEnv {
  AZURE_TENANT_ID: string
  AZURE_CLIENT_ID: string
  AZURE_CLIENT_SECRET: string
  AZURE_AUTHORITY_HOST: string
  WEBPUBSUB_ENDPOINT: string
  HUB: string
  ROLES: string[]
}

const SCOPE = 'https://webpubsub.azure.com/.default'
/** Renewed this long before it expires, as MSAL does. */
const STALE_MARGIN_MS = 5 * 60_000

let entra: { accessToken: string; staleAtMs: number } | undefined

async function entraToken(env: NaiveEnv): Promise<string> {
  if (entra !== undefined && Date.now() < entra.staleAtMs) return entra.accessToken
  const response = await fetch(
    `${env.AZURE_AUTHORITY_HOST}/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`,
    {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: env.AZURE_CLIENT_ID,
        client_secret: env.AZURE_CLIENT_SECRET,
        scope: SCOPE,
      }),
    },
  )
  const body = (await response.json()) as { access_token: string; expires_in: number }
  entra = {
    accessToken: body.access_token,
    staleAtMs: Date.now() + body.expires_in * 1000 - STALE_MARGIN_MS,
  }
  return entra.accessToken
}

export default {
  async fetch(_request: Request, env: NaiveEnv): Promise<Response> {
    const query = new URLSearchParams({ 'api-version': '2024-12-01', userId: crypto.randomUUID() })
    for (const role of env.ROLES) query.append('role', role)
    query.append('minutesToExpire', '60')
    const response = await fetch(
      `${env.WEBPUBSUB_ENDPOINT}/api/hubs/${env.HUB}/:generateToken?${query}`,
      { method: 'POST', headers: { authorization: `Bearer ${await entraToken(env)}` } },
    )
    if (!response.ok) return new Response(await response.text(), { status: 502 })
    const { token } = (await response.json()) as { token: string }
    const baseUrl = `${env.WEBPUBSUB_ENDPOINT.replace(/^http/, 'ws')}/client/hubs/${env.HUB}`
    return Response.json({ baseUrl, token, url: `${baseUrl}?access_token=${token}` })
  },
}
