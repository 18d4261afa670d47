// PEM helpers: split blocks, read certificates, compute the `x5t` / `x5t#S256` thumbprints Entra matches.
import { X509Certificate, createHash } from 'node:crypto'

export function pemBlocks(pem: string, label: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g')
  return pem.match(pattern) ?? []
}

export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString(
    'base64',
  )
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

export interface CertificateThumbprints {
  /** base64url SHA-256 of the DER bytes: the `x5t#S256` header value. */
  sha256: string
  /** base64url SHA-1 of the DER bytes: the legacy `x5t` header value. */
  sha1: string
}

export interface RegisteredCertificate extends CertificateThumbprints {
  pem: string
  publicKey: import('node:crypto').KeyObject
}

/** Reads the first CERTIFICATE block of `pem` (a private key block next to it is ignored). */
export function readCertificate(pem: string): RegisteredCertificate {
  const block = pemBlocks(pem, 'CERTIFICATE')[0]
  if (block === undefined) throw new Error('no -----BEGIN CERTIFICATE----- block found')
  const cert = new X509Certificate(block)
  return { pem: block, publicKey: cert.publicKey, ...thumbprintsOf(cert.raw) }
}

export function thumbprintsOf(der: Uint8Array): CertificateThumbprints {
  return {
    sha256: createHash('sha256').update(der).digest('base64url'),
    sha1: createHash('sha1').update(der).digest('base64url'),
  }
}
