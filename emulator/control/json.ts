// Small helpers of the control API: read a JSON body leniently, answer 400 `{ error }`.

export const badRequest = (message: string): Response =>
  Response.json({ error: message }, { status: 400 })

/** The body as an object; anything else (no body, not JSON, an array's absence) reads as `{}`. */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  const body: unknown = await request.json().catch(() => undefined)
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
}
