/** Images are recognised by their bytes, not by the name or content type a server or a file claims. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkImageFile, sniffImageType } from '../../packages/slidev-addon-under-the-hood/demos/images/decode'

const root = join(import.meta.dirname, '..', '..')
const head = (bytes: Uint8Array | Buffer) => new Uint8Array(bytes.subarray(0, 512))

describe('image type from content', () => {
  it('knows the shipped PNG and JPEG files by their bytes', () => {
    expect(sniffImageType(head(readFileSync(join(root, 'packages', 'slidev-addon-under-the-hood', 'images', 'emoji', '1f34e.png'))))).toBe('image/png')
    expect(sniffImageType(head(readFileSync(join(root, 'node_modules', '@stdlib', 'datasets-img-locomotion-house-cat', 'data', 'image.jpg'))))).toBe('image/jpeg')
  })

  it('knows GIF, WebP, BMP, AVIF and SVG headers, and refuses text and empty files', () => {
    const bytes = (s: string) => new TextEncoder().encode(s)
    expect(sniffImageType(bytes('GIF89a....'))).toBe('image/gif')
    expect(sniffImageType(bytes('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp')
    expect(sniffImageType(bytes('BM6\0\0\0'))).toBe('image/bmp')
    expect(sniffImageType(bytes('\0\0\0\x1cftypavif'))).toBe('image/avif')
    expect(sniffImageType(bytes('  <svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml')
    expect(sniffImageType(bytes('<?xml version="1.0"?><svg/>'))).toBe('image/svg+xml')
    expect(sniffImageType(bytes('INT. NIGHT. A whale.'))).toBeNull()
    expect(sniffImageType(bytes('<?xml version="1.0"?><note/>'))).toBeNull()
    expect(sniffImageType(new Uint8Array())).toBeNull()
  })

  it('judges a file by its size alone before its bytes are read', () => {
    expect(checkImageFile({ name: 'a', size: 0 })).toMatch(/empty/)
    expect(checkImageFile({ name: 'a', size: 80 * 1024 * 1024 })).toMatch(/80 MB/)
    expect(checkImageFile({ name: 'a', size: 1000 })).toBeNull()
  })
})
