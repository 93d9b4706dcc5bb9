// Finds a Chromium for browser tests and PDF export; installs Debian's when possible.
// Order: $CHROME_PATH, the system's chromium / google-chrome, Playwright's browser cache.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']

function fromPlaywrightCache() {
  const dir = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright')
  if (!existsSync(dir)) return null
  for (const d of readdirSync(dir).filter(d => d.startsWith('chromium')).sort().reverse()) {
    for (const rel of ['chrome-linux/chrome', 'chrome-linux64/chrome', 'chrome-headless-shell-linux64/chrome-headless-shell']) {
      const p = join(dir, d, rel)
      if (existsSync(p)) return p
    }
  }
  return null
}

export function findChromium() {
  if (process.env.CHROME_PATH && existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH
  for (const p of SYSTEM) if (existsSync(p)) return p
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim()
  }
  return fromPlaywrightCache()
}

const HOW = 'No Chromium found: install one (Debian/Ubuntu: sudo apt-get install -y chromium fonts-noto-color-emoji poppler-utils) or set CHROME_PATH to a Chrome/Chromium binary.'

/** Returns a Chromium path, installing Debian's chromium when running as root with apt-get. */
export function ensureChromium({ log = console.log } = {}) {
  const found = findChromium()
  if (found) return found
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
  if (isRoot && hasApt) {
    log('No Chromium found; installing Debian packages chromium, fonts-noto-color-emoji, poppler-utils …')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-noto-color-emoji', 'poppler-utils'], { stdio: 'inherit', env })
    const after = findChromium()
    if (after) return after
  }
  throw new Error(HOW)
}

/** Launch arguments that keep Chromium from reaching out to the network on its own. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-domain-reliability', '--disable-breakpad',
  '--metrics-recording-only', '--disable-features=Translate,OptimizationHints,MediaRouter']

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  try { console.log(ensureChromium()) }
  catch (e) { console.error(e.message); process.exit(1) }
}
