"""Training and evaluation of micro-CLIP on the emoji data (resumable, deterministic given a seed)."""
from __future__ import annotations

import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import data as D
from clip_model import ClipConfig, MicroClip, count_params
from tokenizer import WordPiece, build_vocab
from util import atomic_torch_save, log, optimizer_step


def to_pixels(rgba: torch.Tensor, background: float | torch.Tensor = D.BACKGROUND / 255.0) -> torch.Tensor:
    """RGBA float [b,4,64,64] in 0..1 -> RGB composited on the background, area-downsampled to 32x32,
    scaled to [-1, 1]. The demos feed the model exactly this (the browser composites and downsamples
    the same way before embedding)."""
    rgb, a = rgba[:, :3], rgba[:, 3:4]
    if not torch.is_tensor(background):
        background = torch.tensor(background)
    bg = background.reshape(-1, 1, 1, 1) if background.dim() else background
    out = rgb * a + bg * (1 - a)
    out = F.avg_pool2d(out, 2)
    return out * 2 - 1


def augment(rgba: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Geometric + colour + style augmentation on RGBA [b,4,64,64] (0..1). Hue is left alone: colour
    words ("red apple", "green apple") depend on it."""
    b = rgba.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(b, generator=g)
    scale = u(0.72, 1.12)
    small = torch.rand(b, generator=g) < 0.12
    scale = torch.where(small, u(0.45, 0.7), scale)
    ang = u(-0.3, 0.3)
    tx, ty = u(-0.12, 0.12), u(-0.12, 0.12)
    flip = torch.where(torch.rand(b, generator=g) < 0.0, -1.0, 1.0)  # no flips: arrows have directions
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(rgba.shape), align_corners=False)
    x = F.grid_sample(rgba, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    rgb, a = x[:, :3], x[:, 3:4]
    # colour: brightness, contrast, saturation
    rgb = rgb * u(0.85, 1.15)[:, None, None, None]
    mean = rgb.mean(dim=(1, 2, 3), keepdim=True)
    rgb = (rgb - mean) * u(0.8, 1.2)[:, None, None, None] + mean
    grey = rgb.mean(dim=1, keepdim=True)
    rgb = (rgb - grey) * u(0.7, 1.25)[:, None, None, None] + grey
    # style: flat colours (posterise) for some images
    post = (torch.rand(b, generator=g) < 0.15)[:, None, None, None]
    rgb = torch.where(post, torch.round(rgb.clamp(0, 1) * 3) / 3, rgb)
    x = torch.cat([rgb.clamp(0, 1), a], 1)
    bg = torch.full((b,), D.BACKGROUND / 255.0)
    odd = torch.rand(b, generator=g) < 0.25
    bg = torch.where(odd, u(0.6, 1.0), bg)
    return to_pixels(x, bg)


def word_dropout(text: str, rng: random.Random, p: float = 0.1) -> str:
    words = text.split()
    if len(words) < 3:
        return text
    kept = [w for w in words if rng.random() > p]
    return " ".join(kept) if kept else words[0]


class ClipData:
    def __init__(self, cache_dir: str, seed: int, limit: int | None = None):
        self.emoji = D.load_emoji()
        arrays = D.build_arrays(self.emoji, cache_dir, limit)
        self.rgba = torch.from_numpy(arrays["rgba"]).permute(0, 3, 1, 2).contiguous()  # uint8 [N,4,64,64]
        self.eidx, self.style, self.tone = arrays["emoji_index"], arrays["style"], arrays["tone"]
        n_emoji = int(self.eidx.max()) + 1
        self.emoji = self.emoji[:n_emoji]
        train, held = D.split_emoji(self.emoji, seed=0)  # split fixed across seeds, so metrics compare
        self.train, self.held = train, held
        self.by_emoji: dict[int, list[int]] = {}
        for i, e in enumerate(self.eidx.tolist()):
            self.by_emoji.setdefault(e, []).append(i)
        self.names = [e.name for e in self.emoji]

    def images(self, idx) -> torch.Tensor:
        return self.rgba[idx].float() / 255.0

    def base_image(self, e: int, style: int) -> int | None:
        for i in self.by_emoji.get(e, []):
            if self.style[i] == style and self.tone[i] == 0:
                return i
        return None


def build_tokenizer(ds: ClipData) -> WordPiece:
    """Whole-word tokens for words the training captions use at least twice; everything else —
    including every word that only held-out emoji use — is spelled in character pieces. Those pieces
    are trained (rare training words use them), so an unseen word never gets an untrained vector."""
    texts = []
    for i in ds.train:
        e = ds.emoji[i]
        texts.append(e.name)
        texts.extend(e.keywords)
    texts.extend(list(D.TONES.values()) * 2)  # tone words are in every tone variant's caption
    return WordPiece(build_vocab(texts, extra=[], min_count=2))


@torch.no_grad()
def embed_texts(model: MicroClip, tok: WordPiece, texts: list[str], bs: int = 512) -> torch.Tensor:
    out = []
    for i in range(0, len(texts), bs):
        ids, mask = tok.batch(texts[i : i + bs])
        out.append(F.normalize(model.encode_text(ids, mask)[0], dim=-1))
    return torch.cat(out)


@torch.no_grad()
def evaluate(model: MicroClip, tok: WordPiece, ds: ClipData) -> dict:
    """Top-1 on training emoji (per art style) and zero-shot top-1/top-5 on held-out emoji, each image
    ranked against the names of *all* emoji. Base images (no skin-tone variants)."""
    model.eval()
    txt = embed_texts(model, tok, ds.names)
    res: dict = {"n_names": len(ds.names), "chance_top1": 1 / len(ds.names), "chance_top5": 5 / len(ds.names)}
    for split, members in (("train", ds.train), ("held_out", ds.held)):
        for style, sname in ((0, "noto"), (1, "twemoji")):
            idx = [(e, ds.base_image(e, style)) for e in members]
            idx = [(e, i) for e, i in idx if i is not None]
            if not idx:
                continue
            pix = to_pixels(ds.images([i for _, i in idx]))
            img = torch.cat([F.normalize(model.encode_image(pix[j : j + 512]), dim=-1) for j in range(0, len(pix), 512)])
            sims = img @ txt.t()
            target = torch.tensor([e for e, _ in idx])
            rank = (sims > sims[torch.arange(len(idx)), target][:, None]).sum(1)
            res[f"{split}_{sname}_top1"] = float((rank < 1).float().mean())
            res[f"{split}_{sname}_top5"] = float((rank < 5).float().mean())
            res[f"{split}_{sname}_n"] = len(idx)
    for k in ("top1", "top5"):
        vals = [res[f"held_out_{s}_{k}"] for s in ("noto", "twemoji") if f"held_out_{s}_{k}" in res]
        if vals:
            res[f"held_out_{k}"] = sum(vals) / len(vals)
    model.train()
    return res


def _legacy_elapsed(run_dir: str, st: dict) -> float:
    """Training seconds of a finished checkpoint written before checkpoints kept the time."""
    path = os.path.join(run_dir, "clip_metrics.json")
    if st.get("done") and os.path.exists(path):
        with open(path) as f:
            return float(json.load(f).get("train_seconds_this_run", 0.0))
    return 0.0


def train(run_dir: str, cache_dir: str, steps: int, batch: int, seed: int, limit: int | None = None,
          lr: float = 1.5e-3, log_every: int = 50, ckpt_every: int = 250,
          on_step=None) -> tuple[MicroClip, WordPiece, ClipData, dict]:
    """Trains (or resumes) micro-CLIP. `on_step(step)` is called after each step (tests use it to
    interrupt a run)."""
    torch.manual_seed(seed)
    ds = ClipData(cache_dir, seed, limit)
    tok = build_tokenizer(ds)
    cfg = ClipConfig(vocab_size=len(tok.vocab))
    model = MicroClip(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.02, betas=(0.9, 0.98))
    warm = max(1, min(150, steps // 10))
    sched = lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))
    g = torch.Generator().manual_seed(seed)
    start, hist, elapsed0, curve = 0, [], 0.0, []
    ckpt = os.path.join(run_dir, "clip.ckpt")
    meta = {"steps": steps, "batch": batch, "seed": seed, "limit": limit, "lr": lr, "cfg": cfg.to_dict()}
    if os.path.exists(ckpt):
        try:
            st = torch.load(ckpt)
        except Exception as exc:
            raise RuntimeError(f"checkpoint {ckpt} is unreadable ({exc}); delete it to start this stage afresh") from exc
        if st.get("meta") == meta:
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["opt"])
            g.set_state(st["gen"])
            torch.set_rng_state(st["torch_rng"])
            start, hist, curve = st["step"], st["hist"], st.get("curve", [])
            elapsed0 = st.get("elapsed", _legacy_elapsed(run_dir, st))
            log(f"clip: resuming from step {start}")
        else:
            log("clip: checkpoint is from different settings; starting afresh")
    log(f"clip: {count_params(model):,} parameters ({count_params(model.image):,} image, "
        f"{count_params(model.text):,} text), vocab {len(tok.vocab)}, {len(ds.train)} train / {len(ds.held)} held-out emoji")
    t0, train_emoji = time.time(), np.array(ds.train)
    model.train()
    for step in range(start, steps):
        rng = random.Random(seed * 1_000_003 + step)
        chosen = rng.sample(list(train_emoji), k=min(batch, len(train_emoji)))
        idx = [rng.choice(ds.by_emoji[int(e)]) for e in chosen]
        caps = [word_dropout(D.caption(ds.emoji[int(e)], int(ds.tone[i]), rng), rng) for e, i in zip(chosen, idx)]
        pix = augment(ds.images(idx), g)
        ids, mask = tok.batch(caps)
        hist.append(optimizer_step(opt, model, model.loss(pix, ids, mask), lr * sched(step)))
        if (step + 1) % log_every == 0 or step + 1 == steps:
            el = time.time() - t0
            log(f"clip: step {step + 1}/{steps} loss {np.mean(hist[-log_every:]):.3f} "
                f"scale {model.logit_scale.exp().item():.1f} ({el / (step + 1 - start):.2f} s/step)")
        if (step + 1) % ckpt_every == 0 and step + 1 < steps:
            # The learning curve on both splits, for the card (it does not steer training).
            m = evaluate(model, tok, ds)
            curve.append([step + 1, round(m.get("held_out_top5", 0.0), 4),
                          round((m.get("train_noto_top1", 0.0) + m.get("train_twemoji_top1", 0.0)) / 2, 4)])
            log(f"clip: step {step + 1} held-out top-5 {curve[-1][1]:.1%}, training top-1 {curve[-1][2]:.1%}")
            atomic_torch_save({"meta": meta, "model": model.state_dict(), "opt": opt.state_dict(), "gen": g.get_state(),
                               "torch_rng": torch.get_rng_state(), "step": step + 1, "hist": hist, "curve": curve,
                               "elapsed": elapsed0 + time.time() - t0}, ckpt)
        if on_step is not None:
            on_step(step + 1)
    seconds = time.time() - t0
    metrics = evaluate(model, tok, ds)
    metrics.update({"train_seconds_this_run": round(seconds, 1), "train_seconds_total": round(elapsed0 + seconds, 1), "steps": steps, "batch": batch, "seed": seed,
                    "final_loss": float(np.mean(hist[-50:])) if hist else None, "params": count_params(model),
                    "curve": curve})
    atomic_torch_save({"meta": meta, "model": model.state_dict(), "step": steps, "hist": hist, "done": True, "curve": curve,
                       "elapsed": elapsed0 + seconds,
                       "opt": opt.state_dict(), "gen": g.get_state(), "torch_rng": torch.get_rng_state()}, ckpt)
    with open(os.path.join(run_dir, "clip_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return model, tok, ds, metrics
