"""LoRA: teaching the shipped micro-diffusion a subject it has never seen (`npm run train -- lora`).

DreamBooth's idea (Ruiz et al. 2022: bind a new word to a subject from a handful of pictures) at LoRA's
cost (Hu et al. 2021: freeze every weight W; learn a low-rank change W + (α/r)·B·A). The subject is one
emoji of the held-out split, never seen by micro-CLIP or micro-diffusion, bound to a made-up trigger word.
Its whole training set is the emoji's own art: the Noto and the Twemoji picture, and their mirror images.
Half of every batch is ordinary training-split art with its usual captions ("prior preservation"), so
the adapter learns the new word without forgetting the old ones.

The adapter sits on every attention projection of the UNet (q, k, v and out, self- and cross-attention,
in all seven transformer blocks). Everything else, the text encoder and the autoencoder included, is the
shipped model, loaded back from its ONNX files and checked against their parity files.

Choices are made on validation seeds only (learning rate and length of training, per rank); the test
seeds are drawn once, for the card. The measure is independent of the model that conditioned the
pictures: each generated picture's nearest art in pixel space, among all training-split art and the
subject's art.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import struct

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

import data as D
from diffusion import T, UNCOND_DROPOUT, PipelineError, TextCache, encode_latents, noise_loss, sample, seeded_noise
from diffusion_model import UNet, UNetConfig, cosine_alpha_bar, count_params
from train_clip import ClipData, to_pixels
from twin import text_from_onnx, vae_from_onnx
from loop import TrainLoop
from util import MODEL_DATA, StagingDir, cosine_lr, log, optimizer_step, provenance, wilson, write_licences

SUBJECT = "panda face"  # held out of every model's training; not one of micro-diffusion's 10 held-out eval prompts
TRIGGER = "zumi"  # a made-up word: micro-CLIP spells it z ##u ##m ##i
BLOCKS = ["a0", "a1a", "a1b", "ma", "ua1a", "ua1b", "ua0a"]
TARGETS = [f"{b}.{a}.{p}" for b in BLOCKS for a in ("self_attn", "cross_attn") for p in ("q", "k", "v", "out")]
ALPHA = 4.0
VAL_SEEDS = list(range(1000, 1024))
TEST_SEEDS = list(range(5000, 5048))
DRIFT_PROMPTS = ["red apple", "cat face", "pizza", "rocket", "snowman", "sun"]
PARITY_LAYER = "ma.cross_attn.v"
STEPS = 30  # the guidance weight is the base's default (its config.json), as the deck draws


# ------------------------------------------------------------------------------ the base, from ONNX
def _module_of(node_name: str) -> str:
    """'/unet/a0/ff/ff.0/MatMul' -> 'a0.ff.0': the module path torch wrote into the node's name."""
    parts = node_name.strip("/").split("/")[1:-1]
    out: list[str] = []
    for p in parts:
        if out and p.startswith(out[-1] + "."):
            out[-1] = p
        else:
            out.append(p)
    return ".".join(out)


def unet_from_onnx(folder: str, text: TextCache) -> tuple[UNet, str]:
    """The shipped UNet rebuilt from onnx/unet.onnx (checked against parity.json), and the file's sha256."""
    path = os.path.join(folder, "onnx", "unet.onnx")
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    model = onnx.load(path)
    w = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    with open(os.path.join(folder, "config.json")) as f:
        arch = dict(json.load(f)["unet"])
    arch["channels"] = tuple(arch["channels"])
    unet = UNet(UNetConfig(**arch))
    sd = unet.state_dict()
    done = set()
    for k, v in w.items():
        if k.startswith("unet.") and k[5:] in sd:
            sd[k[5:]] = torch.from_numpy(v.copy())
            done.add(k[5:])
    for node in model.graph.node:
        for i in node.input:
            if not i.startswith("onnx::") or i not in w:
                continue
            mod = _module_of(node.name)
            kind = {"MatMul": "weight", "Mul": "weight", "Add": "bias"}.get(node.op_type)
            name = f"{mod}.{kind}"
            if kind is None or name not in sd:
                raise PipelineError(f"unet.onnx: {i} feeds {node.name}, which this pipeline's UNet does not have")
            v = w[i].T if node.op_type == "MatMul" else w[i].reshape(-1)
            if tuple(sd[name].shape) != v.shape:
                raise PipelineError(f"unet.onnx: {i} has shape {v.shape}, {name} needs {tuple(sd[name].shape)}")
            sd[name] = torch.from_numpy(np.array(v, dtype=np.float32))
            done.add(name)
    missing = set(sd) - done
    if missing:
        raise PipelineError(f"unet.onnx lacks {len(missing)} of the UNet's weights ({sorted(missing)[:3]} …)")
    unet.load_state_dict(sd)
    unet.eval().requires_grad_(False)
    with open(os.path.join(folder, "parity.json")) as f:
        ref = json.load(f)["unet"]
    ctx, mask, pooled = text(ref["prompts"])
    with torch.no_grad():
        eps = unet(torch.tensor(ref["sample"]).reshape(-1, 4, 8, 8), torch.tensor(ref["timestep"]), ctx, mask, pooled)
    if (eps.flatten() - torch.tensor(ref["noise_pred"])).abs().max() > 1e-4:
        raise PipelineError(f"the UNet rebuilt from {folder} does not match its parity.json")
    return unet, sha


