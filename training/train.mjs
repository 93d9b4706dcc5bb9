#!/usr/bin/env node
// `npm run train -- [stage] [--smoke]`: runs training/pipeline.py with the Python that has PyTorch.
// Debian's python3-torch lives under /usr/bin/python3; a pyenv python3 on PATH usually lacks it.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))
export function findTorchPython() {
  const candidates = [process.env.TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean)
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch, onnx, PIL, numpy'], { stdio: 'ignore' })
    if (r.status === 0) return py
  }
  return null
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const py = findTorchPython()
  if (!py) {
    console.error('error: no Python with PyTorch found. On Debian: sudo apt-get install -y python3-torch python3-onnx python3-pil libopenblas0-pthread')
    process.exit(2)
  }
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2', PYTHONUNBUFFERED: '1' }
  const r = spawnSync(py, [join(here, 'pipeline.py'), ...process.argv.slice(2)], { stdio: 'inherit', env })
  process.exit(r.status ?? 1)
}
