// TLS mode: a self-signed certificate for 127.0.0.1 and localhost that trusts itself as a CA.
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request } from 'node:https'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useEmulator } from './helpers'

function httpsGet(
  url: string,
  ca: string | undefined,
  servername?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername, rejectUnauthorized: true }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('TLS mode', () => {
  it('serves https trusted through its own certificate and writes cert.pem to tlsDir', async () => {
    const tlsDir = await mkdtemp(join(tmpdir(), 'emulator-tls-'))
    const emulator = await useEmulator({ tls: true, tlsDir })
    expect(emulator.url).toBe(`https://127.0.0.1:${emulator.port}`)
    expect(emulator.caCertPath).toBe(join(tlsDir, 'cert.pem'))
    const written = await readFile(emulator.caCertPath!, 'utf8')
    expect(written).toBe(emulator.caCertPem)
    expect(written).not.toContain('PRIVATE KEY')

    const cert = new X509Certificate(written)
    expect(cert.ca).toBe(true)
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(cert.subjectAltName).toContain('DNS:localhost')

    const res = await httpsGet(`${emulator.url}/_emulator/credentials`, written)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({
      authorityHost: emulator.url,
      endpoint: emulator.url,
    })
    const viaLocalhost = await httpsGet(`https://localhost:${emulator.port}/api/health`, written)
    expect(viaLocalhost.status).toBe(200)
  })

  it('is refused by a client that does not trust the certificate', async () => {
    const emulator = await useEmulator({ tls: true })
    expect(emulator.caCertPath).toBeUndefined()
    await expect(httpsGet(`${emulator.url}/api/health`, undefined)).rejects.toThrow(
      /self[- ]signed/i,
    )
  })
})
