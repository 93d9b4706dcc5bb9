/** RGBA pixels → a PNG data URL (what <img> and SVG <image> show, and what prints). The one canvas helper of the demos. */

let canvas: HTMLCanvasElement | undefined

export function rgbaToDataUrl(rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height = width): string {
  canvas ??= document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0)
  return canvas.toDataURL('image/png')
}
