// What an Entra refusal means for this setup and exactly how to fix it, by AADSTS number.
//
// The Worker's own classification (src/entra/aadsts.ts) picks the family; the doctor, which talks
// to an operator at a terminal rather than to a client, names the variable, the portal page and
// the command. Numbers and meanings: Microsoft Entra authentication and authorization error codes
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
import type { EntraConfig } from '../../src/config'
import type { NegotiatorError } from '../../src/errors'
import { SYNC_CLOCK, formatSkew } from './clock'
import { AUTHORITY_HOSTS, cloudMismatch, scopeResource } from './clouds'

export interface EntraAdviceContext {
  config: EntraConfig
  /** The first line of Entra's error_description, when it sent one. */
  entraMessage?: string
  /** AZURE_CLIENT_SECRET has the shape of a GUID, which is what a Secret ID looks like. */
  secretLooksLikeId: boolean
  /** Entra's clock minus this machine's, when measured. */
  skewMs?: number
  certificate?: { sha1Thumbprint: string; keyMatchesCertificate: boolean }
}

export interface Advice {
  summary: string
  fix: string
}

const NEW_SECRET = (clientId: string): string =>
  `az ad app credential reset --id ${clientId} --append --display-name negotiator --years 1 --query password -o tsv`
const STORE_SECRET =
  'store the printed value with `npx wrangler secret put AZURE_CLIENT_SECRET --env=""` ' +
  '(production) and in .dev.vars (local)'

/** Azure China and US Government: what to set, for the scope and tenant families. */
const SOVEREIGN =
  `Azure China: AZURE_AUTHORITY_HOST=${AUTHORITY_HOSTS.china} and ` +
  'WEBPUBSUB_SCOPE=https://webpubsub.azure.cn/.default; Azure US Government: ' +
  `AZURE_AUTHORITY_HOST=${AUTHORITY_HOSTS.usgov} with that cloud's Web PubSub scope; public ` +
  'Azure: leave both unset.'

function scopeAdvice(number: number | undefined, ctx: EntraAdviceContext): Advice {
  const { config } = ctx
  const mismatch = cloudMismatch(config)
  return {
    summary:
      `Entra does not accept WEBPUBSUB_SCOPE ${config.scope}` +
      `${number === undefined ? '' : ` (AADSTS${number})`}: no resource ${scopeResource(config.scope)} ` +
      `in this cloud (AZURE_AUTHORITY_HOST ${config.authorityHost}), or not a valid scope`,
    fix: [
      'Set WEBPUBSUB_SCOPE to the Web PubSub resource of your cloud followed by /.default, or ' +
        'remove it for the default https://webpubsub.azure.com/.default (client credentials take ' +
        'no other scope).',
      ...(mismatch === undefined
        ? []
        : [`The settings mix clouds: ${mismatch.problem}. ${mismatch.fix}`]),
      SOVEREIGN,
    ].join('\n'),
  }
}

function tenantAdvice(number: number, ctx: EntraAdviceContext): Advice {
  return {
    summary: `Entra does not know tenant AZURE_TENANT_ID ${ctx.config.tenantId} (AADSTS${number})`,
    fix: [
      'Set AZURE_TENANT_ID to the Directory (tenant) ID from the Overview page of Microsoft Entra ID ' +
        '(`az account show --query tenantId -o tsv`), or a verified domain of that tenant.',
      `A tenant of another cloud is unknown here (AZURE_AUTHORITY_HOST ${ctx.config.authorityHost}): ${SOVEREIGN}`,
    ].join('\n'),
  }
}

