// One resource, probed: its health endpoint, a client token from the Auth API, or one signed with its key.
//
// The Auth API probe asks `:generateToken` for a token as a negotiation would, for a user no
// caller can have, with the shortest lifetime the service accepts (minutesToExpire ≥ 1 since
// api-version 2022-11-01: https://learn.microsoft.com/rest/api/webpubsub/dataplane/web-pub-sub/generate-client-token).
// The access-key probe signs a token as the Worker does and opens a WebSocket with it: the
// service answers 101 when it accepts the key, 401 when it does not.
import WebSocket from 'ws'
import { NegotiatorError } from '../../src/errors'
import { createAccessKeySigner } from '../../src/webpubsub/access-key'
import { buildClientUrls } from '../../src/webpubsub/client-url'
import { generateClientToken, generateTokenUrl } from '../../src/webpubsub/generate-token'
import { checkClientToken, readClaims, type JWTClaims } from '../../src/webpubsub/token-check'
import { measureSkew } from './clock'
import { exchangesWith, type DoctorContext, type Exchange } from './context'
import { roleAssignmentFix } from './role-fix'

/** The user id of the doctor's probe tokens, which are checked and dropped, never used to connect. */
export const DOCTOR_USER_ID = 'webpubsub-negotiator-doctor'
export const AUTH_API_PROBE_MINUTES = 1
/** Long enough that a second or two between signing and connecting cannot expire it. */
export const ACCESS_KEY_PROBE_MINUTES = 5

export type ProbeOutcome =
  | { ok: true; summary: string; details: string[]; status: number }
  | { ok: false; summary: string; fix: string; details: string[]; status: number | null }

/** The service's time, from its Date header, else ours: tokens are judged by the service's clock. */
function serviceNowMs(exchange: Exchange | undefined, context: DoctorContext): number {
  const skew = measureSkew(exchange)
  return context.now() + (skew ?? 0)
}

export interface HealthOutcome {
  ok: boolean
  status: number | null
  exchange?: Exchange
  error?: string
}

/** `GET /api/health`: 200 while the resource serves (no authentication). */
export async function checkHealth(
  endpoint: string,
  context: DoctorContext,
): Promise<HealthOutcome> {
  const url = `${endpoint}/api/health`
  try {
    const response = await context.fetch(url, { method: 'GET' })
    await response.body?.cancel()
    return {
      ok: response.status === 200,
      status: response.status,
      exchange: exchangesWith(context, url).at(-1),
    }
  } catch (error) {
    const timedOut =
      error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    return {
      ok: false,
      status: null,
      error: timedOut ? `no answer within ${context.timeoutMs / 1000} s` : 'could not connect',
    }
  }
}

export async function probeAuthApi(
  target: { endpoint: string; hub: string; clientId: string; claims?: JWTClaims },
  accessToken: string,
  context: DoctorContext,
): Promise<ProbeOutcome> {
  const request = {
    endpoint: target.endpoint,
    hub: target.hub,
    userId: DOCTOR_USER_ID,
    roles: [],
    groups: [],
    minutesToExpire: AUTH_API_PROBE_MINUTES,
  }
  const what = `POST ${target.endpoint}/api/hubs/${target.hub}/:generateToken for user ${DOCTOR_USER_ID}, minutesToExpire=${AUTH_API_PROBE_MINUTES}`
  const exchanges = () => exchangesWith(context, generateTokenUrl(request))
  let token: string
  try {
    token = await generateClientToken(request, {
      fetch: context.fetch,
      now: context.now,
      sleep: context.sleep,
      deadlineMs: context.now() + context.timeoutMs,
      accessToken,
    })
  } catch (error) {
    if (!(error instanceof NegotiatorError)) throw error
    const message = exchanges().at(-1)?.error?.message
    return authApiFailure(error, target, [
      what,
      ...(message === undefined ? [] : [`Web PubSub said: ${message}`]),
    ])
  }
  context.redactor.add(token)
  const answer = exchanges().at(-1)
  try {
    const life = checkClientToken(token, target.endpoint, target.hub, serviceNowMs(answer, context))
    const aud = readClaims(token)?.aud
    return {
      ok: true,
      status: answer?.status ?? 200,
      summary: `issued a client token for ${DOCTOR_USER_ID} on hub ${target.hub} (the token is not shown)`,
      details: [
        what,
        `aud ${typeof aud === 'string' ? aud : JSON.stringify(aud)}, expires ${new Date(life.expiresAtMs).toISOString()}`,
        "checked as the Worker checks it (aud names the endpoint and hub, exp ahead by Web PubSub's clock)",
      ],
    }
  } catch (error) {
    if (!(error instanceof NegotiatorError)) throw error
    return {
      ok: false,
      status: answer?.status ?? null,
      summary: error.detail,
      fix: 'Check that WEBPUBSUB_ENDPOINT is the endpoint of the Web PubSub resource (its Overview page).',
      details: [what],
    }
  }
}