# ------------------------------------------------------------------------------------------- LoRA
class LoraLinear(nn.Module):
    """y = W·x (+ b) + s·(α/r)·B·(A·x): W frozen; A [r, in] starts random, B [out, r] starts at zero, so
    training starts from the untouched base. `strength` s is the deck's slider (0 = the base exactly)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base, self.rank, self.alpha, self.strength = base, rank, alpha, 1.0
        self.A = nn.Parameter(torch.empty(rank, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x):
        y = self.base(x)
        if self.strength == 0:
            return y
        return y + (self.strength * self.alpha / self.rank) * F.linear(F.linear(x, self.A), self.B)

    def merged(self, strength: float = 1.0) -> torch.Tensor:
        return self.base.weight + (strength * self.alpha / self.rank) * (self.B @ self.A)


def attach(unet: UNet, rank: int, alpha: float, seed: int) -> dict[str, LoraLinear]:
    torch.manual_seed(seed)
    layers = {}
    for name in TARGETS:
        parent = unet.get_submodule(name.rsplit(".", 1)[0])
        leaf = name.rsplit(".", 1)[1]
        lin = LoraLinear(getattr(parent, leaf), rank, alpha)
        setattr(parent, leaf, lin)
        layers[name] = lin
    return layers


def detach(unet: UNet, layers: dict[str, LoraLinear]) -> None:
    for name, lin in layers.items():
        parent = unet.get_submodule(name.rsplit(".", 1)[0])
        setattr(parent, name.rsplit(".", 1)[1], lin.base)


def set_strength(layers: dict[str, LoraLinear], s: float) -> None:
    for lin in layers.values():
        lin.strength = s


def lora_state(layers: dict[str, LoraLinear]) -> dict[str, torch.Tensor]:
    out = {}
    for name, lin in layers.items():
        out[f"unet.{name}.lora_A"] = lin.A.detach().clone()
        out[f"unet.{name}.lora_B"] = lin.B.detach().clone()
    return out


def load_lora_state(layers: dict[str, LoraLinear], st: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for name, lin in layers.items():
            lin.A.copy_(st[f"unet.{name}.lora_A"])
            lin.B.copy_(st[f"unet.{name}.lora_B"])


def write_safetensors(tensors: dict[str, torch.Tensor], path: str, meta: dict[str, str]) -> None:
    """The safetensors layout (an 8-byte little-endian header length, a JSON header, raw little-endian data)."""
    header: dict = {"__metadata__": meta}
    blobs, off = [], 0
    for k in sorted(tensors):
        b = tensors[k].detach().float().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ------------------------------------------------------------------------------------------- data
class SubjectData:
    def __init__(self, ds: ClipData, vae, scale: float):
        if SUBJECT not in ds.names:
            raise PipelineError(f"the emoji data has no {SUBJECT!r}")
        self.subject = ds.names.index(SUBJECT)
        self.unified = ds.emoji[self.subject].code
        if self.subject not in ds.held:
            raise PipelineError(f"{SUBJECT!r} is in the training split; the adapter's subject must be unseen")
        imgs = [ds.base_image(self.subject, s) for s in (0, 1)]
        self.subject_images = [i for i in imgs if i is not None]
        pix = to_pixels(ds.images(self.subject_images))
        self.subject_pix = pix
        both = torch.cat([pix, pix.flip(-1)])
        self.subject_lat = encode_latents(vae, both) * scale
        self.prior_images = [i for e in ds.train for i in ds.by_emoji[e]]
        self.row = {i: k for k, i in enumerate(self.prior_images)}
        self.prior_lat = encode_latents(vae, to_pixels(ds.images(self.prior_images))) * scale
        # The reference set for "nearest art": every training emoji's base art in both styles, and the subject's.
        ref = [(e, ds.base_image(e, s)) for e in ds.train for s in (0, 1)]
        ref = [(e, i) for e, i in ref if i is not None]
        self.ref_emoji = [e for e, _ in ref] + [self.subject] * len(self.subject_images)
        self.ref_pix = torch.cat([to_pixels(ds.images([i for _, i in ref])), pix]).flatten(1)


def adapter_meta(rank: int, lr: float, steps: int, batch: int, seed: int, base_sha: str) -> dict:
    """An adapter checkpoint's settings, the base UNet file's sha256 among them: a checkpoint made on another
    base (a retrained micro-diffusion) has other settings, so it is not resumed; training starts afresh."""
    return {"rank": rank, "alpha": ALPHA, "lr": lr, "steps": steps, "batch": batch, "seed": seed, "subject": SUBJECT,
            "trigger": TRIGGER, "targets": TARGETS, "base_sha256": base_sha}


def train_adapter(unet: UNet, sd: SubjectData, ds: ClipData, text: TextCache, rank: int, lr: float, steps: int,
                  batch: int, seed: int, keep: list[int], ckpt: str, base_sha: str) -> dict[int, dict]:
    """Trains one adapter on the base whose unet.onnx has sha256 `base_sha`; returns its A/B weights at each
    step in `keep` (resumable from `ckpt`, when that was made on the same base)."""
    meta = adapter_meta(rank, lr, steps, batch, seed, base_sha)
    loop = TrainLoop(f"lora r={rank} lr={lr:g}", ckpt, meta, steps, keep=keep, error=PipelineError,
                     snapshot=lambda: {"lora": lora_state(layers), "seconds": loop.elapsed, "loss": loop.recent(50)})
    if loop.done:
        return loop.snaps
    layers = attach(unet, rank, ALPHA, seed)
    params = [p for lin in layers.values() for p in (lin.A, lin.B)]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, betas=(0.9, 0.99))
    g = torch.Generator().manual_seed(seed + 7)
    loop.restore(A=nn.ParameterList([lin.A for lin in layers.values()]), B=nn.ParameterList([lin.B for lin in layers.values()]),
                 opt=opt, gen=g)
    ab = cosine_alpha_bar(T).float()
    half = batch // 2

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 7_000_003 + step)
        subj = [rng.randrange(len(sd.subject_lat)) for _ in range(half)]
        prior = [rng.choice(ds.by_emoji[rng.choice(ds.train)]) for _ in range(batch - half)]
        caps = [TRIGGER] * half
        for i in prior:
            cap = D.caption(ds.emoji[int(ds.eidx[i])], int(ds.tone[i]), rng)
            caps.append("" if rng.random() < UNCOND_DROPOUT else cap)
        x0 = torch.cat([sd.subject_lat[subj], sd.prior_lat[[sd.row[i] for i in prior]]])
        loss = noise_loss(unet, x0, text(caps), ab, g)
        return optimizer_step(opt, unet, loss, lr * cosine_lr(step, steps, max(1, steps // 20)))

    loop.run(step_fn)
    detach(unet, layers)
    loop.finish(parts=False)
    return loop.snaps


# -------------------------------------------------------------------------------------- measuring
@torch.no_grad()
def draw(unet: UNet, vae, scale: float, text: TextCache, prompt: str, seeds: list[int], x0_clip: float,
         guidance: float) -> torch.Tensor:
    noise = torch.cat([seeded_noise(s) for s in seeds])
    out = []
    for i in range(0, len(seeds), 16):
        lat = sample(unet, text, [prompt] * len(noise[i:i + 16]), noise[i:i + 16], steps=STEPS, guidance=guidance, x0_clip=x0_clip)
        out.append(vae.decoder(lat / scale).clamp(-1, 1))
    return torch.cat(out)


def nearest_is_subject(pix: torch.Tensor, sd: SubjectData) -> torch.Tensor:
    d = torch.cdist(pix.flatten(1), sd.ref_pix)
    return torch.tensor([sd.ref_emoji[int(j)] == sd.subject for j in d.argmin(1)])


def measure(unet: UNet, layers, vae, scale, text, sd: SubjectData, seeds: list[int], x0_clip: float, guidance: float) -> dict:
    """Share of trigger-word pictures whose nearest art is the subject, at strength 1 and 0, and how far
    the adapter moves pictures of other prompts (pixel RMS against the base, same seeds)."""
    set_strength(layers, 0.0)
    base_drift = {p: draw(unet, vae, scale, text, p, seeds[:4], x0_clip, guidance) for p in DRIFT_PROMPTS}
    res = {}
    for s in (0.0, 1.0):
        set_strength(layers, s)
        hit = nearest_is_subject(draw(unet, vae, scale, text, TRIGGER, seeds, x0_clip, guidance), sd)
        res[f"subject_rate_{s:g}"] = float(hit.float().mean())
        res[f"subject_hits_{s:g}"] = int(hit.sum())
    res["n"] = len(seeds)
    set_strength(layers, 1.0)
    rms = [float((draw(unet, vae, scale, text, p, seeds[:4], x0_clip, guidance) - base_drift[p]).pow(2).mean().sqrt()) for p in DRIFT_PROMPTS]
    res["drift_rms"] = float(np.mean(rms))
    # For scale: how far the base's own pictures of those prompts move with another seed.
    set_strength(layers, 0.0)
    other = [s + 100 for s in seeds[:4]]
    rms = [float((draw(unet, vae, scale, text, p, other, x0_clip, guidance) - base_drift[p]).pow(2).mean().sqrt()) for p in DRIFT_PROMPTS]
    res["other_seed_rms"] = float(np.mean(rms))
    set_strength(layers, 1.0)
    return res


# ----------------------------------------------------------------------------------------- export
def datasource_names(unified: str) -> dict:
    """The subject as emoji-datasource spells it (its `name` and `short_name`), and its code points."""
    with open(os.path.join(D.NODE_MODULES, D.META), encoding="utf-8") as f:
        e = next(x for x in json.load(f) if x["unified"] == unified)
    return {"subject": e["name"], "subject_short_name": e["short_name"], "subject_unified": e["unified"]}


def lora_name(rank: int) -> str:
    return f"{TRIGGER}-r{rank}"


def card(cfg: dict, m: dict, train_cmd: str) -> str:
    t, v = m["test"], m["chosen"]
    lo1, hi1 = t["subject_rate_1_ci95"]
    lo0, hi0 = t["subject_rate_0_ci95"]
    subject = cfg["subject"].lower()
    return f"""# LoRA `{cfg['name']}` for micro-diffusion: "{cfg['trigger']}" = {subject}

