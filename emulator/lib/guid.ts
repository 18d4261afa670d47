// GUIDs derived from a seed, so that an app from the config keeps its object id across restarts.
import { createHash } from 'node:crypto'

export function derivedGuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  // Shaped as a version-4 GUID (the variant Entra ids use), but deterministic.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
