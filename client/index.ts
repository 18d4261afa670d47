// The negotiator's client for browsers and Node: a typed getClientAccessUrl for WebPubSubClient.
// Relative imports name the .js file, so that the emitted .d.ts resolve under node16/nodenext too.
export { createNegotiator } from './negotiator.js'
export type { Negotiator, NegotiatorOptions, NegotiateOptions } from './negotiator.js'
export type { AbortSignalLike } from './abort.js'
export { NegotiationFailedError } from './errors.js'
export { canJoinGroup, canSendToGroup } from './rights.js'
export type {
  ClientErrorCode,
  NegotiationErrorCode,
  NegotiationFailedErrorOptions,
} from './errors.js'
export type {
  ClientProtocol,
  NegotiateResponse,
  NegotiatorErrorCode,
  NegotiatorProblem,
  NegotiatorUpstreamDetail,
} from './types.js'