function authApiFailure(
  error: NegotiatorError,
  target: { endpoint: string; hub: string; clientId: string; claims?: JWTClaims },
  details: string[],
): ProbeOutcome {
  const status = error.upstream?.status ?? null
  const fail = (summary: string, fix: string): ProbeOutcome => ({
    ok: false,
    status,
    summary,
    fix,
    details,
  })
  switch (error.code) {
    case 'webpubsub_forbidden':
      return fail(
        `403: AZURE_CLIENT_ID ${target.clientId} may not issue client tokens on ${target.endpoint}: ` +
          'it holds no role there, or only "Web PubSub Service Reader"',
        roleAssignmentFix(target.clientId, target.endpoint) +
          "\n(If the app already holds the role, a 403 can also come from the resource's network " +
          'access control: Networking → Public network access.)',
      )
    case 'webpubsub_unauthorized': {
      const aud =
        typeof target.claims?.aud === 'string' ? ` (the token's aud is ${target.claims.aud})` : ''
      const tid =
        typeof target.claims?.tid === 'string' ? ` (the token's tid is ${target.claims.tid})` : ''
      return fail(
        '401: Web PubSub refused the Entra token: it is for another resource (WEBPUBSUB_SCOPE) or ' +
          'from another tenant (AZURE_TENANT_ID)',
        [
          `Set WEBPUBSUB_SCOPE to https://webpubsub.azure.com/.default (Azure China: https://webpubsub.azure.cn/.default), or remove it${aud}.`,
          `Set AZURE_TENANT_ID to the tenant of the subscription that holds the resource${tid}: ` +
            'az account show --subscription <subscription> --query tenantId -o tsv',
        ].join('\n'),
      )
    }
    case 'webpubsub_throttled':
      return fail(
        '429: Web PubSub is throttling token requests',
        `Retry after ${error.retryAfterSeconds ?? 'a few'} seconds.`,
      )
    case 'webpubsub_unavailable':
      return fail(
        status === null
          ? `Web PubSub could not be reached at ${target.endpoint}`
          : `Web PubSub answered ${status}`,
        status === null
          ? "Check WEBPUBSUB_ENDPOINT (the resource's Overview page), DNS and the network; a resource " +
              'with public network access disabled cannot be reached from outside its virtual network.'
          : 'Retry shortly; Azure status: https://azure.status.microsoft',
      )
    default:
      if (status === 404) {
        return fail(
          `404: no Web PubSub Auth API at ${target.endpoint}`,
          'Set WEBPUBSUB_ENDPOINT to the endpoint of the Web PubSub resource (its Overview page, ' +
            'https://<name>.webpubsub.azure.com), without a path.',
        )
      }
      return fail(
        `${error.detail}`,
        `Check the hub name (WEBPUBSUB_HUBS: ${target.hub}) and WEBPUBSUB_ENDPOINT.`,
      )
  }
}

