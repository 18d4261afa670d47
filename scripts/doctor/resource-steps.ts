// Steps 3, 4 and 6: the Auth API probe, the failover resources, and access-key mode.
import type { Config, EntraConfig, WebPubSubResource } from '../../src/config'
import type { JWTClaims } from '../../src/webpubsub/token-check'
import { clockStep, measureSkew } from './clock'
import type { DoctorContext } from './context'
import { checkHealth, probeAccessKey, probeAuthApi, type ProbeOutcome } from './probes'
import { step, type StepResult } from './report'

export async function authApiStep(
  config: EntraConfig,
  accessToken: string,
  claims: JWTClaims | undefined,
  context: DoctorContext,
): Promise<{ step: StepResult; issued: boolean }> {
  const hub = config.hubs[0] ?? ''
  const probe = await probeAuthApi(
    { endpoint: config.endpoint, hub, clientId: config.clientId, claims },
    accessToken,
    context,
  )
  return { step: probeStep('auth-api', 'Auth API', probe), issued: probe.ok }
}

function probeStep(id: 'auth-api' | 'access-key', title: string, probe: ProbeOutcome): StepResult {
  if (probe.ok) {
    return step(id, title, 'ok', probe.summary, {
      details: probe.details,
      data: { status: probe.status },
    })
  }
  return step(id, title, 'fail', probe.summary, {
    fix: probe.fix,
    details: probe.details,
    data: { status: probe.status },
  })
}

/** Access-key mode: the resource is up, and it accepts a token signed with the key. */
export async function accessKeySteps(
  config: Config & { signing: 'access-key' },
  context: DoctorContext,
): Promise<{ steps: StepResult[]; issued: boolean }> {
  const hub = config.hubs[0] ?? ''
  const health = await checkHealth(config.endpoint, context)
  const clock = clockStep(measureSkew(health.exchange), "Web PubSub's", 'access-key')
  const healthLine = `GET ${config.endpoint}/api/health: ${health.status ?? health.error}`
  const probe = await probeAccessKey(
    { endpoint: config.endpoint, accessKey: config.accessKey },
    hub,
    health,
    context,
  )
  const keyStep = probeStep('access-key', 'Access key', {
    ...probe,
    details: [healthLine, ...probe.details],
  })
  return { steps: [keyStep, clock], issued: probe.ok }
}

/**
 * Every resource, primary first: its health endpoint and a probe token. A role assigned on the
 * primary only is the classic mistake: failover then meets a 403 at the worst moment.
 */
export async function failoverStep(
  config: Config,
  resources: readonly WebPubSubResource[],
  entra: { accessToken: string; claims: JWTClaims | undefined } | undefined,
  context: DoctorContext,
): Promise<StepResult> {
  const title = 'Failover resources'
  if (resources.length <= 1) {
    return step(
      'failover',
      title,
      'skip',
      'one resource only (no WEBPUBSUB_SECONDARY_ENDPOINTS / WEBPUBSUB_SECONDARY_CONNECTION_STRINGS)',
    )
  }
  if (config.signing === 'entra' && entra === undefined) {
    return step('failover', title, 'skip', 'needs an Entra token (step Entra token)')
  }
  const hub = config.hubs[0] ?? ''
  const details: string[] = []
  const fixes: string[] = []
  const results: Record<string, unknown>[] = []
  for (const [index, resource] of resources.entries()) {
    const label = `${index === 0 ? 'primary' : `secondary ${index}`} ${resource.endpoint}`
    const health = await checkHealth(resource.endpoint, context)
    let probe: ProbeOutcome
    if (config.signing === 'entra' && entra !== undefined) {
      probe = await probeAuthApi(
        { endpoint: resource.endpoint, hub, clientId: config.clientId, claims: entra.claims },
        entra.accessToken,
        context,
      )
    } else if (resource.accessKey !== undefined) {
      probe = await probeAccessKey(
        { endpoint: resource.endpoint, accessKey: resource.accessKey },
        hub,
        health,
        context,
        index === 0 ? 'WEBPUBSUB_CONNECTION_STRING' : 'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS',
      )
    } else {
      probe = {
        ok: false,
        status: null,
        summary: 'no access key for this resource',
        fix: 'Give every resource a connection string (WEBPUBSUB_SECONDARY_CONNECTION_STRINGS).',
        details: [],
      }
    }
    const mark = health.ok && probe.ok ? '✓' : '✗'
    details.push(
      `${mark} ${label}: health ${health.status ?? health.error}; ${probe.ok ? 'client token issued' : probe.summary}`,
    )
    if (!health.ok) {
      fixes.push(
        `${resource.endpoint}: GET /api/health answered ${health.status ?? health.error}; the negotiator ` +
          'will not fail over to it until it is healthy: check the resource in the Azure portal.',
      )
    }
    if (!probe.ok) fixes.push(`${resource.endpoint}:\n${probe.fix}`)
    results.push({
      endpoint: resource.endpoint,
      health: health.status,
      probe: probe.status,
      ok: health.ok && probe.ok,
    })
  }
  const failed = results.filter((result) => result.ok !== true).length
  if (failed > 0) {
    return step(
      'failover',
      title,
      'fail',
      `${failed} of ${resources.length} resources cannot issue client tokens`,
      {
        details,
        fix: fixes.join('\n'),
        data: { resources: results },
      },
    )
  }
  return step(
    'failover',
    title,
    'ok',
    `all ${resources.length} resources are healthy and issue client tokens`,
    {
      details,
      data: { resources: results },
    },
  )
}
