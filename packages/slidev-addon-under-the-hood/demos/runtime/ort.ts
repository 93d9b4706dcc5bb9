/**
 * The parts of ONNX Runtime the engines use, as types: onnxruntime-web in the browser (./index.ts),
 * onnxruntime-node in Node (./node.ts). Engines are handed these and never import a runtime themselves.
 */
export interface TensorLike { data: unknown, dims: readonly number[] }
export interface OrtLike {
  Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]) => unknown
}
export interface SessionLike {
  run: (feeds: Record<string, unknown>) => Promise<Record<string, TensorLike>>
}
