// Test harness for the emulator's client endpoint: a server on 127.0.0.1, tokens, and ws clients.
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import WebSocket from 'ws'
import { createClientTokenSigner, type ClientTokenSigner } from '../../emulator/client-token'
import { createClientService, type ClientService } from '../../emulator/client'

export const JSON_PROTOCOL = 'json.webpubsub.azure.v1'
export const RELIABLE_PROTOCOL = 'json.reliable.webpubsub.azure.v1'

// Test frames are loosely typed on purpose: each assertion states the exact shape it expects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = any

export interface Harness {
  service: ClientService
  signer: ClientTokenSigner
  host: string
  logs: Record<string, unknown>[]
  /** Moves the injected clock. */
  advance(ms: number): void
  nowMs(): number
  token(input?: Partial<Parameters<ClientTokenSigner['sign']>[0]>): Promise<string>
  url(path: string, query?: Record<string, string>): string
  /** Destroys every TCP connection, as a network failure would: no close frame either way. */
  dropConnections(): void
  /** Connects to hub `chat` with a token made from `claims`. */
  connect(
    claims?: Partial<Parameters<ClientTokenSigner['sign']>[0]>,
    protocol?: string | string[],
  ): Promise<TestClient>
  close(): Promise<void>
}

export async function startHarness(options: { reconnectWindowMs?: number } = {}): Promise<Harness> {
  const signer = createClientTokenSigner(randomBytes(32))
  let clockMs = Date.now()
  const logs: Record<string, unknown>[] = []
  const service = createClientService({
    signer,
    nowMs: () => clockMs,
    reconnectWindowMs: options.reconnectWindowMs,
    log: (line) => logs.push(line),
  })
  const server: Server = createServer()
  server.on(
    'upgrade',
    (req, socket, head) => service.handleUpgrade(req, socket, head) || socket.destroy(),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const clients: TestClient[] = []
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  const harness: Harness = {
    service,
    signer,
    host,
    logs,
    advance: (ms) => void (clockMs += ms),
    nowMs: () => clockMs,
    token: (input = {}) =>
      signer.sign({
        host,
        hub: 'chat',
        clientType: 'Default',
        roles: [],
        groups: [],
        minutesToExpire: 60,
        nowSeconds: Math.floor(clockMs / 1000),
        ...input,
      }),
    url(path, query = {}) {
      const url = new URL(`ws://${host}${path}`)
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
      return url.toString()
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    async connect(claims = {}, protocol = RELIABLE_PROTOCOL) {
      const token = await harness.token(claims)
      const hub = claims.hub ?? 'chat'
      const client = await TestClient.open(
        harness.url(`/client/hubs/${hub}`, { access_token: token }),
        protocol,
      )
      clients.push(client)
      return client
    },
    async close() {
      for (const client of clients) client.ws.terminate()
      await service.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return harness
}

/** A ws client that buffers every frame from the start, so no message is missed. */
export class TestClient {
  private readonly frames: Frame[] = []
  private readonly waiters: ((frame: Frame) => void)[] = []
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? Buffer.from(data as Buffer) : parse(data.toString())
      const waiter = this.waiters.shift()
      if (waiter) waiter(frame)
      else this.frames.push(frame)
    })
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
  }

  static open(url: string, protocol?: string | string[], headers?: Record<string, string>) {
    const ws = new WebSocket(url, protocol, { headers })
    const client = new TestClient(ws)
    return new Promise<TestClient>((resolve, reject) => {
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
    })
  }

  /** The next frame, parsed as JSON when it is text. */
  next(timeoutMs = 2000): Promise<Frame> {
    const buffered = this.frames.shift()
    if (buffered !== undefined) return Promise.resolve(buffered)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error('no frame arrived'))
      }, timeoutMs)
      const waiter = (frame: Frame) => {
        clearTimeout(timer)
        resolve(frame)
      }
      this.waiters.push(waiter)
    })
  }

  /** Resolves with the frames that arrived in `ms`; used to assert that nothing (else) came. */
  async drain(ms = 150): Promise<Frame[]> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return this.frames.splice(0)
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Sends a frame and returns the next one (an ack or a pong). */
  async request(frame: unknown): Promise<Frame> {
    this.send(frame)
    return this.next()
  }
}

function parse(text: string): Frame {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Attempts an upgrade that should be refused; returns the HTTP status and body. */
export function expectRefused(
  url: string,
  headers?: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, RELIABLE_PROTOCOL, { headers })
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', () => {})
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
  })
}
