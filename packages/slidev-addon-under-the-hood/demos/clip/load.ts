/**
 * A CLIP model in the browser through transformers.js: tokenizer, text and vision encoders with
 * projection, image processor. The same code loads our micro-CLIP or a full-size CLIP folder a presenter
 * put under public/models/ beforehand (e.g. Xenova/clip-vit-base-patch32).
 */
import { loadModel, loadTransformers, modelFileUrl, transformersOptions, wrapLoad } from '../runtime'

export interface ClipEncoders {
  /** Side of the square image the model takes (its processor's crop size). */
  imageSize: number
  embedTexts: (texts: string[]) => Promise<Float32Array[]>
  /** The tokenizer's pieces of a text ("watercolor" → "water", "##c", …). */
  pieces: (text: string) => string[]
  /** Embeds square RGBA images (already composited, alpha 255) of side imageSize. */
  embedImages: (images: Uint8ClampedArray[]) => Promise<Float32Array[]>
}

/** One copy per window, shared by the projector, the CLIP matrix and the bias probe. */
export function loadClip(demo: string, model = 'micro-clip', onProgress?: (v: number) => void): Promise<ClipEncoders> {
  return loadModel('clip', model, demo, () => load(demo, model, onProgress))
}

async function load(demo: string, model: string, onProgress?: (v: number) => void): Promise<ClipEncoders> {
  const pre = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'preprocessor_config.json'))).json() as Promise<{
    crop_size?: { height?: number } | number
    size?: { shortest_edge?: number } | number
    image_mean?: number[]
    image_std?: number[]
  }>)
  const crop = typeof pre.crop_size === 'number' ? pre.crop_size : pre.crop_size?.height
  const imageSize = crop ?? (typeof pre.size === 'number' ? pre.size : pre.size?.shortest_edge) ?? 224
  const t = await loadTransformers()
  const opts = await transformersOptions(demo, undefined, onProgress)
  // Images arrive already cropped and resized to the model's input size (demos/images), so preprocessing is
  // only the processor's normalisation, done here in one pass (the processor's own resize path is slower).
  const mean = pre.image_mean ?? [0.48145466, 0.4578275, 0.40821073]
  const std = pre.image_std ?? [0.26862954, 0.26130258, 0.27577711]
  const [tok, text, vision] = await Promise.all([
    wrapLoad(model, () => t.AutoTokenizer.from_pretrained(model)),
    wrapLoad(model, () => t.CLIPTextModelWithProjection.from_pretrained(model, opts)),
    wrapLoad(model, () => t.CLIPVisionModelWithProjection.from_pretrained(model, opts)),
  ])
  const rows = (data: Float32Array, n: number) => Array.from({ length: n }, (_, i) => data.slice((i * data.length) / n, ((i + 1) * data.length) / n))
  return {
    imageSize,
    pieces: text => (tok as unknown as { tokenize: (t: string) => string[] }).tokenize(text),
    async embedTexts(texts) {
      if (!texts.length) return []
      const inputs = tok(texts, { padding: true, truncation: true })
      const out = await text(inputs)
      return rows(out.text_embeds.data as Float32Array, texts.length)
    },
    async embedImages(images) {
      if (!images.length) return []
      const px = imageSize * imageSize
      const data = new Float32Array(images.length * 3 * px)
      images.forEach((img, k) => {
        for (let i = 0; i < px; i++)
          for (let c = 0; c < 3; c++) data[(k * 3 + c) * px + i] = (img[i * 4 + c]! / 255 - mean[c]!) / std[c]!
      })
      const out = await vision({ pixel_values: new t.Tensor('float32', data, [images.length, 3, imageSize, imageSize]) })
      return rows(out.image_embeds.data as Float32Array, images.length)
    },
  }
}
