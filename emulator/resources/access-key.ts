// Access keys of resources 1…n−1: derived from resource 0's, so connection strings are stable.
import { createHash } from 'node:crypto'

/**
 * Resource 0 uses the given key; each further one a key derived from it and its index, shaped
 * like an Azure key (44 base64 characters). Deterministic, so that a test or a dev config can
 * write the connection strings down; distinct, as each Azure resource has its own keys.
 */
export function resourceAccessKey(accessKey: string, index: number): string {
  if (index === 0) return accessKey
  return createHash('sha256')
    .update(`webpubsub-emulator-resource-${index}:${accessKey}`)
    .digest('base64')
}

export function connectionString(endpoint: string, accessKey: string): string {
  return `Endpoint=${endpoint};AccessKey=${accessKey};Version=1.0;`
}
