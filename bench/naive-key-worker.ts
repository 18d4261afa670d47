// The naive reference Worker in access-key mode: an HS256 client token signed with jose from the connection string, and nothing else.
// No caller checks, no policy, no validation: what the platform and one signature cost alone, next
// to ours in access-key mode. Bundled and run exactly as src/index.ts (negotiator-process `entry`).
import { SignJWT } from 'jose'

interface NaiveKeyEnv {
  /** `Endpoint=https://…;AccessKey=…;Version=1.0;`, as ours reads it. */
  WEBPUBSUB_CONNECTION_STRING: string
  HUB: string
  ROLES: string[]
}

// Parsed and imported once per isolate, as ours does: the reference should not pay for work a
// sensible app (and ours) does only once, or the ratio would flatter ours.
let signing: Promise<{ endpoint: string; key: CryptoKey }> | undefined

async function prepare(connectionString: string): Promise<{ endpoint: string; key: CryptoKey }> {
  const field = (name: string) => new RegExp(`(?:^|;)${name}=([^;]*)`, 'i').exec(connectionString)
  const endpoint = field('Endpoint')?.[1] ?? ''
  const accessKey = field('AccessKey')?.[1] ?? ''
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(accessKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return { endpoint: endpoint.replace(/\/$/, ''), key }
}

export default {
  async fetch(_request: Request, env: NaiveKeyEnv): Promise<Response> {
    const { endpoint, key } = await (signing ??= prepare(env.WEBPUBSUB_CONNECTION_STRING))
    const path = `client/hubs/${env.HUB}`
    // The claims @azure/web-pubsub's getClientAccessToken writes (and ours): 60 minutes.
    const token = await new SignJWT({ role: env.ROLES, 'webpubsub.group': [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(crypto.randomUUID())
      .setAudience(`${endpoint}/${path}`)
      .setIssuedAt()
      .setExpirationTime('60m')
      .sign(key)
    const baseUrl = `${endpoint.replace(/^http/, 'ws')}/${path}`
    return Response.json({ baseUrl, token, url: `${baseUrl}?access_token=${token}` })
  },
}