type SocketResult =
  | { kind: 'open' }
  | { kind: 'refused'; status: number; reason: string }
  | { kind: 'error'; reason: string }

/** Opens a WebSocket and closes it at once; a refused upgrade's status and first body line. */
export function openWebSocket(url: string, timeoutMs: number): Promise<SocketResult> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs })
    let settled = false
    const settle = (result: SocketResult): void => {
      if (settled) return
      settled = true
      resolve(result)
    }
    socket.on('open', () => {
      settle({ kind: 'open' })
      socket.close(1000)
    })
    socket.on('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        if (body.length < 400) body += chunk
      })
      response.on('end', () => {
        settle({
          kind: 'refused',
          status: response.statusCode ?? 0,
          reason: body.split('\n')[0] ?? '',
        })
        request.destroy()
      })
      response.on('error', () =>
        settle({ kind: 'refused', status: response.statusCode ?? 0, reason: '' }),
      )
    })
    socket.on('error', (error) => {
      const timedOut = /timed out/i.test(error.message)
      settle({
        kind: 'error',
        reason: timedOut ? `no answer within ${timeoutMs / 1000} s` : 'could not connect',
      })
    })
  })
}

export async function probeAccessKey(
  resource: { endpoint: string; accessKey: string },
  hub: string,
  health: HealthOutcome,
  context: DoctorContext,
  variable = 'WEBPUBSUB_CONNECTION_STRING',
): Promise<ProbeOutcome> {
  const signed = await createAccessKeySigner(resource.accessKey).sign(
    {
      endpoint: resource.endpoint,
      hub,
      protocol: 'default',
      userId: DOCTOR_USER_ID,
      roles: [],
      groups: [],
      minutesToExpire: ACCESS_KEY_PROBE_MINUTES,
    },
    serviceNowMs(health.exchange, context),
  )
  context.redactor.add(signed.token)
  const { baseUrl, url } = buildClientUrls(resource.endpoint, hub, 'default', signed.token)
  const details = [
    `signed a token for ${DOCTOR_USER_ID} with the key (HS256, as the Worker signs it; not shown) and connected to ${baseUrl}`,
  ]
  const result = await openWebSocket(url, context.timeoutMs)
  switch (result.kind) {
    case 'open':
      return {
        ok: true,
        status: 101,
        summary:
          'the service accepted a token signed with the key (101 Switching Protocols); connection closed',
        details,
      }
    case 'refused':
      if (result.status === 401) {
        return {
          ok: false,
          status: 401,
          summary:
            `401: the service refused a token signed with ${variable}'s key: the key was ` +
            'regenerated (rotated), or access keys are disabled on the resource (disableLocalAuth)',
          fix: [
            "Copy a current connection string from the resource's Keys page and store it: " +
              `npx wrangler secret put ${variable} --env="" (and in .dev.vars locally).`,
            'If access keys are disabled (Keys → Access Key: Disabled, disableLocalAuth = true, which ' +
              'Microsoft recommends), keys cannot work: use Entra, the recommended mode (README "Azure ' +
              `setup"): unset ${variable}, set AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET ` +
              'or AZURE_CLIENT_CERTIFICATE, and WEBPUBSUB_ENDPOINT.',
          ].join('\n'),
          details: [
            ...details,
            ...(result.reason === '' ? [] : [`Web PubSub said: ${result.reason}`]),
          ],
        }
      }
      return {
        ok: false,
        status: result.status,
        summary: `the WebSocket upgrade was answered ${result.status}`,
        fix: `Check that the endpoint of ${variable} is the resource's (its Overview page) and that hub ${hub} is valid.`,
        details: [
          ...details,
          ...(result.reason === '' ? [] : [`Web PubSub said: ${result.reason}`]),
        ],
      }
    case 'error':
      return {
        ok: false,
        status: null,
        summary: `could not open a WebSocket to ${baseUrl}: ${result.reason}`,
        fix: `Check the endpoint of ${variable}, DNS and the network.`,
        details,
      }
  }
}
