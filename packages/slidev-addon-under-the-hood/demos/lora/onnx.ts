/**
 * Just enough of the ONNX file format (a protobuf ModelProto) to find the weights of a model's matrix
 * multiplications and rewrite them in place: where each float32 initializer's bytes are, and which
 * module a MatMul belongs to. PyTorch's exporter names a MatMul node after its module
 * ('/unet/a0/self_attn/q/MatMul') and stores the Linear's weight transposed, [in, out].
 *
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5;
 * NodeProto.input = 1, .name = 3, .op_type = 4; TensorProto.dims = 1, .data_type = 2, .float_data = 4,
 * .name = 8, .raw_data = 9 (data_type 1 is FLOAT).
 */

export interface OnnxWeight {
  name: string
  dims: number[]
  /** Where the little-endian float32 values are in the file. */
  offset: number
  byteLength: number
}

class Reader {
  pos: number
  constructor(readonly b: Uint8Array, start: number, readonly end: number) {
    this.pos = start
  }

  varint(): number {
    let x = 0
    let mul = 1
    for (;;) {
      if (this.pos >= this.end) throw new Error('ONNX file: truncated number')
      const c = this.b[this.pos++]!
      x += (c & 0x7F) * mul
      if (c < 0x80) return x
      mul *= 128
    }
  }

  /** Each field of the message: its number, wire type, and (for length-delimited ones) its span. */
  *fields(): Generator<{ field: number, wire: number, start: number, end: number, value: number }> {
    while (this.pos < this.end) {
      const key = this.varint()
      const field = Math.floor(key / 8)
      const wire = key & 7
      if (wire === 0) {
        const value = this.varint()
        yield { field, wire, start: this.pos, end: this.pos, value }
      }
      else if (wire === 2) {
        const len = this.varint()
        const start = this.pos
        if (start + len > this.end) throw new Error('ONNX file: a field runs past the end')
        this.pos += len
        yield { field, wire, start, end: start + len, value: len }
      }
      else if (wire === 1) { this.pos += 8 }
      else if (wire === 5) { this.pos += 4 }
      else { throw new Error(`ONNX file: unknown wire type ${wire}`) }
    }
  }
}

const text = (b: Uint8Array, s: number, e: number) => new TextDecoder().decode(b.subarray(s, e))

/** '/unet/a0/ff/ff.0/MatMul' → 'a0.ff.0' (the module path, without the top-level wrapper). */
export function moduleOfNode(nodeName: string): string {
  const parts = nodeName.replace(/^\/+/, '').split('/').slice(1, -1)
  const out: string[] = []
  for (const p of parts) {
    if (out.length && p.startsWith(`${out[out.length - 1]}.`)) out[out.length - 1] = p
    else out.push(p)
  }
  return out.join('.')
}

/** The float32 initializers of an ONNX file, by name. */
export function onnxInitializers(bytes: Uint8Array): { weights: Map<string, OnnxWeight>, matmuls: Map<string, string> } {
  const weights = new Map<string, OnnxWeight>()
  const matmuls = new Map<string, string>() // module → initializer name
  let graph: [number, number] | undefined
  for (const f of new Reader(bytes, 0, bytes.length).fields()) if (f.field === 7 && f.wire === 2) graph = [f.start, f.end]
  if (!graph) throw new Error('ONNX file: no graph (is this an .onnx file?)')
  for (const f of new Reader(bytes, graph[0], graph[1]).fields()) {
    if (f.wire !== 2) continue
    if (f.field === 5) {
      let name = ''
      const dims: number[] = []
      let type = 0
      let data: [number, number] | undefined
      for (const t of new Reader(bytes, f.start, f.end).fields()) {
        if (t.field === 1 && t.wire === 0) dims.push(t.value)
        else if (t.field === 1 && t.wire === 2) { const r = new Reader(bytes, t.start, t.end); while (r.pos < r.end) dims.push(r.varint()) }
        else if (t.field === 2 && t.wire === 0) type = t.value
        else if (t.field === 8 && t.wire === 2) name = text(bytes, t.start, t.end)
        else if ((t.field === 9 || t.field === 4) && t.wire === 2) data = [t.start, t.end]
      }
      if (type === 1 && data && data[1] - data[0] === 4 * dims.reduce((a, b) => a * b, 1))
        weights.set(name, { name, dims, offset: data[0], byteLength: data[1] - data[0] })
    }
    else if (f.field === 1) {
      const inputs: string[] = []
      let name = ''
      let op = ''
      for (const n of new Reader(bytes, f.start, f.end).fields()) {
        if (n.wire !== 2) continue
        if (n.field === 1) inputs.push(text(bytes, n.start, n.end))
        else if (n.field === 3) name = text(bytes, n.start, n.end)
        else if (n.field === 4) op = text(bytes, n.start, n.end)
      }
      if (op === 'MatMul' && inputs[1]) matmuls.set(moduleOfNode(name), inputs[1])
    }
  }
  return { weights, matmuls }
}

/** The weight of each MatMul whose second input is a stored float32 matrix, by module ('a0.self_attn.q'). */
export function onnxMatMulWeights(bytes: Uint8Array): Map<string, OnnxWeight> {
  const { weights, matmuls } = onnxInitializers(bytes)
  const out = new Map<string, OnnxWeight>()
  for (const [module, init] of matmuls) {
    const w = weights.get(init)
    if (w) out.set(module, w)
  }
  return out
}

export function readFloats(bytes: Uint8Array, w: OnnxWeight): Float32Array {
  return new Float32Array(bytes.slice(w.offset, w.offset + w.byteLength).buffer)
}

export function writeFloats(bytes: Uint8Array, w: OnnxWeight, values: Float32Array): void {
  if (values.length * 4 !== w.byteLength) throw new Error(`ONNX file: ${w.name} holds ${w.byteLength / 4} numbers, not ${values.length}`)
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), w.offset)
}
