"""Training, evaluation and export of micro latent diffusion (resumable, deterministic given a seed).

Two phases, each with its own checkpoint: the autoencoder (VAE), then the latent UNet on the frozen
micro-CLIP text encoder of the run (checked against the exported micro-CLIP's parity file). The UNet
checkpoint records the encoder's fingerprint, and the export ships that encoder inside the model folder
(`text_encoder/`), so micro-CLIP can be retrained without changing what the UNet is conditioned on.
A recipe can start from an earlier micro-diffusion instead (`init`: its autoencoder as it is, its UNet as the
first weights) and give the UNet each token's input vector beside its final state (`context`).
Sampling here (DDIM / DDPM as η = 1, classifier-free guidance, clipped x̂_0) is the same algorithm as
demos/diffusion/sampler.ts; a parity file lets the tests compare the two.
"""
from __future__ import annotations

import copy
import json
import math
import os
import random

import numpy as np
import torch
import torch.nn.functional as F

import data as D
from clip_model import MicroClip
from diffusion_model import UNet, UNetConfig, Vae, VaeConfig, cosine_alpha_bar, count_params
from tokenizer import WordPiece
from train_clip import ClipData, augment, embed_texts, load_exported, load_trained, parity_mismatch, to_pixels
from loop import TrainLoop
from util import MODEL_DATA, StagingDir, cosine_lr, log, optimizer_step, provenance, write_licences

T = 1000
# Sampling starts at t = 980, not 1000: with the cosine schedule ᾱ_1000 ≈ 2e-9, so the first x̂₀ would divide
# the noise prediction's tiny error by √ᾱ ≈ 5e-5 (and backends that differ in the 6th digit would disagree).
# At t = 980, ᾱ ≈ 1e-3: the start is still 97 % noise by amplitude, and x̂₀ is stable.
T_START = 980
UNCOND_DROPOUT = 0.12  # share of training captions replaced by "" (classifier-free guidance)
SNR_GAMMA = 5.0  # min-SNR loss weighting (Hang et al. 2023)
OPSET = 14
EVAL_STEPS, EVAL_GUIDANCE, EVAL_SEEDS = 30, 4.0, (1, 2)
GRID_PROMPTS = ["red apple", "grinning face", "cat face", "pizza", "sun", "rocket", "snowman", "pile of poo"]


class PipelineError(RuntimeError):
    """A precondition of the stage is missing; the message says what to run."""


# ------------------------------------------------------------------------------------ conditioning
def load_clip(run_dir: str, models_dir: str) -> tuple[MicroClip, WordPiece]:
    """The micro-CLIP the diffusion model is conditioned on: the exported model in `models_dir`. The clip
    stage's checkpoint is used when this machine has it (verified to be the exported model: same token ids,
    same text embeddings within 1e-4); without one, the model is rebuilt from the exported files."""
    folder = os.path.join(models_dir, "micro-clip")
    parity = os.path.join(folder, "parity.json")
    if not os.path.exists(parity):
        raise PipelineError(f"{parity} is missing: export micro-CLIP first (`npm run train -- clip`)")
    ckpt = os.path.join(run_dir, "clip.ckpt")
    if os.path.exists(ckpt):
        clip, tok = load_trained(run_dir)
        if not matches_clip_parity(clip, tok, parity):
            raise PipelineError(f"{ckpt} is not the micro-CLIP exported in {folder}; "
                                "re-run the clip stage so both agree")
    else:
        try:
            clip, tok = load_exported(folder)
        except (OSError, ValueError, KeyError) as exc:
            raise PipelineError(f"no clip checkpoint in {os.path.relpath(run_dir)}, and the exported micro-CLIP could not be "
                                f"rebuilt ({exc}): run `npm run train -- clip` first") from exc
        log(f"diffusion: micro-CLIP rebuilt from {os.path.relpath(folder)} (no clip checkpoint on this machine)")
    clip.requires_grad_(False)
    return clip, tok


def encoder_fingerprint(clip: MicroClip, tok: WordPiece) -> str:
    """A short hash of the text tower's weights and the vocabulary: what the UNet's conditioning depends on."""
    import hashlib

    h = hashlib.sha1()
    for k, v in sorted(clip.state_dict().items()):
        if k.startswith(("text.", "text_proj")):
            h.update(k.encode())
            h.update(v.detach().contiguous().numpy().tobytes())
    h.update("\n".join(tok.vocab).encode())
    return h.hexdigest()[:16]


class ContextWrap(torch.nn.Module):
    def __init__(self, clip: MicroClip, context: str):
        super().__init__()
        self.m, self.context = clip, context

    def forward(self, input_ids, attention_mask):
        return text_context(self.m, input_ids, attention_mask, self.context)


def write_text_encoder(folder: str, clip: MicroClip, tok: WordPiece, context: str = "states") -> str:
    """The text encoder the UNet was trained with, as its own small model folder: tokenizer files,
    onnx/text_model.onnx and a parity file (torch's outputs on fixed texts, the format of micro-CLIP's).
    Returns its fingerprint."""
    from export_clip import PARITY_TEXTS
    from export_clip import _export as export_onnx

    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    ids, mask = tok.batch(["red apple", "a red panda"])
    with torch.no_grad():
        export_onnx(ContextWrap(clip, context), (ids, mask), os.path.join(folder, "onnx", "text_model.onnx"),
                    ["input_ids", "attention_mask"], ["text_embeds", "last_hidden_state"],
                    {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                     "text_embeds": {0: "batch"}, "last_hidden_state": {0: "batch", 1: "sequence"}})
        tok.save(folder)
        texts = PARITY_TEXTS + ["baseball", "tractor", "parrot"]
        rows = []
        for t in texts:
            e = torch.tensor([tok.encode(t)])
            emb, states = text_context(clip, e, torch.ones_like(e), context)
            rows.append({"ids": e[0].tolist(), "text_embeds": emb[0].tolist(), "last_hidden_state_0": states[0, 0].tolist()})
    fp = encoder_fingerprint(clip, tok)
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump({"about": "The UNet's text encoder on fixed texts, as torch computed it; tests check the ONNX file matches.",
                   "fingerprint": fp, "context": context, "texts": texts, "text": rows}, f)
    return fp


def matches_clip_parity(clip: MicroClip, tok: WordPiece, parity: str) -> bool:
    """Whether this micro-CLIP and tokenizer give the exported micro-CLIP's parity outputs (train_clip.parity_mismatch)."""
    return parity_mismatch(clip, tok, parity) is None


CONTEXTS = ("states", "states+embeddings")


def check_context(context: str) -> None:
    if context not in CONTEXTS:
        raise PipelineError(f"unknown text context {context!r} (known: {', '.join(CONTEXTS)})")


