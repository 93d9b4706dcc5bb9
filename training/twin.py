"""The apple twin: micro-diffusion's "red apple" at points of its own training (`npm run train -- twin`).

The talk shows Midjourney's "red apple" from V1 to V6. Its twin: one training run of micro-diffusion's
UNet (the shipped recipe, conditioned on the shipped micro-CLIP text encoder and shipped autoencoder),
with the EMA weights kept at about 1 %, 5 %, 20 %, 50 % and 100 % of the run. Each snapshot draws "red
apple" from the same seed with the deck's sampler settings; the pictures go to
public/images/apple-training/ with a record of how they were made (apples.json).

The frozen parts come from the shipped ONNX files, loaded back into the pipeline's torch modules and
checked against the parity files the export wrote (so the run needs no earlier checkpoints). The UNet of
this run is not exported: the deck's live demos keep using the shipped micro-diffusion.
"""
from __future__ import annotations

import json
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

import data as D
from clip_model import ClipConfig, MicroClip
from diffusion import PipelineError, TextCache, matches_clip_parity, sample, seeded_noise, train_unet
from diffusion_model import Vae, VaeConfig
from tokenizer import WordPiece
from train_clip import ClipData
from util import log

FRACTIONS = [0.01, 0.05, 0.2, 0.5, 1.0]
PROMPT, SEED, STEPS, GUIDANCE = "red apple", 7, 30, 4.0


def _inits(path: str) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}


def clip_from_onnx(folder: str) -> tuple[MicroClip, WordPiece]:
    """micro-CLIP's text tower and tokenizer from the exported files (a micro-CLIP folder, or the text
    encoder a micro-diffusion folder carries), checked against parity.json."""
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        vocab_map = json.load(f)["model"]["vocab"]
    vocab = [t for t, _ in sorted(vocab_map.items(), key=lambda kv: kv[1])]
    full = os.path.join(folder, "onnx", "model.onnx")
    w = _inits(full if os.path.exists(full) else os.path.join(folder, "onnx", "text_model.onnx"))
    model = MicroClip(ClipConfig(vocab_size=len(vocab)))
    sd = model.state_dict()
    # Named initializers map one to one; the linear layers were exported as MatMuls (transposed weights),
    # in the order the graph uses them: per block qkv, out, mlp.0, mlp.2; then the text projection.
    for k, v in w.items():
        name = k[2:] if k.startswith("m.") else None
        if name and name in sd and tuple(sd[name].shape) == v.shape:
            sd[name] = torch.from_numpy(v.copy())
    mats = sorted((k for k in w if k.startswith("onnx::MatMul_")), key=lambda k: int(k.split("_")[-1]))
    order = [f"text.blocks.{b}.{p}.weight" for b in range(model.cfg.text_layers) for p in ("attn.qkv", "attn.out", "mlp.0", "mlp.2")]
    order += ["text_proj.weight"]
    text_mats = [k for k in mats if w[k].shape[0] in (model.cfg.text_width, model.cfg.text_ff)][: len(order)]
    for name, k in zip(order, text_mats):
        if tuple(sd[name].shape) != w[k].T.shape:
            raise PipelineError(f"micro-CLIP's ONNX file does not have the layout this loader knows ({k} for {name})")
        sd[name] = torch.from_numpy(w[k].T.copy())
    model.load_state_dict(sd)
    model.eval().requires_grad_(False)
    tok = WordPiece(vocab, max_len=model.cfg.max_len)
    if not matches_clip_parity(model, tok, os.path.join(folder, "parity.json")):
        raise PipelineError(f"micro-CLIP rebuilt from {folder} does not match its parity.json")
    return model, tok


def text_from_onnx(folder: str) -> TextCache:
    """The conditioning a micro-diffusion's own text encoder gives its UNet (the context its parity file names)."""
    clip, tok = clip_from_onnx(folder)
    with open(os.path.join(folder, "parity.json")) as f:
        context = json.load(f).get("context", "states")
    return TextCache(clip, tok, context)


