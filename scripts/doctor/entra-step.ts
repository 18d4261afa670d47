// Step 2: an Entra token the Worker's way, its non-secret claims, and the clock against Entra's.
//
// The token is requested exactly as the Worker requests it (prepareCredential +
// requestEntraToken, with its retries), only with the doctor's time limit. Its payload is decoded
// without verification to show who it is for; the token itself is never printed.
import type { EntraConfig } from '../../src/config'
import { requestEntraToken, type EntraToken } from '../../src/entra/client-credentials'
import type { PreparedCredential } from '../../src/entra/credential'
import { NegotiatorError } from '../../src/errors'
import { readClaims, type JWTClaims } from '../../src/webpubsub/token-check'
import { adviseEntraFailure } from './aadsts-advice'
import { clockStep, measureSkew } from './clock'
import { scopeResource } from './clouds'
import type { CertificateFacts } from './config-step'
import { exchangesWith, type DoctorContext } from './context'
import { step, type StepResult } from './report'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface EntraOutcome {
  steps: StepResult[]
  token?: EntraToken
  claims?: JWTClaims
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

function minutesFrom(nowMs: number, atMs: number): string {
  const minutes = Math.round((atMs - nowMs) / 60_000)
  return minutes >= 0 ? `in ${minutes} min` : `${-minutes} min ago`
}

export async function entraSteps(
  config: EntraConfig,
  credential: PreparedCredential,
  facts: { certificate?: CertificateFacts; secretLooksLikeId: boolean },
  context: DoctorContext,
): Promise<EntraOutcome> {
  const kind = credential.kind === 'secret' ? 'its client secret' : 'its certificate'
  let token: EntraToken | undefined
  let failure: unknown
  try {
    token = await requestEntraToken(config, credential, {
      fetch: context.fetch,
      now: context.now,
      sleep: context.sleep,
      deadlineMs: context.now() + context.timeoutMs,
    })
    context.redactor.add(token.accessToken)
  } catch (error) {
    failure = error
  }
  const answers = exchangesWith(context, config.tokenEndpoint)
  const last = answers.at(-1)
  const skewMs = measureSkew(last)
  const clock = clockStep(skewMs, "Entra's", credential.kind)

  if (token === undefined) {
    const tokenStep =
      failure instanceof NegotiatorError
        ? failedStep(failure, config, facts, skewMs, last?.error?.message)
        : step('entra-token', 'Entra token', 'fail', 'the token request failed unexpectedly', {
            fix: String(failure instanceof Error ? failure.message : failure),
          })
    return {
      steps: [
        tokenStep,
        step('token-claims', 'Token claims', 'skip', 'no Entra token to read'),
        clock,
      ],
    }
  }

  const claims = readClaims(token.accessToken)
  const nowMs = context.now()
  const appId = text(claims?.appid) ?? text(claims?.azp)
  const details = [
    `aud    ${text(claims?.aud) ?? '(none)'}`,
    `tid    ${text(claims?.tid) ?? '(none)'}`,
    `appid  ${appId ?? '(none)'}${claims?.azp !== undefined && claims.appid === undefined ? ' (azp)' : ''}`,
    ...(text(claims?.oid) === undefined
      ? []
      : [`oid    ${text(claims?.oid)} (the service principal's object id)`]),
    `exp    ${new Date(token.expiresAtMs).toISOString()} (${minutesFrom(nowMs, token.expiresAtMs)})`,
  ]
  const tokenStep = step(
    'entra-token',
    'Entra token',
    'ok',
    `issued to AZURE_CLIENT_ID ${config.clientId} with ${kind} (the token is not shown)`,
    {
      details,
      data: {
        credential: credential.kind,
        claims: {
          aud: claims?.aud ?? null,
          tid: claims?.tid ?? null,
          appid: appId ?? null,
          oid: claims?.oid ?? null,
          exp: Math.floor(token.expiresAtMs / 1000),
        },
      },
    },
  )
  return { steps: [tokenStep, claimsStep(config, claims), clock], token, claims }
}

function failedStep(
  error: NegotiatorError,
  config: EntraConfig,
  facts: { certificate?: CertificateFacts; secretLooksLikeId: boolean },
  skewMs: number | undefined,
  entraMessage: string | undefined,
): StepResult {
  const advice = adviseEntraFailure(error, {
    config,
    entraMessage,
    secretLooksLikeId: facts.secretLooksLikeId,
    skewMs,
    certificate: facts.certificate,
  })
  const upstream = error.upstream
  const details = [
    ...(entraMessage === undefined ? [] : [`Entra said: ${entraMessage}`]),
    ...(upstream?.traceId === undefined
      ? []
      : [`trace id ${upstream.traceId}, correlation id ${upstream.correlationId ?? '-'}`]),
  ]
  return step('entra-token', 'Entra token', 'fail', advice.summary, {
    fix: advice.fix,
    details,
    data: {
      code: error.code,
      status: upstream?.status ?? null,
      error: upstream?.code ?? null,
      aadsts: upstream?.aadsts ?? null,
      traceId: upstream?.traceId ?? null,
      correlationId: upstream?.correlationId ?? null,
    },
  })
}

const sameResource = (a: string, b: string): boolean =>
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase()

/** Tenant, audience and app of the token against AZURE_TENANT_ID, WEBPUBSUB_SCOPE, AZURE_CLIENT_ID. */
export function claimsStep(config: EntraConfig, claims: JWTClaims | undefined): StepResult {
  const title = 'Token claims'
  if (claims === undefined) {
    return step(
      'token-claims',
      title,
      'warn',
      'the token is not a JWT: its claims were not compared',
      {
        fix: 'Check that AZURE_AUTHORITY_HOST is a Microsoft Entra authority.',
      },
    )
  }
  const problems: string[] = []
  const fixes: string[] = []
  const notes: string[] = []
  const tid = text(claims.tid)
  if (tid === undefined) notes.push('tid: absent, not compared')
  else if (GUID.test(config.tenantId)) {
    if (tid.toLowerCase() === config.tenantId.toLowerCase())
      notes.push('tid matches AZURE_TENANT_ID')
    else {
      problems.push(`the token is from tenant ${tid}, not AZURE_TENANT_ID ${config.tenantId}`)
      fixes.push(
        `Set AZURE_TENANT_ID to ${tid}, or register the app in tenant ${config.tenantId}; the Web ` +
          "PubSub resource accepts tokens of its subscription's tenant only.",
      )
    }
  } else {
    notes.push(`AZURE_TENANT_ID ${config.tenantId} is a domain; its tenant id is ${tid}`)
  }

  const resource = scopeResource(config.scope)
  const aud = text(claims.aud)
  if (aud === undefined) notes.push('aud: absent, not compared')
  else if (sameResource(aud, resource)) notes.push("aud matches WEBPUBSUB_SCOPE's resource")
  else if (GUID.test(aud)) notes.push(`aud is an application id (${aud}), not compared`)
  else {
    problems.push(`the token is for ${aud}, not for WEBPUBSUB_SCOPE's resource ${resource}`)
    fixes.push(
      'Set WEBPUBSUB_SCOPE to https://webpubsub.azure.com/.default (Azure China: ' +
        'https://webpubsub.azure.cn/.default), or remove it for the default.',
    )
  }

  const appId = text(claims.appid) ?? text(claims.azp)
  if (appId !== undefined && appId.toLowerCase() !== config.clientId.toLowerCase()) {
    problems.push(`the token names app ${appId}, not AZURE_CLIENT_ID ${config.clientId}`)
    fixes.push('Check AZURE_AUTHORITY_HOST: only Entra itself should answer the token request.')
  } else if (appId !== undefined) notes.push('appid matches AZURE_CLIENT_ID')

  if (problems.length > 0) {
    return step('token-claims', title, 'fail', problems.join('; '), {
      fix: fixes.join('\n'),
      details: notes,
    })
  }
  return step('token-claims', title, 'ok', notes.join('; '))
}
