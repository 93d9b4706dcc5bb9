/**
 * A small ONNX graph run on TensorFlow.js, so that gradients can flow through it (ONNX Runtime computes
 * forward only). The pipeline writes the graph as a list of operations and a float32 weights file
 * (training/export_tfjs.py); this runs exactly the operations our VAE decoder and CLIP image encoder use:
 * Conv, group norm (Reshape + InstanceNormalization), arithmetic, Sigmoid, Erf (GELU), nearest Resize,
 * ReduceMean, MatMul. Tensors are NCHW as in ONNX. Framework-free; takes the tf module it runs on.
 */
import type * as TF from '@tensorflow/tfjs'

export interface TensorSpec { name: string, dtype: 'float32' | 'int', shape: number[], offset?: number, length?: number, values?: number[] }
export interface NodeSpec { op: string, inputs: string[], outputs: string[], attrs: Record<string, unknown> }
export interface GraphSpec { inputs: string[], outputs: string[], weights: string, tensors: TensorSpec[], nodes: NodeSpec[] }

/** Integer values (shapes, axes) stay plain arrays; everything else is a tensor. */
type Value = TF.Tensor | number[]

export class UnsupportedOpError extends Error {
  constructor(op: string) {
    super(`The graph uses the operation "${op}", which this runner does not implement.`)
    this.name = 'UnsupportedOpError'
  }
}

export class TfGraph {
  private readonly consts = new Map<string, Value>()
  /** Conv weights in TensorFlow's layout ([kh, kw, in, out]), made once. */
  private readonly filters = new Map<string, TF.Tensor4D>()

  constructor(private readonly tf: typeof TF, readonly spec: GraphSpec, weights: ArrayBuffer) {
    for (const t of spec.tensors) {
      if (t.dtype === 'int')
        this.consts.set(t.name, t.values ?? [])
      else
        this.consts.set(t.name, tf.tensor(new Float32Array(weights, t.offset, t.length), t.shape, 'float32'))
    }
    for (const op of new Set(spec.nodes.map(n => n.op))) {
      if (!SUPPORTED.has(op)) throw new UnsupportedOpError(op)
    }
  }

  private filter(name: string, w: TF.Tensor): TF.Tensor4D {
    let f = this.filters.get(name)
    if (!f) this.filters.set(name, f = this.tf.keep(this.tf.transpose(w, [2, 3, 1, 0]) as TF.Tensor4D))
    return f
  }

