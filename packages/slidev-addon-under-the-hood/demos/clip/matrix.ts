/**
 * The CLIP similarity matrix: prompts × images, cosine similarity of their embeddings, and for each prompt
 * a softmax over the images (CLIP's logit scale, capped at 100 in training, sharpens it). Pure maths;
 * the view feeds it embeddings from demos/clip/load.ts.
 */
export const MAX_PROMPTS = 12
export const MAX_IMAGES = 12
export const LOGIT_SCALE = 100

export function normalize(v: ArrayLike<number>): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  const n = Math.sqrt(s) || 1
  return Float32Array.from(v, x => x / n)
}

/** Cosine similarity of every text with every image: rows = texts, columns = images. */
export function cosineMatrix(texts: ArrayLike<number>[], images: ArrayLike<number>[]): number[][] {
  const t = texts.map(normalize)
  const im = images.map(normalize)
  return t.map(a => im.map((b) => {
    let s = 0
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
    return s
  }))
}

/** Softmax of each row at `scale` × cosine: "which image does this prompt pick". */
export function rowSoftmax(sims: number[][], scale = LOGIT_SCALE): number[][] {
  return sims.map((row) => {
    if (!row.length) return []
    const m = Math.max(...row)
    const e = row.map(s => Math.exp(scale * (s - m)))
    const z = e.reduce((a, b) => a + b, 0)
    return e.map(x => x / z)
  })
}

export const sameLabel = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

/**
 * Cleans the prompt list a person typed (one per line): blank lines dropped, long lines cut, at most
 * MAX_PROMPTS kept. Notes say what was changed.
 */
export function parsePrompts(text: string): { prompts: string[], notes: string[] } {
  const notes: string[] = []
  let lines = text.split(/\r?\n/).map(l => l.trim()).filter(Boolean)
  if (lines.some(l => l.length > 200)) {
    notes.push('Prompts longer than 200 characters are cut (the text encoder reads about 30 tokens).')
    lines = lines.map(l => l.slice(0, 200))
  }
  if (lines.length > MAX_PROMPTS) {
    notes.push(`${lines.length} prompts: the matrix shows the first ${MAX_PROMPTS}.`)
    lines = lines.slice(0, MAX_PROMPTS)
  }
  if (!lines.length) notes.push('Type at least one prompt, one per line.')
  return { prompts: lines, notes }
}
