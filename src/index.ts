// The production entry (wrangler.toml): one app per isolate, serving fetch and the token-refresh cron.
import { createWorker } from './worker'

export default createWorker()
