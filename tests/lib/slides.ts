/** The deck's slides as Slidev itself parses them (titles, notes, content). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from '@slidev/parser'

export interface SlideInfo { no: number, heading: string, note: string, content: string, frontmatter: Record<string, unknown> }

export async function deckSlides(root = join(import.meta.dirname, '..', '..')): Promise<SlideInfo[]> {
  const md = readFileSync(join(root, 'slides.md'), 'utf8')
  const parsed = await parse(md, join(root, 'slides.md'))
  return parsed.slides.map((s, i) => ({
    no: i + 1,
    heading: /^#\s+(.+)$/m.exec(s.content)?.[1]?.trim() ?? '',
    note: (s.note ?? '').trim(),
    content: s.content,
    frontmatter: (s.frontmatter ?? {}) as Record<string, unknown>,
  }))
}
