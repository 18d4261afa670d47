// The demo page's browser code: negotiate, connect with the official client, chat in a room.
import { SendMessageError, WebPubSubClient } from '@azure/web-pubsub-client'
import { disconnectedStatus } from './status'

/** What GET /negotiate answers (README "HTTP API"); roles and groups only if the policy says. */
interface Negotiated {
  baseUrl: string
  token: string
  url: string
  expiresAt: string
  hub: string
  userId: string
  roles?: string[]
  groups?: string[]
}

/** A refusal from /negotiate, carrying the problem+json `code` and `detail` (RFC 9457). */
class NegotiateError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`)
    this.name = 'NegotiateError'
  }
}

// The page may name another allowed hub (`/demo?hub=lobby`); the negotiator checks it.
const hub = new URLSearchParams(location.search).get('hub') ?? 'chat'
/** Room names become `room.<name>`; the demo policy's `room.*` wildcard matches no further dot. */
const ROOM_NAME = /^[A-Za-z0-9_-]{1,40}$/

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`#${id} is missing from the page`)
  return found as T
}
const ui = {
  status: element('status'),
  error: element('error'),
  hub: element('hub'),
  user: element('user'),
  roles: element('roles'),
  groups: element('groups'),
  expires: element('expires'),
  negotiations: element('negotiations'),
  roomForm: element<HTMLFormElement>('room-form'),
  room: element<HTMLInputElement>('room'),
  join: element<HTMLButtonElement>('join'),
  currentRoom: element('current-room'),
  messages: element<HTMLOListElement>('messages'),
  messageForm: element<HTMLFormElement>('message-form'),
  message: element<HTMLInputElement>('message'),
  send: element<HTMLButtonElement>('send'),
  signInForm: element<HTMLFormElement>('signin-form'),
  username: element<HTMLInputElement>('username'),
}

let session: Negotiated | undefined
let negotiations = 0
let currentGroup: string | undefined

function setStatus(state: 'connecting' | 'connected' | 'disconnected' | 'failed', text: string) {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

function showError(text: string | undefined) {
  ui.error.hidden = text === undefined
  ui.error.textContent = text ?? ''
}

function describe(error: unknown): string {
  if (error instanceof NegotiateError) {
    return `Negotiation failed (${error.status} ${error.code}): ${error.detail}`
  }
  if (error instanceof SendMessageError && error.errorDetail !== undefined) {
    return `${error.errorDetail.name}: ${error.errorDetail.message}`
  }
  return error instanceof Error ? error.message : String(error)
}

function addLine(kind: 'message' | 'system', text: string, from?: string) {
  const item = document.createElement('li')
  item.className = kind
  if (from !== undefined) {
    const label = document.createElement('span')
    label.className = 'from'
    // A UUID is long; its first block is enough to tell two anonymous tabs apart.
    const short = /^[0-9a-f-]{36}$/.test(from) ? from.slice(0, 8) : from
    label.textContent = from === session?.userId ? `${short} (you)` : short
    label.title = from
    item.append(label)
    if (from === session?.userId) item.classList.add('mine')
  }
  // textContent, never innerHTML: messages come from other users.
  item.append(document.createTextNode(text))
  ui.messages.append(item)
  ui.messages.scrollTop = ui.messages.scrollHeight
}

/** GET /demo/config.json: how this negotiator verifies callers, and the dev token endpoint. */
interface DemoConfig {
  authMode: string
  audience?: string
  devTokenUrl?: string
}

/** The signed-in user's token in jwt mode; sent as a bearer token on every negotiation. */
let userToken: string | undefined

async function signIn(config: DemoConfig, name: string): Promise<void> {
  if (config.devTokenUrl === undefined) throw new Error('jwt mode needs DEMO_TOKEN_URL to sign in')
  // The emulator's development endpoint mints a token for any name: a stand-in for a real login.
  const response = await fetch(config.devTokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: name, audience: config.audience }),
  })
  if (!response.ok) throw new Error(`Sign-in failed: ${response.status}`)
  userToken = ((await response.json()) as { token: string }).token
}

async function negotiate(): Promise<Negotiated> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (userToken !== undefined) headers.authorization = `Bearer ${userToken}`
  const response = await fetch(`/negotiate?hub=${encodeURIComponent(hub)}`, { headers })
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as Record<string, unknown>
    throw new NegotiateError(
      response.status,
      typeof problem.code === 'string' ? problem.code : 'unknown',
      typeof problem.detail === 'string' ? problem.detail : response.statusText,
    )
  }
  return (await response.json()) as Negotiated
}

/** The token's own claims, for display only: the service, not the page, verifies it. */
function tokenClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    return JSON.parse(json) as Record<string, unknown>
  } catch {
    return {}
  }
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' ? [value] : []
}

