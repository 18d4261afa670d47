// Web PubSub data-plane roles an app can hold; below config.ts and demo.ts so neither imports the other.

/** Web PubSub Service Owner, Web PubSub Reader, or no role assignment (SPEC §3). */
export type Role = 'owner' | 'reader' | 'none'
export const ROLES: readonly Role[] = ['owner', 'reader', 'none']
