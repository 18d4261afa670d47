// A syntactically valid PEM key and certificate for parsing tests: the bodies are only base64 of
// six bytes each (0–5 and 6–11), so nothing can import them as real keys.
export const FAKE_KEY_PEM = '-----BEGIN PRIVATE KEY-----\nAAECAwQF\n-----END PRIVATE KEY-----'
export const FAKE_CERT_PEM = '-----BEGIN CERTIFICATE-----\nBgcICQoL\n-----END CERTIFICATE-----'
