// Self-signed RSA certificates: the TLS certificate (its own CA) and the demo app's certificate.
import { webcrypto } from 'node:crypto'
import './reflect-metadata'
import * as x509 from '@peculiar/x509'
import { toPem } from './pem'

export interface SelfSigned {
  certificatePem: string
  /** PKCS#8 `PRIVATE KEY` block: the form `importPKCS8` and MSAL expect (jose's importPKCS8 requires the PKCS#8 form). */
  privateKeyPem: string
}

export interface SelfSignedOptions {
  commonName: string
  dnsNames?: string[]
  ipAddresses?: string[]
  /** TLS mode: flag the certificate as a CA so NODE_EXTRA_CA_CERTS can trust it as an anchor. */
  serverAuth?: boolean
  validDays?: number
}

const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
}

export async function createSelfSigned(options: SelfSignedOptions): Promise<SelfSigned> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto)
  const keys = (await webcrypto.subtle.generateKey(RSA_SHA256, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature |
        x509.KeyUsageFlags.keyEncipherment |
        (options.serverAuth ? x509.KeyUsageFlags.keyCertSign : 0),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]
  if (options.serverAuth) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true))
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]))
  }
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names))
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=${options.commonName}`,
    // Backdated an hour so that a slightly slow clock elsewhere still accepts it.
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + (options.validDays ?? 30) * 86_400_000),
    signingAlgorithm: RSA_SHA256,
    keys,
    extensions,
  })
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
  return { certificatePem: cert.toString('pem') + '\n', privateKeyPem: toPem(pkcs8, 'PRIVATE KEY') }
}
