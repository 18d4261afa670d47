// WEBPUBSUB_CONNECTION_STRING → endpoint URL + access key, read as @azure/web-pubsub reads it.
//
// The SDK's parseConnectionString (@azure/web-pubsub 1.2): `;`-separated `name=value` pairs, names
// case-insensitive, the value everything after the first `=` (base64 keys end in `=`), segments
// without `=` (the trailing `;`) ignored, unknown names (`Version`) ignored; an Endpoint without a
// scheme gets https://, and `Port` replaces the endpoint's port. Stricter where the SDK would
// guess: a name given twice, or a port that is not a number, is refused. No problem ever quotes
// the string: it holds the key. config.ts checks the endpoint as it checks WEBPUBSUB_ENDPOINT.

export interface AccessKeyConnection {
  /** The endpoint URL with the port applied; not yet checked to be an https origin. */
  endpointUrl: string
  /** The AccessKey value as written; its UTF-8 bytes are the HMAC key, as in the SDK. */
  accessKey: string
}

export type ConnectionStringResult =
  { ok: true; connection: AccessKeyConnection } | { ok: false; problems: string[] }

const NAMES: Record<string, string> = { endpoint: 'Endpoint', accesskey: 'AccessKey', port: 'Port' }

export function parseConnectionString(value: string): ConnectionStringResult {
  const problems: string[] = []
  const fields = new Map<string, string>()
  for (const segment of value.split(';')) {
    const at = segment.indexOf('=')
    const name = segment.slice(0, at).trim().toLowerCase()
    if (at === -1 || NAMES[name] === undefined) continue
    if (fields.has(name)) problems.push(`has ${NAMES[name]}= twice`)
    fields.set(name, segment.slice(at + 1))
  }
  const accessKey = fields.get('accesskey') ?? ''
  if (accessKey === '') problems.push('has no AccessKey=')
  const endpoint = fields.get('endpoint')?.trim() ?? ''
  let url: URL | undefined
  try {
    url = new URL(endpoint.startsWith('http') ? endpoint : `https://${endpoint}`)
  } catch {
    problems.push(endpoint === '' ? 'has no Endpoint=' : 'has an Endpoint that is not a URL')
  }
  const port = fields.get('port')?.trim()
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || +port < 1 || +port > 65535) {
      problems.push('has a Port that is not 1–65535')
    } else if (url !== undefined) {
      // As the SDK: a default port (443 for https) then disappears from the URL.
      url.port = port
    }
  }
  if (problems.length > 0 || url === undefined) return { ok: false, problems }
  return { ok: true, connection: { endpointUrl: url.href, accessKey } }
}
