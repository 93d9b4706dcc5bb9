"""
Graphs for differentiating in the browser: the ONNX files of micro-diffusion's VAE decoder and micro-CLIP's
image encoder, rewritten as a list of operations (JSON) and their weights (one float32 file), which
demos/guided/graph.ts runs on TensorFlow.js. TensorFlow.js can take gradients through them, which ONNX
Runtime cannot: CLIP-guided generation follows the gradient of CLIP's similarity back to the latent.
Nothing is retrained: the weights are the ONNX files' own, and the tests check both give the same numbers.
"""
from __future__ import annotations

import json
import os

GRAPHS = [("micro-diffusion", "vae_decoder"), ("micro-clip", "vision_model")]


def convert(onnx_path: str, out_dir: str, name: str) -> dict:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(onnx_path)
    g = model.graph
    weights: list[bytes] = []
    offset = 0
    tensors = []

    def add(tname: str, arr) -> None:
        nonlocal offset
        if arr.dtype.kind in "iu":  # shapes, axes, scales' integer cousins: small, kept in the JSON
            tensors.append({"name": tname, "dtype": "int", "shape": list(arr.shape), "values": arr.astype(np.int64).flatten().tolist()})
            return
        data = arr.astype("<f4").tobytes()
        tensors.append({"name": tname, "dtype": "float32", "shape": list(arr.shape), "offset": offset, "length": arr.size})
        weights.append(data)
        offset += len(data)

    for init in g.initializer:
        add(init.name, numpy_helper.to_array(init))
    nodes = []
    for n in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Constant":
            add(n.output[0], numpy_helper.to_array(attrs["value"]))
            continue
        clean = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
        nodes.append({"op": n.op_type, "inputs": list(n.input), "outputs": list(n.output), "attrs": clean})
    os.makedirs(out_dir, exist_ok=True)
    spec = {"about": f"{os.path.basename(onnx_path)} as operations for TensorFlow.js (training/export_tfjs.py)",
            "opset": [o.version for o in model.opset_import], "inputs": [i.name for i in g.input],
            "outputs": [o.name for o in g.output], "weights": f"{name}.bin", "tensors": tensors, "nodes": nodes}
    tmp = os.path.join(out_dir, f".{name}.tmp")
    with open(tmp + ".bin", "wb") as f:
        f.write(b"".join(weights))
    with open(tmp + ".json", "w") as f:
        json.dump(spec, f)
    os.replace(tmp + ".bin", os.path.join(out_dir, f"{name}.bin"))
    os.replace(tmp + ".json", os.path.join(out_dir, f"{name}.json"))
    return {"nodes": len(nodes), "bytes": offset}


def run(models_dir: str, log) -> None:
    from diffusion import PipelineError

    for model, name in GRAPHS:
        src = os.path.join(models_dir, model, "onnx", f"{name}.onnx")
        if not os.path.exists(src):
            raise PipelineError(f"{src} is missing: export {model} first")
        r = convert(src, os.path.join(models_dir, model, "tfjs"), name)
        log(f"tfjs: {model}/tfjs/{name}.json, {r['nodes']} operations, {r['bytes'] / 1e6:.1f} MB of weights")