export function adviseEntraFailure(error: NegotiatorError, ctx: EntraAdviceContext): Advice {
  const { config } = ctx
  const number = error.upstream?.aadsts
  const id = config.clientId
  switch (number) {
    case 7000215:
      return {
        summary:
          'Entra rejected the client secret (AADSTS7000215, invalid client secret)' +
          (ctx.secretLooksLikeId
            ? ': AZURE_CLIENT_SECRET has the shape of a GUID, which is what a Secret ID looks like'
            : ''),
        fix: [
          "AZURE_CLIENT_SECRET must hold the secret's Value, not its Secret ID: Azure portal → App " +
            'registrations → the app → Certificates & secrets → Client secrets, the Value column ' +
            '(shown in full only right after the secret is created).',
          `Otherwise the secret is wrong: it belongs to another app than AZURE_CLIENT_ID ${id}, or ` +
            'was deleted. Create a new one and use its value:',
          `  ${NEW_SECRET(id)}`,
          `then ${STORE_SECRET}.`,
        ].join('\n'),
      }
    case 7000222:
      return {
        summary: `The client secret of AZURE_CLIENT_ID ${id} has expired (AADSTS7000222)`,
        fix: [
          'Create a new secret and use its value:',
          `  ${NEW_SECRET(id)}`,
          `then ${STORE_SECRET}; delete the expired one afterwards ` +
            `(az ad app credential list --id ${id}; az ad app credential delete --id ${id} --key-id <keyId>).`,
          'A certificate (AZURE_CLIENT_CERTIFICATE, README "Why not a managed identity") is never sent ' +
            'to Entra and is the better credential.',
        ].join('\n'),
      }
    case 700027: {
      const cert = ctx.certificate
      return {
        summary:
          'Entra could not verify the certificate assertion (AADSTS700027): the certificate in ' +
          `AZURE_CLIENT_CERTIFICATE is not registered on AZURE_CLIENT_ID ${id}` +
          (cert?.keyMatchesCertificate === false
            ? ', and its private key does not belong to it'
            : ''),
        fix: [
          'Upload the certificate (the public part only) to the app registration:',
          `  az ad app credential reset --id ${id} --cert @cert.pem --append`,
          '(or Azure portal → App registrations → the app → Certificates & secrets → Certificates → ' +
            'Upload certificate).',
          ...(cert === undefined
            ? []
            : [
                `The portal lists certificates by thumbprint; this one's is ${cert.sha1Thumbprint}.`,
                cert.keyMatchesCertificate
                  ? 'The private key belongs to the certificate (checked here).'
                  : 'The private key does NOT belong to the certificate: put the key and the certificate ' +
                    'of one pair in AZURE_CLIENT_CERTIFICATE (cat key.pkcs8.pem cert.pem).',
              ]),
        ].join('\n'),
      }
    }
    case 700024:
      return {
        summary:
          'Entra refused the certificate assertion as outside its valid time window (AADSTS700024): ' +
          (ctx.skewMs === undefined
            ? "this machine's clock is probably off"
            : `this machine's clock is ${formatSkew(ctx.skewMs, "Entra's")}`),
        fix: [
          "The assertion's nbf, iat and exp come from this machine's clock. " + SYNC_CLOCK,
          "A deployed Worker signs with Cloudflare's clock and is not affected by this machine's.",
        ].join('\n'),
      }
    case 700016:
      return {
        summary: `No application AZURE_CLIENT_ID ${id} in tenant AZURE_TENANT_ID ${config.tenantId} (AADSTS700016)`,
        fix: [
          "Set AZURE_CLIENT_ID to the Application (client) ID from the app registration's Overview " +
            "page (not its Object ID, nor the enterprise application's), and AZURE_TENANT_ID to the " +
            'tenant the app is registered in (az ad app show --id <client id> --query appId, signed in to that tenant).',
          'A deleted app registration can be restored from App registrations → Deleted applications.',
          `An app of another cloud is unknown here (AZURE_AUTHORITY_HOST ${config.authorityHost}): ${SOVEREIGN}`,
        ].join('\n'),
      }
    case 90002:
    case 900023:
      return tenantAdvice(number, ctx)
    case 7000229:
      return {
        summary: `AZURE_CLIENT_ID ${id} has no service principal in tenant ${config.tenantId} (AADSTS7000229)`,
        fix: `Create it: az ad sp create --id ${id}`,
      }
    case 7000112:
      return {
        summary: `The application AZURE_CLIENT_ID ${id} is disabled (AADSTS7000112)`,
        fix:
          'Enable it: Azure portal → Enterprise applications → the app → Properties → "Enabled for ' +
          `users to sign-in?" Yes (az ad sp update --id ${id} --set accountEnabled=true).`,
      }
    case 53003:
      return {
        summary: 'A Conditional Access policy blocked the token request (AADSTS53003)',
        fix:
          'Ask your Entra administrator to let this app sign in (Conditional Access for workload ' +
          "identities), from this machine's network and from Cloudflare's.",
      }
    case 70011:
    case 50001:
    case 500011:
    case 500001:
      return scopeAdvice(number, ctx)
    case 70021:
      return {
        summary: 'No federated credential matches the assertion (AADSTS70021)',
        fix: 'Check the issuer, subject and audience of the federated credential on the app registration.',
      }
    default:
      break
  }
  const said = ctx.entraMessage === undefined ? '' : `\nEntra said: ${ctx.entraMessage}`
  switch (error.code) {
    case 'entra_scope_invalid':
      return scopeAdvice(number, ctx)
    case 'entra_credentials_rejected':
      return {
        summary: `Entra rejected the app's credential${number === undefined ? '' : ` (AADSTS${number})`}`,
        fix:
          `Check AZURE_CLIENT_ID ${id} and its ${config.credential.kind === 'secret' ? 'secret (AZURE_CLIENT_SECRET, the Value column)' : 'certificate (AZURE_CLIENT_CERTIFICATE, uploaded to the app)'}.` +
          said,
      }
    case 'entra_app_or_tenant_not_found':
      return tenantAdvice(number ?? 90002, ctx)
    case 'entra_unavailable':
      return {
        summary: `Entra did not answer in time or could not be reached (${config.tokenEndpoint})`,
        fix:
          `Check AZURE_AUTHORITY_HOST (${config.authorityHost}) and this machine's network; ` +
          'if Entra answered 5xx, retry shortly.' +
          said,
      }
    case 'entra_throttled':
      return {
        summary: 'Entra is throttling token requests (429)',
        fix: `Retry after ${error.retryAfterSeconds ?? 'a few'} seconds.`,
      }
    case 'entra_unexpected_response':
      return {
        summary: `${config.tokenEndpoint} did not answer as Entra does`,
        fix: `Set AZURE_AUTHORITY_HOST to a Microsoft Entra authority (public Azure: ${AUTHORITY_HOSTS.public}). ${SOVEREIGN}`,
      }
    default:
      return {
        summary: `Entra refused the token request${number === undefined ? '' : ` (AADSTS${number})`}`,
        fix:
          `${error.detail} See https://login.microsoftonline.com/error?code=${number ?? ''}` + said,
      }
  }
}
