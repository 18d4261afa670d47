// The demo page's browser code: negotiate via client/, connect with the official client, chat.
import { WebPubSubClient } from '@azure/web-pubsub-client'
import {
  canSendToGroup,
  createNegotiator,
  type NegotiateResponse,
  type Negotiator,
} from '../client/index'
import { watchWebSockets } from './socket-watch'
import { CONNECTION_LOST, disconnectedStatus } from './status'
import { addLine, describe, setStatus, showError, showNames, ui } from './view'

/** Room names become `room.<name>`; the demo policy's `room.*` wildcard matches no further dot. */
const ROOM_NAME = /^[A-Za-z0-9_-]{1,40}$/
/** The negotiator's own rule for hub names (README "HTTP API"). */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/
/** A resumed socket that stays open this long was accepted; a refused resume closes at once. */
const RESUMED_AFTER_MS = 1000

/** GET /demo/config.json: how this negotiator verifies callers, and the dev token endpoint. */
interface DemoConfig {
  authMode: string
  audience?: string
  devTokenUrl?: string
}

// The page may name another allowed hub (`/demo?hub=lobby`); the negotiator checks it.
let hub = new URLSearchParams(location.search).get('hub') ?? 'chat'
/** The signed-in user's token in jwt mode; the negotiator sends it as a bearer token. */
let userToken: string | undefined
/** Requests to /negotiate, failed ones included (a reused grant makes none). */
let negotiations = 0
let grant: NegotiateResponse | undefined
let connectedAs: string | undefined
let currentGroup: string | undefined
let live = false

/** Counts every request the helper makes, so the page shows failed attempts too. */
const countingFetch: typeof fetch = (input, init) => {
  negotiations++
  ui.negotiations.textContent = String(negotiations)
  return fetch(input, init)
}

const negotiatorFor = (name: string): Negotiator =>
  createNegotiator({
    url: '/negotiate',
    hub: name,
    getToken: () => userToken,
    fetch: countingFetch,
  })
let negotiator = negotiatorFor(hub)

function showGrant(negotiated: NegotiateResponse) {
  grant = negotiated
  ui.hub.textContent = negotiated.hub
  ui.user.textContent = negotiated.userId ?? 'none (a shared token)'
  showNames(ui.roles, negotiated.roles)
  showNames(ui.groups, negotiated.groups)
  showExpiry()
  updateControls()
}

function showExpiry() {
  if (grant === undefined) return
  const expiresAtMs = Date.parse(grant.expiresAt)
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

/** Join and Send follow the connection; Send also needs a send right for the current room. */
function updateControls() {
  ui.join.disabled = !live
  const allowed = currentGroup !== undefined && canSendToGroup(grant?.roles ?? [], currentGroup)
  ui.send.disabled = !live || !allowed
  let note: string | undefined
  if (live && currentGroup === undefined) note = 'Join a room to send messages.'
  if (live && currentGroup !== undefined && !allowed) {
    note =
      `Your roles grant no send right in ${currentGroup}: the hub's policy needs ` +
      `webpubsub.sendToGroup.${currentGroup} or a webpubsub.sendToGroups pattern.`
  }
  ui.sendNote.hidden = note === undefined
  ui.sendNote.textContent = note ?? ''
}

function setLive(value: boolean) {
  live = value
  updateControls()
}

const client = new WebPubSubClient(
  {
    // Called for every new connection (not for a resume): the helper reuses the grant until its
    // refreshAfter, then negotiates again.
    getClientAccessUrl: async (options) => {
      try {
        const negotiated = await negotiator.negotiate(options)
        showGrant(negotiated)
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

// The client says nothing while it resumes a dropped connection (socket-watch.ts): say it here.
let resumeTimer: ReturnType<typeof setTimeout> | undefined
watchWebSockets({
  lost() {
    clearTimeout(resumeTimer)
    if (!live) return
    setLive(false)
    setStatus('reconnecting', CONNECTION_LOST)
  },
  open(socket) {
    // Only a resume needs this: a new connection is reported by the `connected` event.
    if (ui.status.dataset.state !== 'reconnecting') return
    clearTimeout(resumeTimer)
    resumeTimer = setTimeout(() => {
      if (socket.readyState !== WebSocket.OPEN || ui.status.dataset.state !== 'reconnecting') return
      setStatus('connected', `Connected as ${connectedAs ?? 'anonymous'} (resumed)`)
      setLive(true)
    }, RESUMED_AFTER_MS)
  },
})

client.on('connected', (e) => {
  connectedAs = e.userId
  setStatus('connected', `Connected as ${e.userId ?? 'anonymous'}`)
  ui.connectForm.hidden = true
  setLive(true)
})
client.on('disconnected', (e) => {
  clearTimeout(resumeTimer)
  setStatus('disconnected', disconnectedStatus(e))
  setLive(false)
})
client.on('stopped', () => {
  setStatus('failed', 'Stopped')
  setLive(false)
  offerRetry()
})
client.on('group-message', (e) => {
  const data = e.message.data
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  const from = e.message.fromUserId
  addLine('message', text, from, from !== undefined && from === connectedAs)
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
    updateControls()
  }
}

ui.roomForm.addEventListener('submit', (event) => {
  event.preventDefault()
  void joinRoom(ui.room.value.trim())
})

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = ui.message.value.trim()
  if (text === '' || currentGroup === undefined || ui.send.disabled) return
  ui.message.value = ''
  // noEcho false: our own message comes back through the service, proving the round trip.
  client.sendToGroup(currentGroup, text, 'text', { noEcho: false }).catch((error: unknown) => {
    showError(`Could not send to ${currentGroup}: ${describe(error)}`)
  })
})

/** After a failed start: the hub can be corrected, or the same one tried again. */
function offerRetry() {
  ui.hubInput.value = hub
  ui.connectForm.hidden = false
}

ui.connectForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = ui.hubInput.value.trim()
  if (!HUB_NAME.test(name)) {
    showError('A hub name starts with a letter and holds at most 128 letters, digits and _`,.[]')
    return
  }
  if (name !== hub) {
    hub = name
    negotiator = negotiatorFor(hub)
    const url = new URL(location.href)
    url.searchParams.set('hub', hub)
    history.replaceState(null, '', url)
  }
  connect()
})

function connect() {
  ui.connectForm.hidden = true
  setStatus('connecting', 'Connecting…')
  client
    .start()
    .then(() => joinRoom(ui.room.value.trim()))
    .catch((error: unknown) => {
      setStatus('failed', 'Not connected')
      showError(describe(error))
      offerRetry()
    })
}

setInterval(showExpiry, 1000)
updateControls()

const config = (await (await fetch('/demo/config.json')).json()) as DemoConfig

async function signIn(name: string): Promise<void> {
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
    signIn(name).then(
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
