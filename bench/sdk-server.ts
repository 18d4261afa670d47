// Child process: the official-SDK negotiator as Microsoft's samples write it (node:http + @azure/web-pubsub + @azure/identity).
// Usage: NODE_EXTRA_CA_CERTS=<ca.pem> node sdk-server.mjs '<SdkServerArgs as JSON>' (run.ts compiles it
// first, so tsx's loader adds neither memory nor CPU to this contestant).
// Prints one JSON line { url } once it listens; exits when its parent closes stdin.
// NODE_EXTRA_CA_CERTS is read only at process start, hence a process of its own.
import { randomUUID } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClientSecretCredential } from '@azure/identity'
import { WebPubSubServiceClient } from '@azure/web-pubsub'
import { exitWithParent } from './children'

export interface SdkServerArgs {
  endpoint: string
  authorityHost: string
  tenantId: string
  clientId: string
  clientSecret: string
  hub: string
  /** The roles our negotiator's policy grants, so both sides ask for the same token. */
  roles: string[]
}

export interface SdkServerReady {
  url: string
}

const args = JSON.parse(process.argv[2] ?? '{}') as SdkServerArgs

// As in the samples: one credential and one service client for the process, created at start,
// so MSAL's token cache and the pipeline's bearer-token policy live as long as the server.
// The emulator is not login.microsoftonline.com, so instance discovery must be off.
const credential = new ClientSecretCredential(args.tenantId, args.clientId, args.clientSecret, {
  authorityHost: args.authorityHost,
  disableInstanceDiscovery: true,
})
const serviceClient = new WebPubSubServiceClient(args.endpoint, credential, args.hub)

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  response.end(JSON.stringify(body))
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1')
  // The cheapest answer this server can give: the HTTP floor the negotiations sit on.
  if (url.pathname === '/healthz') return sendJson(response, 200, { status: 'ok' })
  if (url.pathname !== '/negotiate') return sendJson(response, 404, { error: 'not found' })
  if ((url.searchParams.get('hub') ?? args.hub).toLowerCase() !== args.hub)
    return sendJson(response, 400, { error: 'unknown hub' })
  // The user id the caller names, trusted as Microsoft's samples trust `req.query.id`; else a fresh
  // one per negotiation, as our negotiator's anonymous mode gives.
  const userId = url.searchParams.get('userId') ?? randomUUID()
  serviceClient.getClientAccessToken({ userId, roles: args.roles }).then(
    (token) =>
      sendJson(response, 200, { baseUrl: token.baseUrl, token: token.token, url: token.url }),
    (error: unknown) => sendJson(response, 502, { error: (error as Error).message }),
  )
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  exitWithParent(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  const ready: SdkServerReady = { url: `http://127.0.0.1:${port}` }
  process.stdout.write(JSON.stringify(ready) + '\n')
})
