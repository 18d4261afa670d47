// The built-in demo tenant and apps: fixed ids and secrets so that `npm run emulator` prints stable values.
import type { Role } from './roles'

/** Fake GUIDs in a recognisable pattern (never real tenants): `e0000000-…` tenant, `…a…` clients, `…b…` objects. */
export const DEMO_TENANT_ID = 'e0000000-0000-4000-8000-000000000001'
export const DEMO_TENANT_DOMAIN = 'emulator.onmicrosoft.com'

export interface DemoAppSeed {
  key: 'ownerSecret' | 'ownerCertificate' | 'reader' | 'noRole' | 'expiredSecret'
  clientId: string
  objectId: string
  displayName: string
  role: Role
  secret?: { value: string; expired: boolean }
  /** The app gets the certificate generated at startup. */
  certificate?: true
}

// Secret values follow the shape of real ones (`xxx8Q~…`, 40 characters) but are plainly fake.
export const DEMO_APPS: readonly DemoAppSeed[] = [
  {
    key: 'ownerSecret',
    clientId: 'e0000000-0000-4000-8000-0000000000a1',
    objectId: 'e0000000-0000-4000-8000-0000000000b1',
    displayName: 'demo-owner-secret',
    role: 'owner',
    secret: { value: 'emu8Q~demo-owner-secret-00000000000000000', expired: false },
  },
  {
    key: 'ownerCertificate',
    clientId: 'e0000000-0000-4000-8000-0000000000a2',
    objectId: 'e0000000-0000-4000-8000-0000000000b2',
    displayName: 'demo-owner-certificate',
    role: 'owner',
    certificate: true,
  },
  {
    key: 'reader',
    clientId: 'e0000000-0000-4000-8000-0000000000a3',
    objectId: 'e0000000-0000-4000-8000-0000000000b3',
    displayName: 'demo-reader',
    role: 'reader',
    secret: { value: 'emu8Q~demo-reader-secret-0000000000000000', expired: false },
  },
  {
    key: 'noRole',
    clientId: 'e0000000-0000-4000-8000-0000000000a4',
    objectId: 'e0000000-0000-4000-8000-0000000000b4',
    displayName: 'demo-no-role',
    role: 'none',
    secret: { value: 'emu8Q~demo-norole-secret-0000000000000000', expired: false },
  },
  {
    key: 'expiredSecret',
    clientId: 'e0000000-0000-4000-8000-0000000000a5',
    objectId: 'e0000000-0000-4000-8000-0000000000b5',
    displayName: 'demo-expired-secret',
    role: 'owner',
    secret: { value: 'emu8Q~demo-expired-secret-000000000000000', expired: true },
  },
]
