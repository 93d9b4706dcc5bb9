/**
 * Makes Slidev's exporter wait until the whole handout is there.
 *
 * Why: the exporter (`slidev export`) opens the print page, counts the elements marked `data-waitfor`
 * and the slides' loading placeholders once, waits for those, and prints. Slides are loaded lazily and
 * Slidev shows a slide's placeholder only after 300 ms; on a cold Vite cache (a fresh checkout) loading
 * them takes seconds, so the exporter counted nothing, waited for nothing, and printed blank pages.
 *
 * How: index.html carries a row of gates, each marked `data-waitfor`, present before any slide exists.
 * They open (their `.open` child appears) when every slide has rendered and every demo has computed its
 * print state. Each of the exporter's waits times out after 30 s, so while the deck is still incomplete
 * the gates open one by one every STAGE_MS and the last one only when it is complete: the exporter
 * waits for completeness up to about GATES × STAGE_MS, and goes on as soon as the handout is whole.
 */

export const STAGE_MS = 20_000

/** What the print page still lacks (empty when complete). */
export function printMissing(doc: Document, total: number): string[] {
  const slides = [...doc.querySelectorAll('.print-slide-container')]
  const missing: string[] = []
  if (slides.length < total) missing.push(`${total - slides.length} slides not mounted`)
  slides.forEach((s, i) => {
    if (!s.querySelector('.slidev-layout') || s.querySelector('.slidev-slide-loading')) missing.push(`slide ${i + 1} not loaded`)
  })
  doc.querySelectorAll('.demo-frame').forEach((f) => {
    if (!f.querySelector('.demo-print-ready')) missing.push(`demo "${f.getAttribute('data-demo')}" computing`)
  })
  return missing
}

/** Opens the gates as the print page completes; returns a function that stops watching. */
export function watchPrintGates(doc: Document, total: () => number): () => void {
  const row = doc.getElementById('uth-print-gates')
  // At the end of the page they would sit after the last slide's page break and print a blank page.
  if (row) doc.body.prepend(row)
  const gates = [...doc.querySelectorAll('#uth-print-gates > [data-waitfor]')]
  const started = performance.now()
  const open = (g: Element) => {
    if (!g.querySelector('.open')) g.append(Object.assign(doc.createElement('b'), { className: 'open' }))
  }
  const timer = setInterval(() => {
    const missing = printMissing(doc, total())
    const complete = missing.length === 0
    const stages = Math.floor((performance.now() - started) / STAGE_MS)
    gates.forEach((g, k) => { if (complete || (k < gates.length - 1 && k < stages)) open(g) })
    doc.documentElement.dataset.printMissing = missing.slice(0, 5).join('; ')
    if (complete) clearInterval(timer)
  }, 200)
  return () => clearInterval(timer)
}
