/**
 * The packed addon (`npm pack`) installs from its tarball into an empty deck with @slidev/cli, builds,
 * and opens: the deck holds a copy of the fixture's slides.md and nothing else of this repository. The
 * install uses the npm registry (or npm's cache), as `npm ci` does.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deck } from '../lib/deck'
import { openDeck, ready, ROOT, watchedPage } from '../lib/deck'

const ADDON = join(ROOT, 'packages', 'slidev-addon-under-the-hood')
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'outside-deck')

function run(cmd: string, args: string[], cwd: string, timeout = 900_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_loglevel: 'error' } })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${String(r.error)}` : ''}` }
}

describe('the npm pack tarball in an empty deck', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'uth-pack-'))
  const deckDir = join(tmp, 'deck')
  const slidev = join(deckDir, 'node_modules', '.bin', 'slidev')
  let deck: Deck | undefined

  beforeAll(() => {
    const packed = run('npm', ['pack', '--json', '--pack-destination', tmp], ADDON)
    if (!packed.ok)
      throw new Error(`npm pack failed:${packed.out}`)
    const tarball = join(tmp, (JSON.parse(packed.out.slice(packed.out.indexOf('['))) as { filename: string }[])[0]!.filename)
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>, devDependencies: Record<string, string>, overrides: Record<string, string> }
    mkdirSync(join(deckDir, 'public'), { recursive: true })
    writeFileSync(join(deckDir, 'package.json'), JSON.stringify({
      name: 'a-deck-of-its-own',
      private: true,
      type: 'module',
      dependencies: {
        '@slidev/cli': root.dependencies['@slidev/cli'],
        '@slidev/theme-default': root.devDependencies['@slidev/theme-default'],
        'vue': root.dependencies.vue,
        'slidev-addon-under-the-hood': `file:${tarball}`,
      },
      // Only because the registry these machines use lacks a few versions Slidev pulls in (see the README).
      overrides: root.overrides,
    }, null, 2))
    // transformers.js depends on onnxruntime-node, whose install script would download CUDA libraries.
    writeFileSync(join(deckDir, '.npmrc'), 'onnxruntime-node-install=skip\n')
    copyFileSync(join(FIXTURE, 'slides.md'), join(deckDir, 'slides.md'))
    copyFileSync(join(FIXTURE, 'public', 'favicon.svg'), join(deckDir, 'public', 'favicon.svg'))
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], deckDir)
    if (!installed.ok)
      throw new Error(`npm install of the tarball failed:${installed.out}`)
  }, 1_200_000)

  afterAll(async () => {
    await deck?.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('installs as a real package, not a link into this repository', () => {
    const installed = join(deckDir, 'node_modules', 'slidev-addon-under-the-hood')
    expect(lstatSync(installed).isSymbolicLink()).toBe(false)
    expect(realpathSync(installed).startsWith(ROOT)).toBe(false)
    for (const f of ['vite.config.ts', 'components/ReverseDiffusion.vue', 'models/micro-diffusion/onnx/unet.onnx', 'models/micro-clip/README.md'])
      expect(existsSync(join(installed, f)), f).toBe(true)
  })

  it('builds, opens, and its demos reach their ready state offline', async () => {
    const built = run(slidev, ['build'], deckDir, 300_000)
    expect(built.ok, built.out).toBe(true)
    deck = await openDeck({ dist: join(deckDir, 'dist') })
    const w = await watchedPage(deck)
    for (const no of [1, 2, 3]) {
      await w.page.goto(`${deck.url}/${no}?backend=wasm`)
      await ready(w.page, no)
    }
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })

  it('says so at start-up when the installed Slidev is outside the addon\'s range', () => {
    const pkgFile = join(deckDir, 'node_modules', 'slidev-addon-under-the-hood', 'package.json')
    const original = readFileSync(pkgFile, 'utf8')
    const pkg = JSON.parse(original) as { engines: Record<string, string> }
    pkg.engines.slidev = '>=99.0.0'
    writeFileSync(pkgFile, JSON.stringify(pkg))
    try {
      const r = run(slidev, ['build', '--out', 'dist-unsupported'], deckDir, 300_000)
      expect(r.ok).toBe(false)
      expect(r.out).toMatch(/addon "under-the-hood" requires Slidev version range ">=99\.0\.0" but found "52\./)
    }
    finally {
      writeFileSync(pkgFile, original)
    }
  })
})