def text_context(clip: MicroClip, ids: torch.Tensor, mask: torch.Tensor, context: str = "states") -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled [b, 128], the UNet's cross-attention context [b, n, width]). "states": the text encoder's final
    token states (as Stable Diffusion). "states+embeddings": beside each final state, the token's input to
    the encoder (its word-piece vector plus position, layer-normalised without weights), so the UNet also reads
    which words were typed, not only what the encoder made of them (width 256)."""
    check_context(context)
    pooled, states = clip.encode_text(ids, mask)
    if context == "states":
        return pooled, states
    words = clip.text.tok(ids) + clip.text.pos[: ids.shape[1]]
    return pooled, torch.cat([states, F.layer_norm(words, (clip.cfg.text_width,))], dim=-1)


CONTEXT_WORDS = {"states": "token states",
                 "states+embeddings": "token states, each beside the token's own input vector (word piece + position)"}


class TextCache:
    """Frozen text encoder outputs per caption: the context [n, width] (n real tokens) and pooled [128]."""

    def __init__(self, clip: MicroClip, tok: WordPiece, context: str = "states"):
        check_context(context)
        self.clip, self.tok, self.context, self.cache = clip, tok, context, {}
        self.width = clip.cfg.text_width * (2 if context == "states+embeddings" else 1)

    @torch.no_grad()
    def __call__(self, texts: list[str]):
        # One caption at a time, unpadded: its states then do not depend on which captions shared its batch
        # (matrix kernels can round differently by batch shape), so a resumed run sees the same conditioning.
        for t in dict.fromkeys(texts):
            if t not in self.cache:
                ids, mask = self.tok.batch([t])
                pooled, states = text_context(self.clip, ids, mask, self.context)
                self.cache[t] = (states[0, : int(mask[0].sum())].clone(), pooled[0].clone())
        n = max(self.cache[t][0].shape[0] for t in texts)
        ctx = torch.zeros(len(texts), n, self.width)
        mask = torch.zeros(len(texts), n)
        pooled = torch.stack([self.cache[t][1] for t in texts])
        for i, t in enumerate(texts):
            s = self.cache[t][0]
            ctx[i, : len(s)], mask[i, : len(s)] = s, 1
        return ctx, mask, pooled


# ------------------------------------------------------------------------------------ checkpoints
def check_encoder(path: str, fp: str) -> None:
    """Stops with a clear message when the UNet checkpoint at `path` was trained on another text encoder
    (resuming would mix two conditionings; starting afresh silently would throw the run away)."""
    if not os.path.exists(path):
        return
    try:
        old = torch.load(path).get("meta", {}).get("text_encoder")
    except Exception as exc:
        raise PipelineError(f"checkpoint {path} is unreadable ({exc}); delete it to train the UNet afresh") from exc
    if old != fp:
        raise PipelineError(f"{path} was trained on text encoder {old or '(not recorded)'}, but this run's micro-CLIP text "
                            f"encoder is {fp}. Delete {os.path.relpath(path)} to train the UNet on the new encoder, or "
                            "restore the micro-CLIP checkpoint it was trained with")


# ---------------------------------------------------------------------------------------- warm start
INIT_KEYS = ("vae_train_seconds", "vae_steps", "vae_batch", "vae_params", "vae_final_loss", "vae_heldout_psnr_db",
             "latent_std", "scaling_factor", "x0_clip")


def load_init(folder: str) -> tuple[Vae, dict, tuple[dict, str]]:
    """A warm start: an earlier micro-diffusion kept in `folder` (relative to the repository; the layout of
    models/micro-diffusion/). Its autoencoder is used as it is (the UNet's latents are that autoencoder's), and
    its UNet is where the new UNet's training starts. Each is rebuilt from its ONNX file and checked against
    the folder's parity file. Returns the autoencoder, the metrics that describe it, and (UNet weights, sha256)."""
    from lora import shipped_base

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, folder)
    if not os.path.exists(os.path.join(path, "onnx", "unet.onnx")):
        raise PipelineError(f"the recipe starts the UNet from {folder}, which has no onnx/unet.onnx")
    try:
        _, vae, unet, _, _, sha, _ = shipped_base(root, folder)
    except (OSError, ValueError, KeyError) as exc:
        raise PipelineError(f"the warm start in {folder} could not be rebuilt ({exc})") from exc
    with open(os.path.join(path, "metrics.json")) as f:
        old = json.load(f)
    m = {k: old[k] for k in INIT_KEYS if k in old}
    m["init"] = {"folder": folder, "unet_sha256": sha, "text_encoder": old.get("text_encoder"),
                 "unet_steps": old.get("unet_steps"), "unet_batch": old.get("unet_batch"),
                 "unet_train_seconds": old.get("unet_train_seconds"), "refine_steps": old.get("refine_steps"),
                 "refine_train_seconds": old.get("refine_train_seconds"), "git_commit": old.get("git_commit")}
    log(f"diffusion: warm start from {folder} (UNet {old.get('unet_steps')} steps on text encoder {old.get('text_encoder')}, its autoencoder)")
    return vae, m, (unet.state_dict(), sha)


def widen_context(state: dict, unet: UNet) -> dict:
    """A UNet's weights for a wider cross-attention context: the keys' and values' new input columns start at
    zero, so the widened UNet computes exactly what the old one did until training uses the new inputs."""
    out = dict(state)
    own = unet.state_dict()
    for k, v in state.items():
        if k.endswith(("cross_attn.k.weight", "cross_attn.v.weight")) and v.shape != own[k].shape:
            if v.shape[0] != own[k].shape[0] or v.shape[1] > own[k].shape[1]:
                raise PipelineError(f"the warm start's {k} has shape {tuple(v.shape)}; this UNet needs {tuple(own[k].shape)}")
            out[k] = torch.cat([v, torch.zeros(v.shape[0], own[k].shape[1] - v.shape[1])], dim=1)
    return out


