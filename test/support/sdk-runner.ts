// Runs the official Azure SDKs (test/support/sdk-client-url.ts) in a child process against a TLS emulator.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DemoApp, RunningEmulator } from '../../emulator/index'
import type { SdkClientUrlArgs, SdkClientUrlResult } from './sdk-client-url'

const run = promisify(execFile)
const SCRIPT = join(import.meta.dirname, 'sdk-client-url.ts')

/** What the SDK is asked for; the endpoint, authority, tenant and credential come from the emulator and the app. */
export type SdkRequest = Partial<Pick<SdkClientUrlArgs, 'hub'>> &
  Omit<
    SdkClientUrlArgs,
    | 'endpoint'
    | 'authorityHost'
    | 'tenantId'
    | 'clientId'
    | 'clientSecret'
    | 'certificatePem'
    | 'hub'
  >

/**
 * `WebPubSubServiceClient.getClientAccessToken` (hub `chat` unless given) with the app's secret or
 * certificate credential. A child process, because Node reads NODE_EXTRA_CA_CERTS (the emulator's
 * certificate, so the emulator needs `tls` and `tlsDir`) only at start. Resolves with the SDK's
 * answer, or `{ error }` with its message when the SDK failed.
 */
export async function sdkClientUrl(
  emulator: RunningEmulator,
  app: DemoApp,
  request: SdkRequest = {},
): Promise<SdkClientUrlResult> {
  const args: SdkClientUrlArgs = {
    endpoint: emulator.demo.endpoint,
    authorityHost: emulator.demo.authorityHost,
    tenantId: emulator.demo.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    certificatePem: app.certificatePem,
    hub: 'chat',
    ...request,
  }
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', SCRIPT, JSON.stringify(args)],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.caCertPath }, timeout: 25_000 },
    )
    return JSON.parse(stdout.trim()) as SdkClientUrlResult
  } catch (error) {
    // The script prints `{ error }` and exits 1 when the SDK throws.
    const stdout = ((error as { stdout?: string }).stdout ?? '').trim()
    if (stdout.startsWith('{')) return JSON.parse(stdout) as SdkClientUrlResult
    throw error
  }
}