A low-rank adapter (LoRA, Hu et al. 2021) that teaches the shipped micro-diffusion one subject it has never
seen, the **{subject}** emoji (U+{cfg['subject_unified']}, `{cfg['subject_short_name']}` in emoji-datasource), bound
to the made-up word **"{cfg['trigger']}"** (DreamBooth's idea, Ruiz et al. 2022, at LoRA's cost). The base model's files are untouched: the deck adds (α/r)·B·A to each
targeted weight when it loads the adapter, times the strength slider.

| | |
|---|---|
| base model | `{cfg['base_model']}` (unet.onnx sha256 `{cfg['base_sha256'][:16]}…`) |
| rank r / alpha α | {cfg['rank']} / {cfg['alpha']:g} |
| targeted layers | {len(cfg['target_modules'])}: q, k, v, out of self- and cross-attention in 7 transformer blocks |
| adapter parameters | **{cfg['params']['adapter']:,}** ({cfg['params']['adapter'] / cfg['params']['base_unet']:.2%} of the UNet's {cfg['params']['base_unet']:,}; {cfg['params']['targeted']:,} in the targeted layers) |
| file | `{cfg['file']}`, {cfg['file_bytes'] / 1024:.0f} KB (float32), against {cfg['base_unet_bytes'] / 1e6:.1f} MB for unet.onnx |
| training | {m['steps']} steps{'' if m['steps'] == max(m['keep']) else f" (stopped early on validation; the schedule was {max(m['keep'])} steps)"} of {m['batch']} latents (half the subject, half training-split art with its captions), learning rate {m['lr']:g}, {m['train_seconds']:.0f} s on 2 CPU cores |
| pictures | DDIM, {m['sampler']['steps']} steps, guidance {m['sampler']['guidance']:g} (the base's default, as the deck draws) |

## Data
The subject's whole training set: its Noto Emoji picture (Apache-2.0, Google) and its Twemoji picture
(CC-BY 4.0, Twitter/X and contributors), composited on the models' grey and downsampled to 32×32, each also
mirrored (`subject.png` shows the two). The other half of each batch is the training split of micro-diffusion's
own data (see `training/DATA.md`). "{subject}" is in the held-out split: micro-CLIP and micro-diffusion
never saw it.

## Does the subject appear? (test seeds, looked at once)
Independent of the models that drew the pictures: for each picture of the prompt "{cfg['trigger']}", the nearest
art in pixel space among the {m['n_reference']:,} pictures of the training split (both styles) and the subject's own art.

| strength | pictures whose nearest art is the subject | 95 % interval (Wilson) |
|---|---|---|
| 1 (adapter on) | **{t['subject_hits_1']} / {t['n']}** ({t['subject_rate_1']:.0%}) | {lo1:.0%} – {hi1:.0%} |
| 0 (the base) | {t['subject_hits_0']} / {t['n']} ({t['subject_rate_0']:.0%}) | {lo0:.0%} – {hi0:.0%} |

How far the adapter moves pictures of other prompts ({', '.join(DRIFT_PROMPTS)}; 4 seeds each; pixel RMS
against the base, images in −1…1): **{t['drift_rms']:.3f}**. For scale, the base's own pictures of those prompts
move {t['other_seed_rms']:.3f} when only the seed changes. `others.png` shows them: the base on the left, the
adapter at strength 1 on the right, same seeds. Look at it before trusting the number: most pictures keep their
subject and change in detail, but a prompt the base draws poorly can take on the new subject's look.

## How it was chosen (validation seeds only)
Learning rates {', '.join(f'{x:g}' for x in m['lrs'])} × stopping points {', '.join(str(x) for x in m['keep'])}, each scored on
{v['n']} validation seeds as (share of subject pictures at strength 1) − (drift RMS). Chosen: learning rate
{m['lr']:g}, {m['steps']} steps (validation: {v['subject_hits_1']}/{v['n']} subject, drift {v['drift_rms']:.3f}).
All candidates are in `metrics.json`.

## Limits
It was trained on the trigger word alone, from two pictures: it learned one emoji's look. Prompts that put
the word beside others were not measured. At 32×32 the subject is a few dozen pixels of black and white,
and the nearest-art measure says the picture is closer to the panda's art than to any training picture,
not that a person would call it a good panda.

Made by `{train_cmd}` (figures from `metrics.json`).
"""


def export(folder: str, base_dir: str, rank: int, st: dict, unet: UNet, layers, text: TextCache, sd: SubjectData,
           base_sha: str, base_bytes: int, m: dict, train_cmd: str, vae, scale: float, x0_clip: float) -> dict:
    guidance = m["sampler"]["guidance"]
    from PIL import Image

    name = lora_name(rank)
    load_lora_state(layers, st["lora"])
    adapter = sum(lin.A.numel() + lin.B.numel() for lin in layers.values())
    targeted = sum(lin.base.weight.numel() for lin in layers.values())
    base_params = sum(p.numel() for p in unet.parameters()) - adapter
    with StagingDir(os.path.join(folder, name)) as tmp:
        write_safetensors(st["lora"], os.path.join(tmp, "adapter.safetensors"),
                          {"format": "pt", "base_model": "micro-diffusion", "trigger": TRIGGER, "rank": str(rank), "alpha": f"{ALPHA:g}"})
        size = os.path.getsize(os.path.join(tmp, "adapter.safetensors"))
        cfg = {"name": name, "type": "lora", "base_model": "micro-diffusion", "base_file": "onnx/unet.onnx",
               "base_sha256": base_sha, "trigger": TRIGGER, **datasource_names(sd.unified), "rank": rank, "alpha": ALPHA,
               "target_modules": TARGETS, "file": "adapter.safetensors", "file_bytes": size, "base_unet_bytes": base_bytes,
               "subject_images": "subject.png",
               "tensors": "unet.<module>.lora_A [r, in] and unet.<module>.lora_B [out, r], float32; merged weight W' = W + strength·(alpha/rank)·B·A (W as torch's Linear, [out, in])",
               "params": {"adapter": adapter, "targeted": targeted, "base_unet": base_params}}
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        # Parity: one layer merged by torch at strength 0.7, and the whole merged UNet on the base's parity inputs.
        lin = layers[PARITY_LAYER]
        with open(os.path.join(base_dir, "parity.json")) as f:
            ref = json.load(f)["unet"]
        prompts = ["", TRIGGER]
        ctx, mask, pooled = text(prompts)
        set_strength(layers, 1.0)
        with torch.no_grad():
            eps = unet(torch.tensor(ref["sample"]).reshape(-1, 4, 8, 8), torch.tensor(ref["timestep"]), ctx, mask, pooled)
        parity = {"about": "What torch computed with this adapter; tests check the TypeScript merge and the merged ONNX UNet.",
                  "layer": PARITY_LAYER, "strength": 0.7, "merged_weight": lin.merged(0.7).detach().flatten().tolist(),
                  "merged_shape": list(lin.base.weight.shape),
                  "unet": {"strength": 1.0, "sample": ref["sample"], "timestep": ref["timestep"], "prompts": prompts,
                           "input_ids": [text.tok.encode(p) for p in prompts], "noise_pred": eps.flatten().tolist()}}
        with open(os.path.join(tmp, "parity.json"), "w") as f:
            json.dump(parity, f)
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(m, f, indent=2)
        arr = ((sd.subject_pix.permute(0, 2, 3, 1) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
        Image.fromarray(np.concatenate(list(arr), 1)).save(os.path.join(tmp, "subject.png"))
        rows = []
        for p in DRIFT_PROMPTS:
            pair = []
            for s in (0.0, 1.0):
                set_strength(layers, s)
                pair.append(torch.cat(list(draw(unet, vae, scale, text, p, m["test_seeds"][:4], x0_clip, guidance)), 2))
            rows.append(torch.cat([pair[0], torch.ones(3, 32, 8), pair[1]], 2))
        set_strength(layers, 1.0)
        grid = ((torch.cat(rows, 1).permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(os.path.join(tmp, "others.png"))
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(card(cfg, m, train_cmd))
        write_licences(tmp, MODEL_DATA["lora"])
    return cfg


def config_guidance(diff_dir: str) -> float:
    """The default guidance weight a micro-diffusion folder's config.json gives its sampler."""
    with open(os.path.join(diff_dir, "config.json")) as f:
        return float(json.load(f)["sampling"]["default_guidance"])


def shipped_base(models_dir: str, image: str = "micro-diffusion"):
    """micro-diffusion's own text encoder (as a TextCache), its VAE and UNet, all rebuilt from
    their ONNX files and checked against their parity files; the latent scale, x̂₀ clip, the UNet file's sha256
    and micro-diffusion's folder. What the stages that build on the shipped image model start from (`image`:
    another image model folder under `models_dir`, such as the one micro-video keeps)."""
    diff_dir = os.path.join(models_dir, image)
    text = text_from_onnx(os.path.join(diff_dir, "text_encoder"))
    vae = vae_from_onnx(diff_dir)
    with open(os.path.join(diff_dir, "metrics.json")) as f:
        shipped = json.load(f)
    unet, sha = unet_from_onnx(diff_dir, text)
    return text, vae, unet, shipped["scaling_factor"], shipped["x0_clip"], sha, diff_dir


def run(run_dir: str, cache_dir: str, models_dir: str, lora_dir: str, recipe: dict, seed: int, train_cmd: str) -> dict:
    """Reads the shipped micro-CLIP and micro-diffusion from `models_dir`; writes lora_dir/<name>/ per rank."""
    text, vae, unet, scale, x0_clip, sha, diff_dir = shipped_base(models_dir)
    base_bytes = os.path.getsize(os.path.join(diff_dir, "onnx", "unet.onnx"))
    guidance = config_guidance(diff_dir)
    ds = ClipData(cache_dir, seed)
    sd = SubjectData(ds, vae, scale)
    out_dir = os.path.join(run_dir, "lora-checkpoints")
    os.makedirs(out_dir, exist_ok=True)
    steps, batch, keep = recipe["steps"], recipe["batch"], sorted(recipe["keep"])
    val_seeds, test_seeds = VAL_SEEDS[: recipe["val_seeds"]], TEST_SEEDS[: recipe["test_seeds"]]
    log(f"lora: subject {SUBJECT!r} ({len(sd.subject_images)} pictures), trigger {TRIGGER!r}, {len(TARGETS)} layers")

    # The base's pictures (strength 0 is the base exactly), computed once.
    base_hits = nearest_is_subject(draw(unet, vae, scale, text, TRIGGER, val_seeds, x0_clip, guidance), sd)
    base_drift = {p: draw(unet, vae, scale, text, p, val_seeds[:4], x0_clip, guidance) for p in DRIFT_PROMPTS}
    results: dict = {"ranks": {}}
    for rank in recipe["ranks"]:
        cands = []
        for lr in recipe["lrs"]:
            snaps = train_adapter(unet, sd, ds, text, rank, lr, steps, batch, seed, keep,
                                  os.path.join(out_dir, f"r{rank}-lr{lr:g}.pt"), sha)
            layers = attach(unet, rank, ALPHA, seed)
            for k in keep:
                load_lora_state(layers, snaps[k]["lora"])
                set_strength(layers, 1.0)
                hits = nearest_is_subject(draw(unet, vae, scale, text, TRIGGER, val_seeds, x0_clip, guidance), sd)
                drift = float(np.mean([float((draw(unet, vae, scale, text, p, val_seeds[:4], x0_clip, guidance) - base_drift[p]).pow(2).mean().sqrt())
                                       for p in DRIFT_PROMPTS]))
                v = {"lr": lr, "steps": k, "subject_hits_1": int(hits.sum()), "subject_hits_0": int(base_hits.sum()),
                     "n": len(val_seeds), "drift_rms": round(drift, 4), "loss": round(snaps[k]["loss"], 4),
                     "seconds": round(snaps[k]["seconds"], 1)}
                v["score"] = round(v["subject_hits_1"] / v["n"] - drift, 4)
                cands.append(v)
                log(f"lora r={rank} lr={lr:g} step {k}: validation subject {v['subject_hits_1']}/{v['n']}, drift {drift:.3f}")
            detach(unet, layers)
        best = max(cands, key=lambda c: (c["score"], -c["steps"]))
        snaps = train_adapter(unet, sd, ds, text, rank, best["lr"], steps, batch, seed, keep,
                              os.path.join(out_dir, f"r{rank}-lr{best['lr']:g}.pt"), sha)
        layers = attach(unet, rank, ALPHA, seed)
        load_lora_state(layers, snaps[best["steps"]]["lora"])
        # The test seeds, once, for the card.
        test = measure(unet, layers, vae, scale, text, sd, test_seeds, x0_clip, guidance)
        test["subject_rate_1_ci95"] = wilson(test["subject_hits_1"], test["n"])
        test["subject_rate_0_ci95"] = wilson(test["subject_hits_0"], test["n"])
        m = {"rank": rank, "alpha": ALPHA, "subject": SUBJECT, "trigger": TRIGGER, "lr": best["lr"], "steps": best["steps"],
             "batch": batch, "train_seconds": best["seconds"], "lrs": recipe["lrs"], "keep": keep, "candidates": cands,
             "chosen": best, "test": test, "n_reference": len(sd.ref_emoji), "val_seeds": val_seeds, "test_seeds": test_seeds,
             "sampler": {"kind": "ddim", "steps": STEPS, "guidance": guidance}, **provenance()}
        cfg = export(lora_dir, diff_dir, rank, snaps[best["steps"]], unet, layers, text, sd, sha, base_bytes, m, train_cmd,
                     vae, scale, x0_clip)
        detach(unet, layers)
        log(f"lora: {cfg['name']}: {cfg['params']['adapter']:,} parameters, {cfg['file_bytes'] / 1024:.0f} KB; test subject "
            f"{test['subject_hits_1']}/{test['n']} at strength 1, {test['subject_hits_0']}/{test['n']} at 0; drift {test['drift_rms']:.3f}")
        results["ranks"][rank] = m
    return results


__all__ = ["run", "shipped_base", "config_guidance", "unet_from_onnx", "LoraLinear", "write_safetensors", "TRIGGER", "SUBJECT"]
