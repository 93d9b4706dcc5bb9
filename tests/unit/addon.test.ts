/**
 * The addon package as others install it: Slidev's addon conventions, every package its code imports
 * declared (so the tarball works outside this repository), every shipped file in its `files`, and the
 * README's component table in step with the components' props.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/manifest'

const ROOT = join(import.meta.dirname, '..', '..')
const ADDON = join(ROOT, 'packages', 'slidev-addon-under-the-hood')
const pkg = JSON.parse(readFileSync(join(ADDON, 'package.json'), 'utf8')) as {
  name: string
  keywords: string[]
  engines: Record<string, string>
  files: string[]
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile() && /\.(?:ts|vue)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map(e => join(e.parentPath, e.name))
}

/** The package a bare import names ('@scope/name/sub' → '@scope/name'), or undefined for relative ones. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('/') || spec.startsWith('server-reactive:'))
    return undefined
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

describe('slidev-addon-under-the-hood', () => {
  it('follows Slidev\'s addon conventions', () => {
    expect(pkg.name).toMatch(/^slidev-addon-/)
    expect(pkg.keywords).toContain('slidev-addon')
    expect(pkg.engines.slidev).toMatch(/\d/)
    for (const f of ['components', 'composables', 'demos', 'setup', 'styles', 'index.html', 'vite.config.ts'])
      expect(pkg.files, f).toContain(f)
  })

  it('declares every package its code imports', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)])
    // Provided by @slidev/cli (a peer), or Node-only: the Node runtime uses onnxruntime-node, which
    // transformers.js (a dependency) installs.
    const provided = new Set(['vite', '@slidev/client', '@slidev/types', 'onnxruntime-node'])
    const missing: string[] = []
    for (const file of [...sources(ADDON).filter(f => !f.includes('node_modules'))]) {
      const text = readFileSync(file, 'utf8')
      // static imports (import … from '…', import '…', export … from '…') and dynamic ones (import('…'))
      for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
        const name = packageOf((m[1] ?? m[2])!)
        if (name && !declared.has(name) && !provided.has(name))
          missing.push(`${file.slice(ADDON.length + 1)}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('ships the folder of every model its manifest serves from the package', () => {
    for (const [name, m] of Object.entries(MODELS)) {
      const from = m.from
      if ('folder' in from)
        expect(pkg.files.some(f => from.folder === f || from.folder.startsWith(`${f}/`)), name).toBe(true)
      else
        expect(pkg.dependencies[from.package], name).toBeDefined()
    }
  })

  it('the README documents every component with every prop it takes', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const f of readdirSync(join(ADDON, 'components')).filter(f => f.endsWith('.vue'))) {
      const name = f.replace(/\.vue$/, '')
      if (name === 'DemoFrame' || name === 'PixelImage')
        continue // the building blocks of the demos, not demos
      const row = readme.split('\n').find(l => l.startsWith(`| \`<${name}>\``))
      expect(row, `README row for <${name}>`).toBeDefined()
      const src = readFileSync(join(ADDON, 'components', f), 'utf8')
      const block = /defineProps<\{([\s\S]*?)\}>\(\)/.exec(src)?.[1] ?? ''
      const props = [...block.replace(/\/\*\*[\s\S]*?\*\//g, '').matchAll(/(\w+)\??\s*:/g)].map(m => m[1]!)
      expect(props.length, name).toBeGreaterThan(0)
      for (const p of props)
        expect(row, `<${name}> prop ${p}`).toContain(`\`${p}\``)
    }
  })
})
