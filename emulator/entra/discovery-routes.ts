// OpenID discovery documents and the JWKS that MSAL and token verifiers fetch.
import type { Handler } from 'hono'
import type { AppEnv } from '../http/context'
import type { EmulatorState } from '../state'
import { entraIssuer } from './access-token'
import { entraError } from './errors'
import { tenantNotFound } from './token-route'

/**
 * `/{tenant}/v2.0/.well-known/openid-configuration` (v2) and `/{tenant}/.well-known/openid-configuration`
 * (v1). Endpoints use the request's own origin so that 127.0.0.1 and localhost both work, and the
 * tenant id even when the path named the tenant's domain, as Entra does.
 */
export function openidConfigurationRoute(
  state: EmulatorState,
  version: 'v1' | 'v2',
): Handler<AppEnv> {
  return (c) => {
    const tenant = c.req.param('tenant') ?? ''
    if (!state.tenantNames.has(tenant.toLowerCase())) {
      return entraError(c, tenantNotFound(tenant), state.now())
    }
    const base = `${new URL(c.req.url).origin}/${state.tenantId}`
    const v2 = version === 'v2'
    return c.json({
      token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? `${base}/v2.0` : entraIssuer(state.tenantId),
      request_uri_parameter_supported: false,
      authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
      device_authorization_endpoint: v2
        ? `${base}/oauth2/v2.0/devicecode`
        : `${base}/oauth2/devicecode`,
      end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      tenant_region_scope: 'WW',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    })
  }
}

/** The signing keys of Entra access tokens: verifiers (and the Web PubSub side) trust these. */
export function jwksRoute(state: EmulatorState): Handler<AppEnv> {
  return (c) => {
    const tenant = (c.req.param('tenant') ?? '').toLowerCase()
    if (tenant !== 'common' && !state.tenantNames.has(tenant)) {
      return entraError(c, tenantNotFound(tenant), state.now())
    }
    const { kty, n, e, kid, use } = state.entraKey.publicJwk
    return c.json({
      keys: [{ kty, use, kid, x5t: kid, n, e, issuer: entraIssuer(state.tenantId) }],
    })
  }
}