  /** Runs the graph on its inputs (by name); returns its first output. Use inside tf.tidy or a gradient function. */
  run(inputs: Record<string, TF.Tensor>): TF.Tensor {
    const tf = this.tf
    const env = new Map<string, Value>(this.consts)
    for (const [k, v] of Object.entries(inputs)) env.set(k, v)
    const get = (name: string): Value => {
      const v = env.get(name)
      if (v === undefined) throw new Error(`graph value "${name}" is missing`)
      return v
    }
    const tensor = (name: string): TF.Tensor => {
      const v = get(name)
      return Array.isArray(v) ? tf.tensor(v) : v
    }
    const ints = (name: string): number[] => {
      const v = get(name)
      return Array.isArray(v) ? v : Array.from(v.dataSync(), Number)
    }
    for (const n of this.spec.nodes) {
      const a = n.attrs
      let out: Value
      switch (n.op) {
        case 'Conv': {
          const x = tensor(n.inputs[0]!)
          const w = tensor(n.inputs[1]!)
          const pads = (a.pads as number[] | undefined) ?? [0, 0, 0, 0]
          const strides = (a.strides as number[] | undefined) ?? [1, 1]
          if (((a.group as number | undefined) ?? 1) !== 1 || ((a.dilations as number[] | undefined) ?? [1, 1]).some(d => d !== 1))
            throw new UnsupportedOpError('Conv with groups or dilations')
          const nhwc = tf.transpose(x, [0, 2, 3, 1]) as TF.Tensor4D
          let y = tf.conv2d(nhwc, this.filter(n.inputs[1]!, w), [strides[0]!, strides[1]!],
            [[0, 0], [pads[0]!, pads[2]!], [pads[1]!, pads[3]!], [0, 0]])
          if (n.inputs[2]) y = tf.add(y, tensor(n.inputs[2])) as TF.Tensor4D
          out = tf.transpose(y, [0, 3, 1, 2])
          break
        }
        case 'Shape':
          out = [...tensor(n.inputs[0]!).shape]
          break
        case 'Reshape': {
          const x = tensor(n.inputs[0]!)
          const shape = ints(n.inputs[1]!).map((d, i) => (d === 0 ? x.shape[i]! : d))
          out = tf.reshape(x, shape)
          break
        }
        case 'InstanceNormalization': {
          const x = tensor(n.inputs[0]!)
          const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2)
          const { mean, variance } = tf.moments(x, axes, true)
          const bc = [1, x.shape[1]!, ...axes.map(() => 1)]
          const eps = (a.epsilon as number | undefined) ?? 1e-5
          out = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), tf.reshape(tensor(n.inputs[1]!), bc)), tf.reshape(tensor(n.inputs[2]!), bc))
          break
        }
        case 'Add': out = tf.add(tensor(n.inputs[0]!), tensor(n.inputs[1]!)); break
        case 'Sub': out = tf.sub(tensor(n.inputs[0]!), tensor(n.inputs[1]!)); break
        case 'Mul': out = tf.mul(tensor(n.inputs[0]!), tensor(n.inputs[1]!)); break
        case 'Div': out = tf.div(tensor(n.inputs[0]!), tensor(n.inputs[1]!)); break
        case 'Pow': out = tf.pow(tensor(n.inputs[0]!), tensor(n.inputs[1]!)); break
        case 'Sqrt': out = tf.sqrt(tensor(n.inputs[0]!)); break
        case 'Sigmoid': out = tf.sigmoid(tensor(n.inputs[0]!)); break
        case 'Erf': out = tf.erf(tensor(n.inputs[0]!)); break
        case 'MatMul': out = tf.matMul(tensor(n.inputs[0]!) as TF.Tensor2D, tensor(n.inputs[1]!) as TF.Tensor2D); break
        case 'ReduceMean': {
          const x = tensor(n.inputs[0]!)
          const axes = (a.axes as number[] | undefined) ?? (n.inputs[1] ? ints(n.inputs[1]) : Array.from({ length: x.rank }, (_, i) => i))
          out = tf.mean(x, axes, ((a.keepdims as number | undefined) ?? 1) === 1)
          break
        }
        case 'Resize': {
          // nearest-neighbour upsampling by whole factors (what the decoder's Upsample(scale 2) exports to)
          const x = tensor(n.inputs[0]!)
          if (a.mode !== 'nearest') throw new UnsupportedOpError(`Resize (${String(a.mode)})`)
          const scales = Array.from(tensor(n.inputs[2]!).dataSync())
          const [fh, fw] = [scales[2]!, scales[3]!]
          if (scales[0] !== 1 || scales[1] !== 1 || !Number.isInteger(fh) || !Number.isInteger(fw))
            throw new UnsupportedOpError('Resize by a fraction')
          const [, , h, w] = x.shape as [number, number, number, number]
          // asymmetric coordinates, floor: pixel i of the output is pixel ⌊i / factor⌋ of the input
          const up = tf.image.resizeNearestNeighbor(tf.transpose(x, [0, 2, 3, 1]) as TF.Tensor4D, [h * fh, w * fw], false, false)
          out = tf.transpose(up, [0, 3, 1, 2])
          break
        }
        default: throw new UnsupportedOpError(n.op)
      }
      env.set(n.outputs[0]!, out)
    }
    return tensor(this.spec.outputs[0]!)
  }

  dispose(): void {
    for (const v of this.consts.values()) if (!Array.isArray(v)) v.dispose()
    for (const f of this.filters.values()) f.dispose()
  }
}

const SUPPORTED = new Set(['Conv', 'Shape', 'Reshape', 'InstanceNormalization', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Sigmoid', 'Erf', 'MatMul', 'ReduceMean', 'Resize'])
