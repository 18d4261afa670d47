// The development entry (wrangler.toml [env.dev], `npm start`): the production Worker plus the demo page.
import { demoRoutes } from './routes/demo'
import { createWorker } from './worker'

export default createWorker({ routes: [demoRoutes] })