function showSession(negotiated: Negotiated) {
  session = negotiated
  const claims = tokenClaims(negotiated.token)
  const roles = negotiated.roles ?? listOf(claims.role)
  const groups = negotiated.groups ?? listOf(claims['webpubsub.group'])
  ui.hub.textContent = negotiated.hub
  ui.user.textContent = negotiated.userId
  ui.roles.textContent = roles.length > 0 ? roles.join('\n') : 'none'
  ui.groups.textContent = groups.length > 0 ? groups.join('\n') : 'none'
  ui.negotiations.textContent = String(negotiations)
  showExpiry()
}

function showExpiry() {
  if (session === undefined) return
  const expiresAtMs = Date.parse(session.expiresAt)
  const leftSeconds = Math.round((expiresAtMs - Date.now()) / 1000)
  const at = new Date(expiresAtMs).toLocaleTimeString()
  if (leftSeconds <= 0) {
    ui.expires.textContent = `${at} (expired; the next connection negotiates again)`
    return
  }
  const minutes = Math.floor(leftSeconds / 60)
  const seconds = String(leftSeconds % 60).padStart(2, '0')
  ui.expires.textContent = `${at} (in ${minutes}:${seconds})`
}

const client = new WebPubSubClient(
  {
    // Called for every new connection (not for a reliable resume), so each gets a fresh token.
    getClientAccessUrl: async () => {
      try {
        negotiations++
        const negotiated = await negotiate()
        showSession(negotiated)
        showError(undefined)
        return negotiated.url
      } catch (error) {
        showError(describe(error))
        throw error
      }
    },
  },
  // The client retries every failed ack, a Forbidden one included; one retry keeps refusals quick.
  { messageRetryOptions: { maxRetries: 1 } },
)

client.on('connected', (e) => {
  setStatus('connected', `Connected as ${e.userId ?? 'anonymous'}`)
  ui.send.disabled = false
  ui.join.disabled = false
})
client.on('disconnected', (e) => {
  setStatus('disconnected', disconnectedStatus(e))
  ui.send.disabled = true
})
client.on('stopped', () => {
  setStatus('failed', 'Stopped')
  ui.send.disabled = true
  ui.join.disabled = true
})
client.on('group-message', (e) => {
  const data = e.message.data
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  addLine('message', text, e.message.fromUserId)
})
client.on('rejoin-group-failed', (e) => {
  showError(`Could not rejoin ${e.group}: ${describe(e.error)}`)
})

async function joinRoom(name: string) {
  if (!ROOM_NAME.test(name)) {
    showError('A room name holds 1–40 letters, digits, "-" or "_".')
    return
  }
  const group = `room.${name}`
  if (group === currentGroup) return
  ui.join.disabled = true
  try {
    await client.joinGroup(group)
    if (currentGroup !== undefined) await client.leaveGroup(currentGroup)
    currentGroup = group
    ui.currentRoom.textContent = group
    showError(undefined)
    addLine('system', `joined ${group}`)
  } catch (error) {
    showError(`Could not join ${group}: ${describe(error)}`)
  } finally {
    ui.join.disabled = false
  }
}

ui.roomForm.addEventListener('submit', (event) => {
  event.preventDefault()
  void joinRoom(ui.room.value.trim())
})

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = ui.message.value.trim()
  if (text === '' || currentGroup === undefined) return
  ui.message.value = ''
  // noEcho false: our own message comes back through the service, proving the round trip.
  client.sendToGroup(currentGroup, text, 'text', { noEcho: false }).catch((error: unknown) => {
    showError(`Could not send: ${describe(error)}`)
  })
})

function connect() {
  setStatus('connecting', 'Connecting…')
  client
    .start()
    .then(() => joinRoom(ui.room.value.trim()))
    .catch((error: unknown) => {
      setStatus('failed', 'Not connected')
      showError(describe(error))
    })
}

setInterval(showExpiry, 1000)
ui.send.disabled = true
ui.join.disabled = true

const config = (await (await fetch('/demo/config.json')).json()) as DemoConfig
if (config.authMode === 'jwt') {
  // Pick a user name first: the negotiator takes the user id from the verified token only.
  ui.signInForm.hidden = false
  setStatus('disconnected', 'Sign in to connect')
  ui.signInForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = ui.username.value.trim()
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) {
      showError('A user name holds 1–64 letters, digits, ".", "_", "@" or "-".')
      return
    }
    signIn(config, name).then(
      () => {
        ui.signInForm.hidden = true
        connect()
      },
      (error: unknown) => showError(describe(error)),
    )
  })
} else {
  connect()
}
