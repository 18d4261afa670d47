// How many Web PubSub resources one emulator may run: bounds shared by the options, config and CLI.

/** One resource (the emulator as it always was) up to a handful, enough for failover tests. */
export const MIN_RESOURCES = 1
export const MAX_RESOURCES = 5

export function isResourceCount(value: unknown): value is number {
  return (
    Number.isInteger(value) &&
    (value as number) >= MIN_RESOURCES &&
    (value as number) <= MAX_RESOURCES
  )
}
