// Child-process script: gets a client access URL through the official Azure SDKs.
// Usage: NODE_EXTRA_CA_CERTS=<ca.pem> node --import tsx test/support/sdk-client-url.ts '<json args>'
// Args: { endpoint, authorityHost, tenantId, clientId, clientSecret?, certificatePem?, hub,
//         userId?, roles?, groups?, protocol?: 'default'|'mqtt'|'socketio', minutesToExpire? }
// Prints one JSON line: { baseUrl, token, url } — or { error } and exits 1.
// Runs as its own process because NODE_EXTRA_CA_CERTS is read only at process start.
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  type TokenCredential,
} from '@azure/identity'
import { WebPubSubServiceClient } from '@azure/web-pubsub'

export interface SdkClientUrlArgs {
  endpoint: string
  authorityHost: string
  tenantId: string
  clientId: string
  clientSecret?: string
  certificatePem?: string
  hub: string
  userId?: string
  roles?: string[]
  groups?: string[]
  protocol?: 'default' | 'mqtt' | 'socketio'
  minutesToExpire?: number
}

/** The one JSON line printed: the SDK's answer, or its error message. */
export type SdkClientUrlResult =
  | { baseUrl: string; token: string; url: string; error?: undefined }
  | { error: string; baseUrl?: undefined; token?: undefined; url?: undefined }

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as SdkClientUrlArgs
  // The emulator is not login.microsoftonline.com: instance discovery must be off.
  const options = { authorityHost: args.authorityHost, disableInstanceDiscovery: true }
  let credential: TokenCredential
  if (args.certificatePem !== undefined) {
    credential = new ClientCertificateCredential(
      args.tenantId,
      args.clientId,
      { certificate: args.certificatePem },
      options,
    )
  } else if (args.clientSecret !== undefined) {
    credential = new ClientSecretCredential(
      args.tenantId,
      args.clientId,
      args.clientSecret,
      options,
    )
  } else {
    throw new Error('give clientSecret or certificatePem')
  }
  // No retries: a refusal should surface at once, not after the SDK's backoff.
  const client = new WebPubSubServiceClient(args.endpoint, credential, args.hub, {
    retryOptions: { maxRetries: 0 },
  })
  const result = await client.getClientAccessToken({
    userId: args.userId,
    roles: args.roles,
    groups: args.groups,
    clientProtocol: args.protocol,
    expirationTimeInMinutes: args.minutesToExpire,
  })
  process.stdout.write(
    JSON.stringify({ baseUrl: result.baseUrl, token: result.token, url: result.url }) + '\n',
  )
}

main().catch((error: unknown) => {
  process.stdout.write(
    JSON.stringify({ error: error instanceof Error ? error.message : String(error) }) + '\n',
  )
  process.exit(1)
})
