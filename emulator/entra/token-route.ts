// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant with a secret or a certificate.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow and
// https://learn.microsoft.com/entra/identity-platform/certificate-credentials
import type { Handler } from 'hono'
import type { AppEnv } from '../http/context'
import type { EmulatorState } from '../state'
import { WEBPUBSUB_SCOPE, issueAccessToken } from './access-token'
import { checkClientAssertion } from './assertion'
import { entraError, missingParameter, type EntraErrorSpec } from './errors'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export function tokenRoute(state: EmulatorState): Handler<AppEnv> {
  return async (c) => {
    const nowMs = state.now()
    const fail = (spec: EntraErrorSpec) => entraError(c, spec, nowMs)
    const tenant = c.req.param('tenant') ?? ''
    if (!state.tenantNames.has(tenant.toLowerCase())) return fail(tenantNotFound(tenant))

    // Only form bodies count; anything else reads as "no parameters", as OAuth requires (RFC 6749 §3.2).
    const isForm = (c.req.header('content-type') ?? '').includes(
      'application/x-www-form-urlencoded',
    )
    const form = new URLSearchParams(isForm ? await c.req.text() : '')
    // Unknown fields (MSAL telemetry such as x-client-SKU, client_info) are ignored on purpose.
    const grantType = form.get('grant_type')
    if (!grantType) return fail(missingParameter('grant_type'))
    if (grantType !== 'client_credentials') {
      return fail({
        status: 400,
        error: 'unsupported_grant_type',
        code: 70003,
        message: `The app requested an unsupported grant type '${grantType}'.`,
      })
    }
    const clientId = form.get('client_id')
    if (!clientId) return fail(missingParameter('client_id'))
    const scope = form.get('scope')
    if (!scope) return fail(missingParameter('scope'))

    const app = state.apps.get(clientId)
    if (app === undefined) {
      return fail({
        status: 400,
        error: 'unauthorized_client',
        code: 700016,
        message: `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      })
    }

    const secret = form.get('client_secret')
    const assertion = form.get('client_assertion')
    let credential: 'secret' | 'certificate'
    if (assertion) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        // Unverified: Entra's code for a wrong or missing assertion type.
        return fail({
          status: 400,
          error: 'invalid_request',
          code: 900144,
          message: `The request body must contain the following parameter: 'client_assertion_type' with the value '${JWT_BEARER}'.`,
        })
      }
      const origin = new URL(c.req.url).origin.toLowerCase()
      const audiences = new Set(
        [tenant, ...state.tenantNames].flatMap((t) => [
          `${origin}/${t.toLowerCase()}/oauth2/v2.0/token`,
          `${origin}/${t.toLowerCase()}/oauth2/token`,
        ]),
      )
      const problem = await checkClientAssertion(state, {
        app,
        assertion,
        audiences,
        nowSeconds: Math.floor(nowMs / 1000),
      })
      if (problem) return fail(problem)
      credential = 'certificate'
    } else if (secret) {
      const match = app.secrets.find((s) => s.value === secret)
      if (match === undefined) {
        return fail({
          status: 401,
          error: 'invalid_client',
          code: 7000215,
          message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        })
      }
      if (match.expired) {
        return fail({
          status: 401,
          error: 'invalid_client',
          code: 7000222,
          message: `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
        })
      }
      credential = 'secret'
    } else {
      return fail({
        status: 401,
        error: 'invalid_client',
        code: 7000218,
        message:
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      })
    }

    // Scope is checked after the client authenticated (unverified order): a wrong secret is the
    // more useful report when both are wrong.
    if (scope.split(' ').filter(Boolean).join(' ') !== WEBPUBSUB_SCOPE) {
      return fail({
        status: 400,
        error: 'invalid_scope',
        code: 70011,
        message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      })
    }

    const lifetimeSeconds = state.settings.entraTokenLifetimeSeconds
    const accessToken = await issueAccessToken(state, app, {
      nowSeconds: Math.floor(nowMs / 1000),
      lifetimeSeconds,
      credential,
    })
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
      ext_expires_in: lifetimeSeconds,
    }
    if (state.settings.entraRefreshInSeconds !== null)
      body.refresh_in = state.settings.entraRefreshInSeconds
    body.access_token = accessToken
    c.header('cache-control', 'no-store, no-cache')
    c.header('pragma', 'no-cache')
    return c.json(body, 200)
  }
}

export function tenantNotFound(tenant: string): EntraErrorSpec {
  return {
    status: 400,
    error: 'invalid_request',
    code: 90002,
    message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  }
}
