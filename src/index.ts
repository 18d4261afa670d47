// The Workers entry: one app per isolate, serving fetch and the token-refresh cron.
import { createApp } from './app'

const { app, scheduled } = createApp()

export default {
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
