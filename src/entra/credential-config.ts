// AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE → the credential config, explaining what is wrong.
import { decodeBase64 } from '../lib/base64'

export type CredentialConfig =
  | { kind: 'secret'; secret: string }
  | {
      kind: 'certificate'
      /** The PKCS#8 block only, as jose's importPKCS8 wants it (it refuses PKCS#1). */
      privateKeyPem: string
      privateKeyDer: Uint8Array
      /** DER of the first (leaf) certificate in the PEM. */
      certificateDer: Uint8Array
    }

/** What the credential variables hold: said when one holds a placeholder, never quoting it. */
export const CREDENTIAL_VARIABLE_MEANINGS = {
  AZURE_CLIENT_SECRET:
    "the client secret's Value (not its Secret ID) from the app registration's " +
    'Certificates & secrets page',
  AZURE_CLIENT_CERTIFICATE:
    'a PEM with the PKCS#8 private key and the certificate (cat key.pkcs8.pem cert.pem)',
} as const

export function parseCredential(
  secret: string | undefined,
  certificate: string | undefined,
  report: (variable: string, problem: string) => void,
): CredentialConfig | undefined {
  if (secret !== undefined && certificate !== undefined) {
    report(
      'AZURE_CLIENT_SECRET',
      'set exactly one of AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE, not both',
    )
    return undefined
  }
  if (secret !== undefined) return { kind: 'secret', secret }
  if (certificate === undefined) {
    report(
      'AZURE_CLIENT_SECRET',
      'set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE (a PEM with key and certificate)',
    )
    return undefined
  }
  return parseCertificatePem(certificate, (problem) => report('AZURE_CLIENT_CERTIFICATE', problem))
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

/** Splits a PEM bundle into the PKCS#8 key and the leaf certificate, explaining what is wrong. */
export function parseCertificatePem(
  pem: string,
  report: (problem: string) => void,
): CredentialConfig | undefined {
  // Secrets pasted through dashboards often arrive with literal "\n" instead of newlines.
  const normalized = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem
  const blocks = [...normalized.matchAll(PEM_BLOCK)].map((match) => ({
    label: match[1] ?? '',
    body: (match[2] ?? '').replace(/\s+/g, ''),
  }))
  if (blocks.length === 0) {
    report(
      'is not PEM: expected a "BEGIN PRIVATE KEY" (PKCS#8) block and a "BEGIN CERTIFICATE" block',
    )
    return undefined
  }
  const labels = blocks.map((block) => block.label)
  if (labels.includes('RSA PRIVATE KEY')) {
    report(
      'holds a PKCS#1 "RSA PRIVATE KEY"; convert it to PKCS#8 with ' +
        '`openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem` and store the new key with the certificate',
    )
    return undefined
  }
  if (labels.includes('ENCRYPTED PRIVATE KEY')) {
    report(
      'holds an encrypted private key; store it unencrypted (`openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`) ' +
        'as a Worker secret, which is already encrypted at rest',
    )
    return undefined
  }
  const key = blocks.find((block) => block.label === 'PRIVATE KEY')
  const certificate = blocks.find((block) => block.label === 'CERTIFICATE')
  if (key === undefined) {
    report(
      'has no "BEGIN PRIVATE KEY" (PKCS#8) block; the PEM must hold the key and the certificate',
    )
  }
  if (certificate === undefined) {
    report(
      'has no "BEGIN CERTIFICATE" block; append the certificate to the key ' +
        '(e.g. `cat key.pkcs8.pem cert.pem`), Entra identifies the key by the certificate thumbprint',
    )
  }
  if (key === undefined || certificate === undefined) return undefined
  const privateKeyDer = decodeBase64(key.body)
  const certificateDer = decodeBase64(certificate.body)
  if (privateKeyDer === undefined || certificateDer === undefined) {
    report('contains a PEM block whose body is not valid base64')
    return undefined
  }
  const privateKeyPem = pemBlock('PRIVATE KEY', key.body)
  return { kind: 'certificate', privateKeyPem, privateKeyDer, certificateDer }
}

/** Re-wraps a base64 body at 64 columns, the exact PEM form jose's importPKCS8 expects. */
function pemBlock(label: string, base64Body: string): string {
  const lines = base64Body.match(/.{1,64}/g) ?? []
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n')
}
