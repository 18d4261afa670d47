// A harness in access-key mode (no Entra variables, a connection string), recording every outbound fetch.
import { createHarness, type Harness } from './harness'

export async function accessKeyHarness(
  vars: Record<string, unknown>,
): Promise<{ h: Harness; upstream: string[] }> {
  const upstream: string[] = []
  const h = await createHarness({
    fetch: async (input, init) => {
      upstream.push(new Request(input, init).url)
      return fetch(input, init)
    },
    vars: {
      AZURE_TENANT_ID: undefined,
      AZURE_CLIENT_ID: undefined,
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CLIENT_CERTIFICATE: undefined,
      AZURE_AUTHORITY_HOST: undefined,
      WEBPUBSUB_ENDPOINT: undefined,
      ...vars,
    },
  })
  return { h, upstream }
}