# --------------------------------------------------------------------------------------------- VAE
def train_vae(run_dir: str, ds: ClipData, steps: int, batch: int, seed: int, lr: float = 1e-3,
              log_every: int = 100, ckpt_every: int = 250, on_step=None) -> tuple[Vae, dict]:
    torch.manual_seed(seed)
    cfg = VaeConfig()
    vae = Vae(cfg)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed + 1)
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "cfg": cfg.to_dict()}
    loop = TrainLoop("vae", os.path.join(run_dir, "vae.ckpt"), meta, steps, log_every=log_every,
                     ckpt_every=ckpt_every, on_step=on_step, error=PipelineError)
    loop.restore(model=vae, opt=opt, gen=g)
    log(f"vae: {count_params(vae):,} parameters, {len(ds.train)} training emoji")
    warm = max(1, min(100, steps // 10))
    vae.train()

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 7_000_003 + step)
        idx = [rng.choice(ds.by_emoji[rng.choice(ds.train)]) for _ in range(batch)]
        x = augment(ds.images(idx), g)
        return optimizer_step(opt, vae, vae.loss(x, g), lr * cosine_lr(step, steps, warm))

    loop.run(step_fn).finish()
    elapsed, hist = loop.elapsed, loop.hist
    vae.eval()
    return vae, {"vae_train_seconds": round(elapsed, 1), "vae_steps": steps, "vae_batch": batch,
                 "vae_params": count_params(vae), "vae_final_loss": float(np.mean(hist[-50:])) if hist else None}


@torch.no_grad()
def encode_latents(vae: Vae, pix: torch.Tensor) -> torch.Tensor:
    return torch.cat([vae.encoder(pix[i : i + 256])[0] for i in range(0, len(pix), 256)])


@torch.no_grad()
def vae_metrics(vae: Vae, ds: ClipData) -> dict:
    """Held-out reconstruction PSNR (base images, both styles) and the latent scale factor (1 / std of
    the training latents, as SD's 0.18215)."""
    held = [ds.base_image(e, s) for e in ds.held for s in (0, 1)]
    pix = to_pixels(ds.images([i for i in held if i is not None]))
    rec = vae.decoder(encode_latents(vae, pix)).clamp(-1, 1)
    mse = ((rec - pix) / 2).pow(2).mean(dim=(1, 2, 3))
    psnr = float((10 * torch.log10(1 / mse)).mean())
    train_imgs = [i for e in ds.train for i in ds.by_emoji[e]]
    lat = encode_latents(vae, to_pixels(ds.images(train_imgs)))
    scale = round(1.0 / float(lat.std()), 5)
    # x̂_0 is clipped while sampling to the range the training latents span (scaled), rounded up
    return {"vae_heldout_psnr_db": round(psnr, 2), "latent_std": float(lat.std()), "scaling_factor": scale,
            "x0_clip": math.ceil(float((lat * scale).abs().max()) * 2) / 2}


# -------------------------------------------------------------------------------------------- UNet
def noise_loss(unet: UNet, x0: torch.Tensor, cond: tuple, ab: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The denoising loss on clean latents x0: a random step t, noise ε, x_t = √ᾱ·x0 + √(1−ᾱ)·ε, and the
    UNet's error in predicting ε, weighted by min-SNR (γ = SNR_GAMMA). `cond` is TextCache's (ctx, mask, pooled)."""
    ctx, mask, pooled = cond
    t = torch.randint(1, T + 1, (x0.shape[0],), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    a = ab[t][:, None, None, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    snr = ab[t] / (1 - ab[t])
    w = snr.clamp(max=SNR_GAMMA) / snr
    pred = unet(xt, t.float(), ctx, mask, pooled)
    return (w * (pred - eps).pow(2).mean(dim=(1, 2, 3))).mean()


def train_unet(run_dir: str, ds: ClipData, vae: Vae, scale: float, text: TextCache, steps: int, batch: int,
               seed: int, lr: float = 8e-4, ema_decay: float = 0.999, log_every: int = 100, ckpt_every: int = 250,
               on_step=None, refine: list[dict] | None = None, init: tuple[dict, str] | None = None) -> tuple[UNet, dict]:
    """Trains (or resumes) the UNet; `on_step(step, ema)` is called after each step with the EMA weights.
    `init` (state dict, its ONNX file's sha256): the weights the first phase starts from instead of random ones.

    `refine` ([{"steps", "lr", "keep"}, …]) are later phases, each continuing the finished one before it
    (the first UNet phase, then each refine phase in turn: its weights, its EMA, a fresh optimiser and
    learning-rate schedule) and keeping the EMA at each `keep` step. The snapshots are numbered by refine
    step over all phases (0: the first phase's end); the one kept is the one the pixel judge prefers on
    validation prompts (`choose_refined`)."""
    torch.manual_seed(seed)
    cfg = UNetConfig(context_dim=text.width)
    unet = UNet(cfg)
    if init is not None:
        unet.load_state_dict(widen_context(init[0], unet))
    ema = copy.deepcopy(unet).requires_grad_(False)
    g = torch.Generator().manual_seed(seed + 2)
    fp = encoder_fingerprint(text.clip, text.tok)
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "ema": ema_decay, "cfg": cfg.to_dict(),
            "scale": round(scale, 5), "uncond": UNCOND_DROPOUT, "gamma": SNR_GAMMA, "text_encoder": fp}
    if init is not None:
        meta["init_unet_sha256"] = init[1]
    path = os.path.join(run_dir, "unet.ckpt")
    check_encoder(path, fp)
    # every phase: (log name, checkpoint, settings, steps before it, its steps, learning rate, kept steps)
    plan = [("unet", path, meta, 0, steps, lr, ())]
    for k, ph in enumerate(refine or [], start=1):
        keep = (0, *ph["keep"])  # 0: the end of the phase before
        plan.append(("unet-refine" + (f"{k}" if k > 1 else ""), os.path.join(run_dir, "unet_refine" + (f"{k}" if k > 1 else "") + ".ckpt"),
                     {"base": plan[-1][2], "steps": ph["steps"], "lr": ph["lr"], "keep": list(keep)},
                     plan[-1][3] + plan[-1][4], ph["steps"], ph["lr"], keep))
    images = [i for e in ds.train for i in ds.by_emoji[e]]
    row = {i: k for k, i in enumerate(images)}
    latents = encode_latents(vae, to_pixels(ds.images(images))) * scale
    ab = cosine_alpha_bar(T).float()
    log(f"unet: {count_params(unet):,} parameters, {len(images)} training latents {tuple(latents.shape[1:])}")
    snaps, seconds, hist = {}, 0.0, []
    for k, (name, path, meta, first, steps, lr, keep) in enumerate(plan):
        if refine is not None and k == 0:
            continue  # the first phase was trained by a call without `refine`
        if k > 0:
            base = load_finished(plan[k - 1][1], plan[k - 1][2])
            unet.load_state_dict(base["model"])
            ema.load_state_dict(base["ema"])
            g.manual_seed(seed + 2 + k)
        opt = torch.optim.AdamW(unet.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.99))
        loop = TrainLoop(name, path, meta, steps, log_every=log_every, ckpt_every=ckpt_every, error=PipelineError,
                         keep=keep, snapshot=lambda: copy.deepcopy(ema.state_dict()),
                         on_step=(lambda s: on_step(s, ema)) if on_step is not None else None)
        loop.restore(model=unet, ema=ema, opt=opt, gen=g)
        warm = max(1, min(300, steps // 10))
        unet.train()

        def step_fn(step: int, first: int = first, steps: int = steps, lr: float = lr, opt=opt, warm: int = warm) -> float:
            rng = random.Random(seed * 9_000_011 + first + step)  # a refine phase draws batches the earlier did not
            # uniform over emoji, then one of its images (skin tones would otherwise crowd out the rest)
            chosen = [rng.choice(ds.by_emoji[rng.choice(ds.train)]) for _ in range(batch)]
            pick = [row[i] for i in chosen]
            caps = []
            for i in chosen:
                cap = D.caption(ds.emoji[int(ds.eidx[i])], int(ds.tone[i]), rng)
                caps.append("" if rng.random() < UNCOND_DROPOUT else cap)
            loss = optimizer_step(opt, unet, noise_loss(unet, latents[pick], text(caps), ab, g), lr * cosine_lr(step, steps, warm))
            d = min(ema_decay, (1 + first + step) / (10 + first + step))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), unet.parameters()):
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            return loss

        loop.run(step_fn).finish()
        seconds, hist = seconds + loop.elapsed, loop.hist
        offset = first - plan[1][3] if k > 0 else 0
        snaps.update({offset + st: w for st, w in sorted(loop.snaps.items())})
    ema.eval()
    if refine is not None:
        return ema, {"refine_train_seconds": round(seconds, 1), "refine_steps": sum(p["steps"] for p in refine),
                     "refine_phases": [{"steps": p["steps"], "lr": p["lr"]} for p in refine],
                     "refine_final_loss": float(np.mean(hist[-100:])) if hist else None, "refine_snaps": snaps}
    return ema, {"unet_train_seconds": round(seconds, 1), "unet_steps": steps, "unet_batch": batch, "unet_lr": lr,
                 "unet_params": count_params(ema), "unet_final_loss": float(np.mean(hist[-100:])) if hist else None}


def load_finished(path: str, meta: dict) -> dict:
    """The finished phase a refine phase starts from (same settings), or a clear stop."""
    if not os.path.exists(path):
        raise PipelineError(f"the UNet's refine phase continues the phase before it, and {os.path.relpath(path)} is missing")
    ck = torch.load(path)
    if not ck.get("done") or ck.get("meta") != meta:
        raise PipelineError(f"{os.path.relpath(path)} is unfinished or has other settings; run the phase before to its end first")
    return ck


def guidance_text(m: dict) -> str:
    """The card's words for the sampler's default guidance weight, from the metrics."""
    if "guidance_chosen" not in m:
        return f"the sampler's default weight is {EVAL_GUIDANCE:g} (not chosen on validation)"
    sweep = ", ".join(f"{w:g}: {pct(v)}" for w, v in m["guidance_sweep"])
    return (f"the sampler's default weight is **{m['guidance_chosen']:g}**, chosen on {m['guidance_validation_prompts']} "
            f"validation prompts by the pixel judge's top-1 ({sweep}): the {m['guidance_rule']}")


def refine_text(m: dict) -> str:
    """The card's words for the refine phase, from the metrics (empty for a model trained without one)."""
    if not m.get("refine_steps"):
        return ""
    curve = ", ".join(f"{st}: {pct(v)}" for st, v in m["refine_curve"])
    phases = m.get("refine_phases") or [{"steps": m["refine_steps"], "lr": m["refine_lr"]}]
    what = " then ".join(f"{p['steps']} steps (learning rate {p['lr']:g})" for p in phases)
    return (f" + {'a refine phase' if len(phases) == 1 else f'{len(phases)} refine phases, each continuing the one before,'} of "
            f"{what}; of their snapshots, the one at refine step "
            f"{m['refine_chosen_step']} was kept by the pixel judge's top-1 on {m['refine_validation_prompts']} validation "
            f"prompts (training names and seeds the judge's report does not use; {curve})")


def choose_refined(base: UNet, snaps: dict, vae: Vae, scale: float, text: TextCache, ds: ClipData,
                   x0_clip: float, steps: int = EVAL_STEPS) -> tuple[UNet, dict]:
    """Early stopping for the refine phase, on validation prompts: the pixel judge's top-1 (judge.py) for the
    first phase's end (step 0) and each kept snapshot; the best is kept (ties: the earlier). The validation
    prompts are training names the judge's report leaves out, drawn from seeds it does not use."""
    import judge

    curve, best, best_score = [], base, -1.0
    refs = judge.reference(ds)
    for step in sorted(snaps):
        net = copy.deepcopy(base)
        net.load_state_dict(snaps[step])
        net.eval()
        score = judge.validation_top1(net, vae, scale, text, ds, x0_clip, steps, refs)
        curve.append([int(step), round(score, 4)])
        log(f"unet-refine: step {step} validation top-1 (pixel judge) {score:.1%}")
        if score > best_score:
            best, best_score = net, score
    chosen = max(curve, key=lambda c: (c[1], -c[0]))[0]
    return best, {"refine_curve": curve, "refine_chosen_step": chosen, "refine_validation_prompts": judge.VALIDATION}


# ---------------------------------------------------------------------------------------- sampling
def timesteps(steps: int, start: int = T_START) -> list[int]:
    """The steps visited, from `start` down: t_i = round(start − i·start/steps), i = 0 … steps−1 (then 0, the
    clean image)."""
    return [math.floor(start - i * start / steps + 0.5) for i in range(steps)]  # half up, as JavaScript's Math.round


@torch.no_grad()
def sample(unet: UNet, text: TextCache, prompts: list[str], noise: torch.Tensor, steps: int = EVAL_STEPS,
           guidance: float = EVAL_GUIDANCE, eta: float = 0.0, x0_clip: float = 4.0,
           g: torch.Generator | None = None, negatives: list[str] | None = None) -> torch.Tensor:
    """Generalised DDIM (Song et al. 2021): η = 0 deterministic DDIM, η = 1 DDPM's ancestral sampler.
    Classifier-free guidance: ε = ε(∅) + w·(ε(prompt) − ε(∅)); with negative prompts, ε(negative) takes
    the place of ε(∅). x̂_0 is clipped to ±x0_clip and ε recomputed from it. Returns the final scaled
    latents."""
    ab = cosine_alpha_bar(T)
    b = len(prompts)
    ctx, mask, pooled = text((negatives or [""] * b) + prompts)
    x = noise.double()
    ts = timesteps(steps)
    for k, t in enumerate(ts):
        s = ts[k + 1] if k + 1 < len(ts) else 0
        inp = torch.cat([x, x]).float()
        e_u, e_c = unet(inp, torch.full((2 * b,), float(t)), ctx, mask, pooled).double().chunk(2)
        eps = e_u + guidance * (e_c - e_u)
        a_t, a_s = ab[t], ab[s]
        x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-x0_clip, x0_clip)
        eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        sigma = eta * ((1 - a_s) / (1 - a_t) * (1 - a_t / a_s)).sqrt() if s > 0 else torch.tensor(0.0, dtype=torch.float64)
        x = a_s.sqrt() * x0 + (1 - a_s - sigma ** 2).clamp(min=0).sqrt() * eps
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=g).double()
    return x.float()


def seeded_noise(seed: int, n: int = 1) -> torch.Tensor:
    return torch.randn((n, 4, 8, 8), generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------------------- evaluation
def eval_prompts(ds: ClipData) -> tuple[list[int], list[int]]:
    """40 training emoji and 10 held-out emoji, evenly spread over the emoji order (so over every
    category, flags included): a fixed list, not hand-picked."""
    tr = ds.train[:: max(1, len(ds.train) // 40)][:40]
    ho = ds.held[:: max(1, len(ds.held) // 10)][:10]
    return tr, ho


@torch.no_grad()
def rank_of_own_name(clip: MicroClip, name_emb: torch.Tensor, pix: torch.Tensor, target: list[int]) -> torch.Tensor:
    img = F.normalize(clip.encode_image(pix), dim=-1)
    sims = img @ name_emb.t()
    own = sims[torch.arange(len(target)), torch.tensor(target)]
    return (sims > own[:, None]).sum(1)


@torch.no_grad()
def evaluate(unet: UNet, vae: Vae, scale: float, text: TextCache, clip: MicroClip, tok: WordPiece, ds: ClipData,
             x0_clip: float, steps: int = EVAL_STEPS, guidance: float = EVAL_GUIDANCE) -> dict:
    names = embed_texts(clip, tok, ds.names)
    tr, ho = eval_prompts(ds)
    res: dict = {"eval_steps": steps, "eval_guidance": guidance, "eval_seeds": list(EVAL_SEEDS),
                 "n_names": len(ds.names), "chance_top10": 10 / len(ds.names)}
    for split, members in (("train", tr), ("held_out", ho)):
        hits, n = 0, 0
        for seed in EVAL_SEEDS:
            noise = seeded_noise(seed * 1000, len(members))
            lat = sample(unet, text, [ds.names[e] for e in members], noise, steps, guidance, x0_clip=x0_clip)
            pix = vae.decoder(lat / scale).clamp(-1, 1)
            rank = rank_of_own_name(clip, names, pix, members)
            hits, n = hits + int((rank < 10).sum()), n + len(members)
        res[f"{split}_top10"] = hits / n
        res[f"{split}_prompts"] = [ds.names[e] for e in members]
        # baselines: uniform noise images (floor) and the real emoji art through the autoencoder (ceiling)
        g = torch.Generator().manual_seed(5)
        noise_pix = torch.rand((len(members) * 4, 3, 32, 32), generator=g) * 2 - 1
        res[f"{split}_noise_top10"] = float((rank_of_own_name(clip, names, noise_pix, members * 4) < 10).float().mean())
        real = [ds.base_image(e, s) for e in members for s in (0, 1)]
        keep = [(e, i) for e, i in zip([e for e in members for _ in (0, 1)], real) if i is not None]
        rec = vae.decoder(encode_latents(vae, to_pixels(ds.images([i for _, i in keep])))).clamp(-1, 1)
        res[f"{split}_real_top10"] = float((rank_of_own_name(clip, names, rec, [e for e, _ in keep]) < 10).float().mean())
    return res


# --------------------------------------------------------------------------------------------- export
class UNetWrap(torch.nn.Module):
    def __init__(self, unet: UNet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds):
        return self.unet(sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds)


class EncWrap(torch.nn.Module):
    def __init__(self, vae: Vae):
        super().__init__()
        self.vae = vae

    def forward(self, pixel_values):
        return self.vae.encoder(pixel_values)[0]


class DecWrap(torch.nn.Module):
    def __init__(self, vae: Vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decoder(latent)


def _export(model: torch.nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str], dyn: dict) -> None:
    torch.onnx.export(model.eval(), args, path, input_names=inputs, output_names=outputs, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)
    import onnx

    onnx.checker.check_model(onnx.load(path))


def _img(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1).permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()


@torch.no_grad()
def write_grid(unet: UNet, vae: Vae, scale: float, text: TextCache, folder: str, x0_clip: float,
               guidance: float = EVAL_GUIDANCE) -> None:
    """sample_grid.png: prompts × 4 seeds (DDIM 30 steps, the default guidance), then a guidance strip."""
    from PIL import Image, ImageDraw

    cell, label_w, seeds = 72, 130, (1, 2, 3, 4)
    guid = [0.0, 1.0, 2.0, 4.0, 6.0, 9.0]
    rows = len(GRID_PROMPTS) + 1
    im = Image.new("RGB", (label_w + cell * max(len(seeds), len(guid)), 26 + cell * rows + 18), "white")
    dr = ImageDraw.Draw(im)
    dr.text((6, 6), f"micro latent diffusion: DDIM {EVAL_STEPS} steps, guidance {guidance:g}, seeds 1-4 (each 32x32, shown 2x)", fill="black")
    for r, p in enumerate(GRID_PROMPTS):
        noise = torch.cat([seeded_noise(s) for s in seeds])
        pix = vae.decoder(sample(unet, text, [p] * len(seeds), noise, guidance=guidance, x0_clip=x0_clip) / scale)
        dr.text((6, 26 + r * cell + 28), p, fill="black")
        for c in range(len(seeds)):
            im.paste(Image.fromarray(_img(pix[c])).resize((64, 64), Image.NEAREST), (label_w + c * cell, 26 + r * cell + 4))
    r = len(GRID_PROMPTS)
    dr.text((6, 26 + r * cell + 20), "red apple, seed 1,\nguidance 0 1 2 4 6 9", fill="black")
    for c, w in enumerate(guid):
        pix = vae.decoder(sample(unet, text, ["red apple"], seeded_noise(1), guidance=w, x0_clip=x0_clip) / scale)
        im.paste(Image.fromarray(_img(pix[0])).resize((64, 64), Image.NEAREST), (label_w + c * cell, 26 + r * cell + 4))
    im.save(os.path.join(folder, "sample_grid.png"))


@torch.no_grad()
def write_parity(unet: UNet, vae: Vae, scale: float, text: TextCache, tok: WordPiece, folder: str, x0_clip: float) -> None:
    g = torch.Generator().manual_seed(99)
    z = torch.randn((2, 4, 8, 8), generator=g)
    prompts = ["", "red apple"]
    ctx, mask, pooled = text(prompts)
    t = torch.tensor([500.0, 500.0])
    eps = unet(z, t, ctx, mask, pooled)
    pix = torch.rand((1, 3, 32, 32), generator=g) * 2 - 1
    enc = vae.encoder(pix)[0]
    dec = vae.decoder(z[:1])
    noise = seeded_noise(7)
    lat = sample(unet, text, ["red apple"], noise, steps=10, guidance=4.0, x0_clip=x0_clip)
    lat_neg = sample(unet, text, ["red apple"], noise, steps=10, guidance=4.0, x0_clip=x0_clip, negatives=["green"])
    out = {"about": "Fixed inputs and what torch computed from them; tests check the ONNX files and the TypeScript sampler.",
           "unet": {"sample": z.flatten().tolist(), "timestep": t.tolist(), "prompts": prompts,
                    "input_ids": [tok.encode(p) for p in prompts], "noise_pred": eps.flatten().tolist()},
           "vae_encoder": {"pixel_values": pix.flatten().tolist(), "latent": enc.flatten().tolist()},
           "vae_decoder": {"latent": z[:1].flatten().tolist(), "sample": dec.flatten().tolist()},
           "ddim": {"prompt": "red apple", "steps": 10, "guidance": 4.0, "noise": noise.flatten().tolist(),
                    "latent": lat.flatten().tolist()},
           "ddim_negative": {"prompt": "red apple", "negative": "green", "steps": 10, "guidance": 4.0,
                             "latent": lat_neg.flatten().tolist()}}
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump(out, f)


def export(unet: UNet, vae: Vae, scale: float, x0_clip: float, text: TextCache, tok: WordPiece, metrics: dict,
           out_dir: str, train_cmd: str) -> None:
    z = torch.randn(2, 4, 8, 8)
    ctx, mask, pooled = text(["", "red apple"])
    guidance = metrics.get("guidance_chosen", EVAL_GUIDANCE)
    with StagingDir(out_dir) as tmp, torch.no_grad():
        os.makedirs(os.path.join(tmp, "onnx"))
        _export(UNetWrap(unet), (z, torch.tensor([500.0, 500.0]), ctx, mask, pooled), os.path.join(tmp, "onnx", "unet.onnx"),
                ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask", "text_embeds"], ["noise_pred"],
                {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"},
                 "encoder_attention_mask": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}, "noise_pred": {0: "batch"}})
        _export(EncWrap(vae), (torch.zeros(1, 3, 32, 32),), os.path.join(tmp, "onnx", "vae_encoder.onnx"),
                ["pixel_values"], ["latent"], {"pixel_values": {0: "batch"}, "latent": {0: "batch"}})
        _export(DecWrap(vae), (z[:1],), os.path.join(tmp, "onnx", "vae_decoder.onnx"),
                ["latent"], ["sample"], {"latent": {0: "batch"}, "sample": {0: "batch"}})
        encoder_fp = write_text_encoder(os.path.join(tmp, "text_encoder"), text.clip, tok, text.context)
        metrics["text_encoder"], metrics["text_context"] = encoder_fp, text.context
        metrics.update(provenance())
        config = {
            "model_type": "micro-latent-diffusion",
            "text_encoder": {"model": "micro-diffusion/text_encoder", "fingerprint": encoder_fp,
                             "inputs": "text_encoder/onnx/text_model.onnx → last_hidden_state (cross-attention) and text_embeds (pooled)",
                             "context": text.context,
                             "unconditional_prompt": "",
                             "source": "micro-CLIP's text encoder as it was when this UNet was trained (its own copy, so a retrained micro-CLIP changes nothing here)"},
            "schedule": {"kind": "cosine", "T": T, "s": 0.008, "max_beta": 0.999,
                         "why": "the cosine schedule keeps information longer in the first steps; a linear schedule destroys a tiny 8×8 latent too early (Nichol & Dhariwal 2021)"},
            "prediction_type": "epsilon",
            "timestep_input": "float t in 1 … T (0 = clean image)",
            "image": {"size": 32, "channels": 3, "range": [-1, 1], "background_rgb": [D.BACKGROUND] * 3},
            "latent": {"channels": 4, "size": 8, "scaling_factor": scale,
                       "note": "vae_encoder gives the unscaled latent mean; multiply by scaling_factor before diffusion, divide before vae_decoder (as SD's 0.18215)"},
            "sampling": {"default_steps": EVAL_STEPS, "default_guidance": guidance, "default_sampler": "ddim",
                         "x0_clip": x0_clip, "t_start": T_START,
                         "timesteps": "t_i = round(t_start − i·t_start/steps), i = 0 … steps−1; t_start < T because ᾱ_T ≈ 2e-9 makes the first x̂₀ numerically unstable"},
            "unet": unet.cfg.to_dict(), "vae": vae.cfg.to_dict(),
        }
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        metrics["onnx_bytes"] = {n: os.path.getsize(os.path.join(tmp, "onnx", n)) for n in sorted(os.listdir(os.path.join(tmp, "onnx")))}
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
        write_parity(unet, vae, scale, text, tok, tmp, x0_clip)
        write_grid(unet, vae, scale, text, tmp, x0_clip, guidance)
        write_card(metrics, tmp, train_cmd, scale)
        write_licences(tmp, MODEL_DATA["micro-diffusion"])
        log("diffusion: exported " + ", ".join(f"{n} {b / 1e6:.1f} MB" for n, b in metrics["onnx_bytes"].items()))


VIDEO_BASE = "micro-video/base"


def keep_video_base(models_dir: str) -> bool:
    """micro-video's temporal layers were trained on one image UNet and only work on it. When micro-diffusion is
    about to be replaced while micro-video still runs on it (its config's `base_unet_sha256` is the shipped UNet
    file's), that image model's runtime files (config, metrics, parity, onnx/, text_encoder/) are copied into
    micro-video/base/ and micro-video's config names that folder as its image model, so the shipped video model
    keeps working until `npm run train -- video` trains it on the new one. Returns whether it copied."""
    import hashlib
    import shutil

    video, diff = os.path.join(models_dir, "micro-video"), os.path.join(models_dir, "micro-diffusion")
    cfg_path, unet_path = os.path.join(video, "config.json"), os.path.join(diff, "onnx", "unet.onnx")
    if not (os.path.exists(cfg_path) and os.path.exists(unet_path)):
        return False
    with open(cfg_path) as f:
        cfg = json.load(f)
    with open(unet_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    if cfg.get("image_model") != "micro-diffusion" or cfg.get("base_unet_sha256") != sha:
        return False
    with StagingDir(os.path.join(models_dir, VIDEO_BASE)) as tmp:
        for name in ("config.json", "metrics.json", "parity.json"):
            shutil.copy2(os.path.join(diff, name), tmp)
        for name in ("onnx", "text_encoder"):
            shutil.copytree(os.path.join(diff, name), os.path.join(tmp, name))
        with open(os.path.join(tmp, "config.json")) as f:
            base = json.load(f)
        base["text_encoder"]["model"] = VIDEO_BASE + "/text_encoder"
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(base, f, indent=2)
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(f"""# micro-video's image model

The micro-diffusion that micro-video's temporal layers were trained on (unet.onnx sha256 `{sha[:16]}…`), with the
text encoder and autoencoder it was trained with. It was copied here by `npm run train -- diffusion` when a
retrained micro-diffusion replaced it, so the video model keeps drawing what it learned to animate. Its card,
figures and data licences are those of micro-video's README; `npm run train -- video` trains the temporal layers
on the shipped micro-diffusion again and removes this folder.
""")
    cfg["image_model"] = VIDEO_BASE
    with open(cfg_path + ".tmp", "w") as f:
        json.dump(cfg, f, indent=2)
    os.replace(cfg_path + ".tmp", cfg_path)
    card = os.path.join(video, "README.md")
    if os.path.exists(card):
        with open(card) as f:
            text = f.read()
        note = ("\n## Image model\nmicro-diffusion was retrained after these temporal layers. They run on the image model they "
                f"were trained on, kept in `base/` (unet.onnx sha256 `{sha[:16]}…`), until `npm run train -- video` trains them again.\n")
        if "## Image model" not in text:
            with open(card, "w") as f:
                f.write(text.rstrip("\n") + "\n" + note)
    log(f"diffusion: micro-video keeps the image model it was trained on, copied to {os.path.relpath(os.path.join(models_dir, VIDEO_BASE))}")
    return True


def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def judge_text(j: dict | None) -> str:
    """The independent judge's figures (training/judge.py), or a line saying it has not run."""
    if not j:
        return "\nIndependent judge: not run for this model yet (`npm run train -- judge`).\n"

    def r(x: dict) -> str:
        lo, hi = x["ci95"]
        return f"{pct(x['rate'])} ({100 * lo:.0f}–{100 * hi:.0f} %, n = {x['n']})"

    rows = "\n".join(
        f"| {label} | {r(j[k]['top1'])} | {r(j[k]['top5'])} | {r(j[k]['shuffled_prompt']['top1'])} | {r(j[k]['guidance_0']['top1'])} | "
        f"{j[k]['nearest_training_rms']['median']:.3f} |"
        for k, label in (("train", "training names"), ("held_out", "held-out names")) if k in j)
    g, d = j["grid"], j["diversity"]
    return f"""
## Independent judge (no learned model)
A picture shows an emoji when its nearest art in pixel space (RMS over the 32×32 RGB picture, values 0–1),
among the base images of all {{n}} emoji in both styles, is that emoji's. One picture per prompt, for every
third training name and every held-out name (DDIM {j['steps']} steps, guidance {j['guidance']}); baselines: the same pictures judged against another prompt's
emoji (shuffled), and pictures from the same noise at guidance 0 (no prompt).

| prompts | nearest art is the prompt's (top-1) | top-5 | shuffled prompt, top-1 | guidance 0, top-1 | median distance to the nearest training image |
|---|---|---|---|---|---|
{rows}

**The 6×6 grid** (`judge_grid.png`, seed 1): {g['recognisable']} of {g['n']} common prompts recognisable by
this judge (goal ≥ {g['goal']}: {"met" if g['recognisable'] >= g['goal'] else "**not met**"}){(": missed " + ", ".join(g['misses'])) if g['misses'] else ""}.

![judged grid](judge_grid.png)

**Memorisation.** A training-name picture lies a median {j['train']['nearest_training_rms']['median']:.3f} from its
nearest training image, while two different training emoji lie {d['rms_between_training_images']:.3f} apart on
average: {"closer to one training picture than training pictures are to each other by more than half — it redraws its training art" if j['train']['nearest_training_rms']['median'] < d['rms_between_training_images'] / 2 else "not much closer to its training art than training pictures are to each other"}
(it was trained on {j.get('atlas', {}).get('images', 0):,} base pictures and their skin-tone variants).
**Diversity:** four seeds of one prompt differ by {d['rms_between_seeds']:.3f} on average.
The deck's ethics section shows this live (`MemorisationProbe`, with `training-images.png`).
""".replace("{n}", "1,905")


def training_text(m: dict) -> str:
    """The card's words for how the model was trained, from the metrics."""
    init = m.get("init") or {}
    first = (init.get("unet_train_seconds") or 0) + (init.get("refine_train_seconds") or 0)
    minutes = (m.get("vae_train_seconds", 0) + first + m.get("unet_train_seconds", 0) + m.get("refine_train_seconds", 0)) / 60
    lr = f", learning rate {m['unet_lr']:g}" if init and m.get("unet_lr") else ""
    tail = f"{m.get('unet_steps')} UNet steps (batch {m.get('unet_batch')}{lr}){refine_text(m)}, {minutes:.0f} min on a 2-core CPU"
    if not init:
        return f"{m.get('vae_steps')} autoencoder steps (batch {m.get('vae_batch')}) + {tail}"
    return (f"warm start: the micro-diffusion trained before on text encoder {init['text_encoder']} (`{init['folder']}`: "
            f"{m.get('vae_steps')} autoencoder steps, kept as they are, and {init['unet_steps']}"
            f"{' + ' + str(init['refine_steps']) if init.get('refine_steps') else ''} UNet steps of batch {init['unet_batch']}); then, on this text encoder, {tail}, both stages counted")


def write_card(m: dict, folder: str, train_cmd: str, scale: float) -> None:
    size = sum(os.path.getsize(os.path.join(folder, "onnx", n)) for n in os.listdir(os.path.join(folder, "onnx")))
    text = f"""# micro latent diffusion

A text-to-image model built the way Stable Diffusion is built — an autoencoder, a denoising UNet that works in
the autoencoder's latent space, a CLIP text encoder steering it through cross-attention, and classifier-free
guidance — only small enough to train on a laptop CPU and run live in the browser.
Made by this project's pipeline (`training/`); the deck runs it with onnxruntime-web (WebGPU or WASM).

| | |
|---|---|
| Autoencoder | VAE, 32×32×3 ↔ 8×8×4 (12× fewer numbers), {m.get('vae_params', 0):,} parameters, KL weight 1e-6 |
| Latent scale factor | {scale:.4f} (1 / std of the training latents) |
| Denoiser | UNet, 8×8 and 4×4, self- and cross-attention at both, {m.get('unet_params', 0):,} parameters |
| Prediction | ε (the noise), min-SNR-5 loss weighting |
| Schedule | cosine (s = 0.008), T = 1000 — a linear schedule would wipe an 8×8 latent out too early |
| Text conditioning | frozen micro-CLIP text encoder, shipped in `text_encoder/` (fingerprint {m.get('text_encoder', 'not recorded')}): {CONTEXT_WORDS[m.get('text_context', 'states')]} (cross-attention) + pooled embedding (added to the time embedding) |
| Guidance | classifier-free: {int(UNCOND_DROPOUT * 100)} % of training captions replaced by the empty prompt; {guidance_text(m)} |
| Sampler | DDIM (η = 0) or DDPM (η = 1), x̂₀ clipped to ±{m.get('x0_clip', 4.0):g} |
| Files | `onnx/unet.onnx`, `onnx/vae_encoder.onnx`, `onnx/vae_decoder.onnx`: {size / 1e6:.1f} MB together, fp32 |
| Training | {training_text(m)} |

Command: `{train_cmd}` (resumable; deterministic given `--seed`).

## Data
The emoji art of `emoji-datasource-google` (Noto Emoji, Apache-2.0, © Google) and `emoji-datasource-twitter`
(Twemoji, CC-BY 4.0, © Twitter/X and contributors), with names and `emojilib` keywords (MIT) as captions —
the same training split as micro-CLIP (see `training/DATA.md`). Held-out emoji were never seen.

## Metrics
For 40 training emoji names and 10 held-out names (evenly spread over the emoji list, flags included), two
seeds each, DDIM {m.get('eval_steps')} steps, guidance {m.get('eval_guidance')}: how often micro-CLIP ranks
the prompt among its top 10 of all {m.get('n_names')} emoji names for the generated image.

| prompts | generated | uniform noise images | real art through the autoencoder | chance |
|---|---|---|---|---|
| training names (goal ≥ 60 %) | **{pct(m.get('train_top10'))}** | {pct(m.get('train_noise_top10'))} | {pct(m.get('train_real_top10'))} | {pct(m.get('chance_top10'))} |
| held-out names | **{pct(m.get('held_out_top10'))}** | {pct(m.get('held_out_noise_top10'))} | {pct(m.get('held_out_real_top10'))} | {pct(m.get('chance_top10'))} |

Autoencoder reconstruction of held-out emoji: {m.get('vae_heldout_psnr_db')} dB PSNR.

![sample grid](sample_grid.png)

How to read this table: micro-CLIP conditions the generator *and* scores it, so it agrees with itself. Real
art scores {pct(m.get('train_real_top10'))} on training names (the row's ceiling), so the row says how closely
the generator follows its conditioning, not whether a person would know the picture. The independent judge
below uses no learned model.
{judge_text(m.get('judge'))}
## Limits
32×32 pixels, emoji only: it draws emoji it has seen; for new words it draws the nearest emoji it knows, or a
blend. Different seeds of one prompt often look alike (little data, strong guidance); lower guidance gives more
variety. Anything it makes carries the biases of two emoji sets (see the data card).
"""
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(text)


# ------------------------------------------------------------------------------------------- stage
def run(run_dir: str, cache_dir: str, models_dir: str, recipe: dict, seed: int, train_cmd: str, eval_only: bool = False) -> dict:
    """Trains (or resumes) both phases, evaluates and exports. With `eval_only` the finished checkpoints
    are evaluated and the metrics printed; nothing is trained or exported."""
    ds = ClipData(cache_dir, seed)
    clip, tok = load_clip(run_dir, models_dir)
    if eval_only:
        for ph in ("unet",) if recipe.get("init") else ("vae", "unet"):
            path = os.path.join(run_dir, f"{ph}.ckpt")
            if not os.path.exists(path) or not torch.load(path).get("done"):
                raise PipelineError(f"nothing to evaluate: {os.path.relpath(path)} is missing or unfinished; train first (`npm run train -- diffusion`)")
    text = TextCache(clip, tok, recipe.get("context", "states"))
    init = None
    if recipe.get("init"):
        vae, m, init = load_init(recipe["init"])
    else:
        vae, m = train_vae(run_dir, ds, recipe["vae"]["steps"], recipe["vae"]["batch"], seed)
        m.update(vae_metrics(vae, ds))
    scale = m["scaling_factor"]
    log(f"vae: held-out PSNR {m['vae_heldout_psnr_db']} dB, latent std {m['latent_std']:.3f} → scale {scale}, x̂0 clip ±{m['x0_clip']}")
    u = recipe["unet"]
    unet, mu = train_unet(run_dir, ds, vae, scale, text, u["steps"], u["batch"], seed, lr=u.get("lr", 8e-4), init=init)
    m.update(mu)
    if recipe.get("refine"):
        refined, mr = train_unet(run_dir, ds, vae, scale, text, u["steps"], u["batch"], seed, lr=u.get("lr", 8e-4),
                                 refine=recipe["refine"], init=init)
        snaps = mr.pop("refine_snaps")
        unet, mc = choose_refined(refined, snaps, vae, scale, text, ds, m["x0_clip"], recipe.get("eval_steps", EVAL_STEPS))
        m.update(mr)
        m.update(mc)
    if recipe.get("guidance"):  # the sampler's default weight, on validation
        import judge

        m.update(judge.choose_guidance(unet, vae, scale, text, ds, m["x0_clip"], recipe["guidance"], recipe.get("eval_steps", EVAL_STEPS)))
    m.update(evaluate(unet, vae, scale, text, clip, tok, ds, m["x0_clip"], steps=recipe.get("eval_steps", EVAL_STEPS),
                      guidance=m.get("guidance_chosen", EVAL_GUIDANCE)))
    m["seed"] = seed
    log(f"diffusion: own prompt in micro-CLIP's top-10 — training names {m['train_top10']:.1%} "
        f"(noise {m['train_noise_top10']:.1%}, real {m['train_real_top10']:.1%}), held-out {m['held_out_top10']:.1%} "
        f"(chance {m['chance_top10']:.2%})")
    if eval_only:
        print(json.dumps({k: v for k, v in m.items() if not k.endswith("_prompts")}, indent=1))
        return m
    with open(os.path.join(run_dir, "diffusion_metrics.json"), "w") as f:
        json.dump(m, f, indent=2)
    keep_video_base(models_dir)
    export(unet, vae, scale, m["x0_clip"], text, tok, m, os.path.join(models_dir, "micro-diffusion"), train_cmd)
    return m
