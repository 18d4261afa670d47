// Checks a presented credential against a configured one in constant time, whatever their lengths.
//
// Both sides are hashed first (SHA-256), so the comparison always runs over 32 bytes and its time
// says nothing about the secret's length or about how many leading characters matched; the loop
// then looks at every byte whatever it finds. Cloudflare's Workers docs ("Using timingSafeEqual")
// make the same point with their non-standard crypto.subtle.timingSafeEqual; this needs nothing
// beyond Web Crypto, so it runs the same in tests and tools.

export type SecretCheck = (presented: string) => Promise<boolean>

const digest = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))

export async function createSecretCheck(secret: string): Promise<SecretCheck> {
  const expected = await digest(secret)
  return async (presented) => {
    const actual = await digest(presented)
    let difference = 0
    for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ actual[i]!
    return difference === 0
  }
}
