// Web PubSub data-plane roles an app can hold; below config.ts and demo.ts so neither imports the other.

/**
 * Web PubSub Service Owner (every data-plane API, the Auth API included), Web PubSub Service Reader
 * (read-only APIs: it cannot generate client tokens), or no role assignment. See
 * https://learn.microsoft.com/azure/azure-web-pubsub/howto-authorize-from-application
 */
export type Role = 'owner' | 'reader' | 'none'
export const ROLES: readonly Role[] = ['owner', 'reader', 'none']
