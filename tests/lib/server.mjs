// A small static server for the built deck (dist/): real files, 404 for missing assets and model
// files, index.html for slide routes (/12, /presenter/3). Optional cross-origin isolation headers.
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.woff2': 'font/woff2', '.onnx': 'application/octet-stream', '.txt': 'text/plain', '.md': 'text/markdown',
}

export function serveDist(dir, { port = 0, isolate = false } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname)
    let file = normalize(join(dir, path))
    if (!file.startsWith(normalize(dir))) { res.writeHead(403).end(); return }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html')
    if (!existsSync(file)) {
      if (extname(path) || path.startsWith('/models/') || path.startsWith('/runtime/')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`)
        return
      }
      file = join(dir, 'index.html')
    }
    const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache' }
    if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' })
    res.writeHead(200, headers)
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
  })
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address()
      resolve({ url: `http://127.0.0.1:${p}`, close: () => new Promise(r => server.close(r)) })
    })
  })
}
