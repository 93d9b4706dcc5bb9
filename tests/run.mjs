#!/usr/bin/env node
// `npm test`: every check of the project, in order, on a machine with nothing but Node and npm:
//   1. a Chromium for browser tests (found, or Debian's installed when running as root with apt-get)
//   2. TypeScript type check (strict) of components, demos and tests
//   3. training pipeline smoke run (every stage for a few steps) when Python has PyTorch
//   4. unit tests (Node)
//   5. build of the deck, then browser tests of the built deck in real Chromium, and the PDF export
// Ends with one line "N passed, N failed" (checks) and a non-zero exit code if anything failed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureChromium } from './lib/chromium.mjs'
import { findTorchPython } from '../training/train.mjs'

const root = join(import.meta.dirname, '..')
const art = join(root, 'tests', '.artifacts')
mkdirSync(art, { recursive: true })
const bin = name => join(root, 'node_modules', '.bin', name)
let passed = 0
let failed = 0
let skipped = 0
const failures = []

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}`)
  const t0 = Date.now()
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } })
  const ok = r.status === 0
  console.log(`=== ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  return ok
}

function vitest(project) {
  const out = join(art, `vitest-${project}.json`)
  rmSync(out, { force: true })
  const ok = step(`${project} tests`, bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile=${out}`])
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'))
    passed += r.numPassedTests
    failed += r.numFailedTests
    skipped += r.numPendingTests + (r.numTodoTests ?? 0)
    if (r.numFailedTests) failures.push(`${project}: ${r.numFailedTests} test(s)`)
    if (!ok && !r.numFailedTests) { failed++; failures.push(`${project}: runner failed`) }
  }
  else { failed++; failures.push(`${project}: no results`) }
}

function check(name, cmd, args, env) {
  if (step(name, cmd, args, env)) passed++
  else { failed++; failures.push(name) }
}

try {
  console.log(`Chromium: ${ensureChromium()}`)
}
catch (e) {
  console.error(e.message)
  process.exit(2)
}

check('type check', bin('vue-tsc'), ['--noEmit', '-p', 'tsconfig.json'])

const py = findTorchPython()
if (py) {
  check('training smoke run (npm run train -- --smoke)', process.execPath, ['training/train.mjs', '--smoke'])
  // The sampler's default guidance weight chosen again, on validation prompts, for the smoke run's micro-diffusion.
  check('guidance smoke run (npm run train -- guidance --smoke)', process.execPath, ['training/train.mjs', 'guidance', '--smoke'])
  // The apple twin rebuilds the frozen text encoder and autoencoder from the shipped ONNX files and checks them.
  check('apple twin smoke run (npm run train -- twin --smoke)', process.execPath, ['training/train.mjs', 'twin', '--smoke'])
  // LoRA rebuilds the shipped UNet from its ONNX file (checked against parity), trains an adapter a few steps and exports it.
  check('LoRA smoke run (npm run train -- lora --smoke)', process.execPath, ['training/train.mjs', 'lora', '--smoke'])
  // micro-video: temporal layers on the shipped UNet, a few steps on clips made from the emoji art, exported with parity.
  check('video smoke run (npm run train -- video --smoke)', process.execPath, ['training/train.mjs', 'video', '--smoke'])
  // The independent judge of micro-diffusion (pixel-space nearest art) on a copy of the shipped model, a few prompts.
  check('judge smoke run (npm run train -- judge --smoke)', process.execPath, ['training/train.mjs', 'judge', '--smoke'])
  // micro-audio: synthesised and spoken training sounds (espeak-ng), a few steps, exported with parity.
  check('audio smoke run (npm run train -- audio --smoke)', process.execPath, ['training/train.mjs', 'audio', '--smoke'])
  // The same model continued: rebuilt from its own ONNX files (checked against parity), guidance chosen again, exported whole.
  check('audio from the exported model (npm run train -- audio --smoke --from-shipped)', process.execPath, ['training/train.mjs', 'audio', '--smoke', '--from-shipped'])
  // Leave one style out: micro-CLIP's phase 1 on two styles, measured on the third, into the smoke run's micro-CLIP card.
  check('leave-one-style-out smoke run (npm run train -- loso --smoke)', process.execPath, ['training/train.mjs', 'loso', '--smoke'])
}
else console.log('\n=== training smoke run: SKIPPED — no Python with PyTorch (Debian: apt-get install python3-torch python3-onnx python3-pil)')

vitest('unit')
if (step('build the deck', bin('slidev'), ['build'])) {
  passed++
  vitest('browser')
}
else { failed++; failures.push('build') }

console.log('')
if (failures.length) console.log(`failed: ${failures.join('; ')}`)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
