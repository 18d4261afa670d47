import { describe, expect, it } from 'vitest'
import { parseCertificatePem } from '../../src/entra/credential-config'
import { FAKE_CERT_PEM, FAKE_KEY_PEM } from '../support/fake-pem'

describe('entra/credential-config parseCertificatePem', () => {
  const parse = (pem: string) => {
    const problems: string[] = []
    const result = parseCertificatePem(pem, (p) => problems.push(p))
    return { result, problems }
  }

  it('splits key and leaf certificate, in any order, with escaped newlines', () => {
    const { result, problems } = parse(`${FAKE_CERT_PEM}\\n${FAKE_KEY_PEM}`.replace(/\n/g, '\\n'))
    expect(problems).toEqual([])
    expect(result?.kind).toBe('certificate')
    if (result?.kind !== 'certificate') return
    expect([...result.privateKeyDer]).toEqual([0, 1, 2, 3, 4, 5])
    expect([...result.certificateDer]).toEqual([6, 7, 8, 9, 10, 11])
    expect(result.privateKeyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true)
  })

  it('explains how to convert a PKCS#1 key', () => {
    const { result, problems } = parse(
      '-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----\n' + FAKE_CERT_PEM,
    )
    expect(result).toBeUndefined()
    expect(problems[0]).toContain('openssl pkcs8 -topk8 -nocrypt')
  })

  it('asks for the certificate when only a key is given', () => {
    const { problems } = parse(FAKE_KEY_PEM)
    expect(problems).toEqual([expect.stringContaining('no "BEGIN CERTIFICATE" block')])
  })

  it('rejects text that is not PEM and encrypted keys', () => {
    expect(parse('hello').problems[0]).toContain('is not PEM')
    expect(
      parse('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----')
        .problems[0],
    ).toContain('encrypted')
  })
})
