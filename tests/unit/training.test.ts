/**
 * The training pipeline's own tests (training/test_pipeline.py): missing or corrupt package data
 * gives a clear message, an export never leaves a half-written model folder, and an interrupted run
 * resumes to exactly the weights of an uninterrupted one. Needs Python with PyTorch.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM helper without types
import { findTorchPython } from '../../training/train.mjs'

const py = findTorchPython() as string | null
const ROOT = join(import.meta.dirname, '..', '..')

describe('training pipeline', () => {
  if (!py)
    console.warn('training pipeline tests skipped: no Python with PyTorch (Debian: apt-get install python3-torch python3-onnx python3-pil)')

  it.skipIf(!py)('handles bad data, writes models atomically, resumes exactly and learns dictionary words', () => {
    const r = spawnSync(py!, ['-m', 'unittest', '-v', 'test_pipeline'], {
      cwd: join(ROOT, 'training'),
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', PYTHONWARNINGS: 'ignore' },
      timeout: 600_000,
    })
    expect(r.status, r.stderr.slice(-3000)).toBe(0)
    expect(r.stderr).toMatch(/Ran 29 tests/)
  }, 600_000)
})
