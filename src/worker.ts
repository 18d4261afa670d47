// The Workers module shape around the app: fetch, and the cron that keeps the cached Entra token fresh.
import { createApp, type AppOptions } from './app'

export function createWorker(options: AppOptions = {}) {
  const { app, scheduled } = createApp(options)
  return {
    fetch: app.fetch,
    async scheduled(
      _controller: ScheduledController,
      env: Env,
      ctx: ExecutionContext,
    ): Promise<void> {
      void ctx
      await scheduled(env as unknown as Record<string, unknown>)
    },
  } satisfies ExportedHandler<Env>
}
