// Web PubSub data-plane errors: `{ code, message, target? }` with `x-ms-error-code`.

export function webPubSubError(
  status: number,
  code: string,
  message: string,
  options: { target?: string; headers?: Record<string, string> } = {},
): Response {
  const body: Record<string, string> = { code, message }
  if (options.target !== undefined) body.target = options.target
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-error-code': code,
      ...options.headers,
    },
  })
}