def vae_from_onnx(folder: str) -> Vae:
    """micro-diffusion's autoencoder from its two exported halves, checked against parity.json."""
    vae = Vae(VaeConfig())
    sd = vae.state_dict()
    for part in ("encoder", "decoder"):
        w = _inits(os.path.join(folder, "onnx", f"vae_{part}.onnx"))
        for k, v in w.items():
            if not k.startswith("vae."):
                continue
            name = k[4:]
            if name not in sd or tuple(sd[name].shape) != v.shape:
                raise PipelineError(f"vae_{part}.onnx has {k} {v.shape}, which this pipeline's autoencoder lacks")
            sd[name] = torch.from_numpy(v.copy())
        # The group norms were exported as a normalisation followed by Mul (gamma) and Add (beta), numbered
        # in the order the graph uses them, which is the modules' order.
        norms = [n for n, mod in getattr(vae, part).named_modules() if isinstance(mod, torch.nn.GroupNorm)]
        muls = sorted((k for k in w if k.startswith("onnx::Mul_")), key=lambda k: int(k.split("_")[-1]))
        adds = sorted((k for k in w if k.startswith("onnx::Add_")), key=lambda k: int(k.split("_")[-1]))
        if not (len(norms) == len(muls) == len(adds)):
            raise PipelineError(f"vae_{part}.onnx has {len(muls)} folded norms, the autoencoder {len(norms)}")
        for n, mk, ak in zip(norms, muls, adds):
            sd[f"{part}.{n}.weight"] = torch.from_numpy(w[mk].reshape(-1).copy())
            sd[f"{part}.{n}.bias"] = torch.from_numpy(w[ak].reshape(-1).copy())
    vae.load_state_dict(sd)
    vae.eval().requires_grad_(False)
    with open(os.path.join(folder, "parity.json")) as f:
        ref = json.load(f)["vae_decoder"]
    with torch.no_grad():
        z = torch.tensor(ref["latent"]).reshape(1, 4, 8, 8)
        if (vae.decoder(z).flatten() - torch.tensor(ref["sample"])).abs().max() > 1e-4:
            raise PipelineError(f"the autoencoder rebuilt from {folder} does not match its parity.json")
    return vae


def run(run_dir: str, cache_dir: str, models_dir: str, out_dir: str, steps: int, batch: int, seed: int) -> dict:
    text = text_from_onnx(os.path.join(models_dir, "micro-diffusion", "text_encoder"))
    vae = vae_from_onnx(os.path.join(models_dir, "micro-diffusion"))
    with open(os.path.join(models_dir, "micro-diffusion", "metrics.json")) as f:
        shipped = json.load(f)
    scale, x0_clip = shipped["scaling_factor"], shipped["x0_clip"]
    ds = ClipData(cache_dir, seed)
    twin_dir = os.path.join(run_dir, "twin")
    os.makedirs(twin_dir, exist_ok=True)
    keep = {max(1, round(f * steps)): f for f in FRACTIONS}
    snaps: dict[int, dict] = {}
    for s in keep:
        p = os.path.join(twin_dir, f"ema-{s:05d}.pt")
        if os.path.exists(p):
            snaps[s] = torch.load(p)

    def on_step(step: int, ema: torch.nn.Module) -> None:
        if step in keep and step not in snaps:
            snaps[step] = {k: v.clone() for k, v in ema.state_dict().items()}
            torch.save(snaps[step], os.path.join(twin_dir, f"ema-{step:05d}.pt.tmp"))
            os.replace(os.path.join(twin_dir, f"ema-{step:05d}.pt.tmp"), os.path.join(twin_dir, f"ema-{step:05d}.pt"))
            log(f"twin: kept the EMA weights at step {step} ({keep[step]:.0%})")

    unet, m = train_unet(twin_dir, ds, vae, scale, text, steps, batch, seed, on_step=on_step)
    from PIL import Image

    os.makedirs(out_dir, exist_ok=True)
    record = {"prompt": PROMPT, "seed": SEED, "sampler": "ddim", "steps": STEPS, "guidance": GUIDANCE,
              "run_steps": steps, "batch": batch, "train_seconds": m["unet_train_seconds"], "images": []}
    noise = seeded_noise(SEED)
    for s in sorted(keep):
        unet.load_state_dict(snaps[s])
        lat = sample(unet.eval(), text, [PROMPT], noise, steps=STEPS, guidance=GUIDANCE, x0_clip=x0_clip)
        with torch.no_grad():
            img = vae.decoder(lat / scale)[0]
        arr = ((img.clamp(-1, 1).permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()
        name = f"apple-{round(keep[s] * 100):03d}.png"
        Image.fromarray(arr).resize((arr.shape[1] * 6, arr.shape[0] * 6), Image.NEAREST).save(os.path.join(out_dir, name))
        record["images"].append({"file": name, "fraction": keep[s], "step": s})
        log(f"twin: {name} (step {s})")
    with open(os.path.join(out_dir, "apples.json"), "w") as f:
        json.dump(record, f, indent=2)
    return record


__all__ = ["clip_from_onnx", "text_from_onnx", "vae_from_onnx", "run"]
