/** The deck's slides as Slidev itself parses them (titles, notes, content). */
import { join } from 'node:path'
import { load } from '@slidev/parser/fs'

export interface SlideInfo { no: number, heading: string, note: string, content: string, frontmatter: Record<string, unknown> }

export async function deckSlides(root = join(import.meta.dirname, '..', '..')): Promise<SlideInfo[]> {
  // slides.md imports one file per section (`src:`); load() follows the imports as Slidev does.
  const deck = await load({ roots: [root], userRoot: root }, join(root, 'slides.md'))
  return deck.slides.map((s, i) => ({
    no: i + 1,
    heading: /^#\s+(.+)$/m.exec(s.content)?.[1]?.trim() ?? '',
    note: (s.note ?? '').trim(),
    content: s.content,
    frontmatter: (s.frontmatter ?? {}) as Record<string, unknown>,
  }))
}
