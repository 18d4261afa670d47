// The end-to-end stack of the Node-side suites: one emulator and the real negotiator (workerd) wired to it.
import { fileURLToPath } from 'node:url'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/index'
import { accessKeyVars, emulatorVars } from './emulator-vars'
import { startNegotiator, type NegotiatorVars, type RunningNegotiator } from './negotiator-process'

export interface E2eStackOptions {
  /** Beyond a quiet emulator on a random port, e.g. `tls` and `tlsDir`. */
  emulator?: EmulatorOptions
  /**
   * Variables beyond emulatorVars' (anonymous mode, the Owner app with a secret, hub chat), or
   * with `accessKey` beyond accessKeyVars' (anonymous mode, the connection string, hub chat).
   */
  vars?: (emulator: RunningEmulator) => NegotiatorVars
  /**
   * Access-key mode: the emulator accepts this key, and the negotiator gets its connection string
   * alone, without the Entra variables.
   */
  accessKey?: string
  /** Served through the ASSETS binding, as for the demo page. */
  assetsDirectory?: string
}

export interface E2eStack {
  emulator: RunningEmulator
  negotiator: RunningNegotiator
  /** Stops the negotiator, then the emulator. */
  close(): Promise<void>
}

/**
 * Starts the emulator, then the negotiator pointed at it. workerd trusts a TLS emulator's
 * certificate, as production trusts Azure's. When the negotiator fails to start, the emulator is
 * closed before the error is thrown, so a failed beforeAll leaves nothing running.
 */
export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  const { accessKey } = options
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    ...options.emulator,
    ...(accessKey !== undefined && { accessKey }),
  })
  const baseVars = accessKey === undefined ? emulatorVars : accessKeyVars
  let negotiator: RunningNegotiator
  try {
    negotiator = await startNegotiator({
      vars: baseVars(emulator, options.vars?.(emulator)),
      assetsDirectory: options.assetsDirectory,
      // The demo page is served by the development entry only; production has no demo routes.
      entry:
        options.assetsDirectory === undefined
          ? undefined
          : fileURLToPath(new URL('../../src/dev.ts', import.meta.url)),
      trustedCertificates: emulator.caCertPem === undefined ? undefined : [emulator.caCertPem],
    })
  } catch (error) {
    await emulator.close()
    throw error
  }
  return {
    emulator,
    negotiator,
    async close() {
      await negotiator.dispose()
      await emulator.close()
    },
  }
}
