// Starts resources 1…n−1: each with its own port, state, WebSocket client service and control API.
import { createClientService } from '../client/index'
import { createResourceApp } from '../http/resource-app'
import { closeServer, listen, serve } from '../http/server'
import type { SelfSigned } from '../lib/self-signed'
import type { EmulatorState } from '../state'
import type { EmulatorResource } from '../types'
import { connectionString, resourceAccessKey } from './access-key'
import { createResourceState } from './state'

export interface StartResourceOptions {
  index: number
  host: string
  /** 0 = random. */
  port: number
  /** The main origin's certificate, so one CA file trusts every resource. */
  certificate: SelfSigned | undefined
  quiet: boolean
}

export interface StartedResource extends EmulatorResource {
  close(): Promise<void>
}

export async function startResource(
  main: EmulatorState,
  options: StartResourceOptions,
): Promise<StartedResource> {
  const { index, quiet } = options
  const accessKey =
    main.config.accessKey === undefined
      ? undefined
      : resourceAccessKey(main.config.accessKey, index)
  const state = createResourceState(main, { accessKey })
  const clientService = createClientService({
    signer: state.clientTokenSigner,
    nowMs: () => state.now(),
    log: quiet ? undefined : (line) => console.log(JSON.stringify({ resource: index, ...line })),
  })
  const { server, port, url } = await listen(options.certificate, options.port, options.host)
  serve(server, createResourceApp(state, { index, quiet, clientService }), state, clientService)
  return {
    index,
    url,
    port,
    server,
    ...(accessKey === undefined
      ? {}
      : { accessKey, connectionString: connectionString(url, accessKey) }),
    state,
    clientService,
    close: async () => {
      await clientService.close()
      await closeServer(server, main.closing)
    },
  }
}

/** Resources 1…count−1, linked to the main state so that its reset() resets them too. */
export async function startOtherResources(
  state: EmulatorState,
  count: number,
  options: Omit<StartResourceOptions, 'index' | 'port'> & { basePort: number },
): Promise<StartedResource[]> {
  const others: StartedResource[] = []
  try {
    for (let index = 1; index < count; index++) {
      const port = options.basePort === 0 ? 0 : options.basePort + index
      const resource = await startResource(state, { ...options, index, port })
      others.push(resource)
      state.otherResources.push(resource.state)
    }
  } catch (error) {
    await Promise.all(others.map((resource) => resource.close()))
    throw error
  }
  return others
}
