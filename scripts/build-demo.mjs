// `npm run build:demo`: bundles demo/ with client/ and the official client into public/demo/.
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'demo')
const output = join(root, 'public', 'demo')

// public/ is a build output (git-ignored) served through the Worker's ASSETS binding.
await rm(output, { recursive: true, force: true })
await mkdir(output, { recursive: true })
const result = await build({
  entryPoints: [join(source, 'app.ts')],
  outfile: join(output, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // The SDK's licence notices go to app.js.LEGAL.txt rather than into the bundle.
  legalComments: 'external',
  logLevel: 'warning',
  metafile: true,
})
await Promise.all(
  ['index.html', 'style.css'].map((name) => copyFile(join(source, name), join(output, name))),
)
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0
console.log(`demo built into public/demo/ (app.js ${(bytes / 1024).toFixed(1)} KiB)`)
