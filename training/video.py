"""micro-video: the shipped micro-diffusion taught to move (`npm run train -- video`).

AnimateDiff's recipe (Guo et al. 2023), small: the image UNet stays frozen, and a temporal layer after each
of its seven transformer blocks lets every latent pixel look at the same pixel in the other frames
(self-attention across frames, with a learned position per frame). The temporal layers' outputs start
at zero, so before training the model is the image model drawing each frame on its own.

The clips are made here, from the emoji art the pipeline already uses: a subject moved across a plain
background. Seven motions, each named in words: moving left / right / up / down, zooming in / out,
spinning (and "still" when the prompt names none). The subject words go to the frozen image layers
through micro-CLIP, as for a picture; the motion words pick one of eight learned motion vectors that the
temporal layers add to every frame (a word list, not a text encoder: the prompt parser says which words
it knows).

Emoji split: the image model's training emoji are split again, so each motion is judged on subjects the
video layers never saw moving (validation for choices, test once for the card). The measure reads the
frames only (no model judges): the subject's centroid track for the four directions, its area for the
zooms, and the best-matching rotation between frames for spinning.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import data as D
from diffusion import T, T_START, UNCOND_DROPOUT, OPSET, PipelineError, TextCache, encode_latents, timesteps
from diffusion_model import UNet, count_params, cosine_alpha_bar, norm, timestep_embedding
from lora import shipped_base
from train_clip import ClipData, to_pixels
from loop import TrainLoop
from util import MODEL_DATA, cached_json, cosine_lr, log, optimizer_step, provenance, wilson, write_licences

MOTIONS = ["still", "moving left", "moving right", "moving up", "moving down", "zooming in", "zooming out", "spinning"]
FRAMES = 8
MAX_FRAMES = 16
BLOCKS = ["a0", "a1a", "a1b", "ma", "ua1a", "ua1b", "ua0a"]
STEPS, GUIDANCE = 20, 4.0
SUBJECT_SCALE = 0.6  # the subject's size in the frame (1 = the whole frame)
TRAVEL = 0.7  # how far a moving subject travels, in frame widths × 2 (normalised coordinates)


# ------------------------------------------------------------------------------------------- clips
def parse_prompt(prompt: str) -> tuple[str, int]:
    """'rocket moving up' -> ('rocket', 3). The first motion phrase found is the motion; the rest is the subject."""
    p = " ".join(prompt.lower().split())
    for m, phrase in enumerate(MOTIONS):
        if m and phrase in p:
            return " ".join(p.replace(phrase, " ").split()), m
    return p, 0


def motion_path(motion: int, frames: int, rng: random.Random | None = None) -> list[tuple[float, float, float, float]]:
    """(centre x, centre y, scale, angle) per frame, in normalised coordinates (y down), for one clip."""
    j = (lambda a: rng.uniform(-a, a)) if rng else (lambda a: 0.0)
    s0 = SUBJECT_SCALE * (1 + j(0.15))
    off, travel = j(0.15), TRAVEL * (1 + j(0.15))
    out = []
    for k in range(frames):
        u = k / max(1, frames - 1)
        cx, cy, s, a = off, j(0.0), s0, 0.0
        if motion in (1, 2):
            cx, cy = (travel / 2 - travel * u) * (1 if motion == 1 else -1), off
        elif motion in (3, 4):
            cx, cy = off, (travel / 2 - travel * u) * (1 if motion == 3 else -1)
        elif motion in (5, 6):
            lo, hi = 0.4, 0.95
            s = lo + (hi - lo) * (u if motion == 5 else 1 - u)
            cx = 0.0
        elif motion == 7:
            a = 2 * math.pi * k / frames  # a quarter turn every two frames, clockwise on screen
            cx = 0.0
        out.append((cx, cy, s, a))
    return out


def render_clip(rgba: torch.Tensor, path: list[tuple[float, float, float, float]]) -> torch.Tensor:
    """One 64×64 RGBA picture [4, 64, 64] (0..1) placed along `path` -> frames [F, 3, 32, 32] in [-1, 1]."""
    theta = []
    for cx, cy, s, a in path:
        c, si = math.cos(a), math.sin(a)
        # input = R(-a)·(out - centre)/s
        m = torch.tensor([[c, si], [-si, c]], dtype=torch.float32) / s
        b = -m @ torch.tensor([cx, cy], dtype=torch.float32)
        theta.append(torch.cat([m, b[:, None]], 1))
    theta = torch.stack(theta)
    src = rgba[None].expand(len(path), -1, -1, -1).clone()
    src[:, :3] *= src[:, 3:4]  # premultiplied, so the edges blend with transparent black, not with black
    grid = F.affine_grid(theta, list(src.shape), align_corners=False)
    out = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    a = out[:, 3:4].clamp(1e-6, 1)
    out = torch.cat([(out[:, :3] / a).clamp(0, 1) * (out[:, 3:4] > 0), out[:, 3:4]], 1)
    return to_pixels(out)


def video_split(ds: ClipData, limit: int | None = None) -> tuple[list[int], list[int], list[int]]:
    """The image model's training emoji split again for the video layers: training, validation and test subjects."""
    emoji = list(ds.train)
    val, test = emoji[3::140], emoji[38::70]
    held = set(val) | set(test)
    train = [e for e in emoji if e not in held]
    return (train[:limit], val[:1], test[:1]) if limit else (train, val, test)


class VideoData:
    """Clips of the image model's training emoji, split again by emoji for the video layers."""

    def __init__(self, ds: ClipData, vae, scale: float, clips_per_image: int, seed: int, limit: int | None = None):
        self.train, self.val, self.test = video_split(ds, limit)
        rng = random.Random(seed)
        images = [i for e in self.train for i in ds.by_emoji[e]]
        lat, caps, motions = [], [], []
        for rep in range(clips_per_image):
            for lo in range(0, len(images), 64):
                chunk = images[lo:lo + 64]
                ms = [rng.randrange(1, len(MOTIONS)) if rng.random() > 0.1 else 0 for _ in chunk]
                frames = torch.cat([render_clip(ds.images([i])[0], motion_path(m, FRAMES, rng)) for i, m in zip(chunk, ms)])
                lat.append((encode_latents(vae, frames) * scale).reshape(len(chunk), FRAMES, 4, 8, 8))
                for i, m in zip(chunk, ms):
                    caps.append(D.caption(ds.emoji[int(ds.eidx[i])], int(ds.tone[i]), rng))
                    motions.append(m)
        self.latents = torch.cat(lat)
        self.captions, self.motions = caps, torch.tensor(motions)
        log(f"video: {len(self.latents)} training clips of {FRAMES} frames from {len(self.train)} emoji; "
            f"{len(self.val)} validation and {len(self.test)} test subjects")


# ------------------------------------------------------------------------------------------- model
def depthwise3d(x, weight, bias):
    """A depthwise 3×3×3 convolution (padding 1) on [b, c, F, h, w] as three grouped 2-D convolutions, one
    per frame offset: the same numbers as nn.Conv3d(groups=c), in operations every ONNX Runtime backend
    runs (WebGPU's Conv refuses grouped 3-D kernels)."""
    b, c, f, h, w = x.shape
    xp = F.pad(x, (0, 0, 0, 0, 1, 1))
    out = None
    for dt in range(3):
        xs = xp[:, :, dt:dt + f].permute(0, 2, 1, 3, 4).reshape(b * f, c, h, w)
        y = F.conv2d(xs, weight[:, :, dt], padding=1, groups=c)
        out = y if out is None else out + y
    return out.reshape(b, f, c, h, w).permute(0, 2, 1, 3, 4) + bias[None, :, None, None, None]


class Temporal(nn.Module):
    """Attention across frames at every latent pixel, told each frame's position and the clip's motion.
    With `spacetime`, also a 3×3×3 convolution over (frame, y, x), per channel, then mixed across channels,
    its input scaled and shifted per motion: filters that can say "what was one pixel to the left in the
    frame before" (Make-A-Video's and VDM's factorised space-time layers do this job with more parameters)."""

    def __init__(self, c: int, heads: int = 4, motion_dim: int = 64, spacetime: bool = False):
        super().__init__()
        self.heads = heads
        self.spacetime = spacetime
        self.unrolled = False  # export: the depthwise convolution as depthwise3d
        if spacetime:
            self.st_film = nn.Linear(motion_dim, 2 * c)
            # depthwise 3×3×3 (each channel its own shift in space and time), then 1×1×1 to mix the channels
            self.st_conv = nn.Sequential(nn.Conv3d(c, c, 3, padding=1, groups=c), nn.Conv3d(c, c, 1))
            nn.init.zeros_(self.st_conv[1].weight)
            nn.init.zeros_(self.st_conv[1].bias)
        self.norm = norm(c)
        self.pos = nn.Parameter(torch.randn(MAX_FRAMES, c) * 0.02)
        self.motion = nn.Linear(motion_dim, c)
        self.ln1 = nn.LayerNorm(c)
        self.qkv = nn.Linear(c, 3 * c, bias=False)
        self.attn_out = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c)
        self.ff = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))
        self.proj_out = nn.Linear(c, c)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def attention(self, x):
        """x [n, F, c] -> attention weights [n, heads, F, F] and the mixed values [n, F, c]."""
        n, f, c = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(n, f, 3, h, c // h).permute(2, 0, 3, 1, 4)
        w = (q @ k.transpose(-1, -2) / math.sqrt(c // h)).softmax(-1)
        return w, (w @ v).transpose(1, 2).reshape(n, f, c)

    def forward(self, x, frames: int, motion_emb):
        bf, c, hh, ww = x.shape
        b = bf // frames
        n = self.norm(x)
        t = n.reshape(b, frames, c, hh * ww).permute(0, 3, 1, 2)  # [b, hw, F, c]
        t = t + self.pos[:frames] + self.motion(motion_emb)[:, None, None, :]
        t = t.reshape(b * hh * ww, frames, c)
        w, mixed = self.attention(t)
        self.last_weights = w.mean(1).reshape(b, hh * ww, frames, frames)  # per clip and latent pixel: frame → frame
        t = t + self.attn_out(mixed)
        t = t + self.ff(self.ln2(t))
        t = self.proj_out(t).reshape(b, hh * ww, frames, c).permute(0, 2, 3, 1).reshape(bf, c, hh, ww)
        if self.spacetime:
            scale, shift = self.st_film(motion_emb).chunk(2, dim=-1)
            v = n.reshape(b, frames, c, hh, ww) * (1 + scale[:, None, :, None, None]) + shift[:, None, :, None, None]
            v = F.silu(v).permute(0, 2, 1, 3, 4)  # [b, c, F, h, w]
            dw = self.st_conv[0]
            v = self.st_conv[1](depthwise3d(v, dw.weight, dw.bias) if self.unrolled else dw(v))
            t = t + v.permute(0, 2, 1, 3, 4).reshape(bf, c, hh, ww)
        return x + t


class VideoUNet(nn.Module):
    """The frozen image UNet with a temporal layer after each transformer block. sample [b, F, 4, 8, 8]."""

    def __init__(self, unet: UNet, motion_dim: int = 64, spacetime: bool = False):
        super().__init__()
        self.unet = unet
        self.spacetime = spacetime
        self.motion_table = nn.Embedding(len(MOTIONS), motion_dim)
        c0, c1 = unet.cfg.channels
        width = {"a0": c0, "ua0a": c0}
        self.temporal = nn.ModuleDict({b: Temporal(width.get(b, c1), motion_dim=motion_dim, spacetime=spacetime) for b in BLOCKS})

    def forward(self, sample, timestep, context, mask, pooled, motion):
        u = self.unet
        b, f = sample.shape[:2]
        x = sample.reshape(b * f, *sample.shape[2:])
        rep = lambda v: v[:, None].expand(b, f, *v.shape[1:]).reshape(b * f, *v.shape[1:])  # per clip → per frame
        ctx, msk = rep(context), rep(mask)
        emb = rep(u.time(timestep_embedding(timestep, u.cfg.channels[0])) + u.pooled(pooled))
        me = self.motion_table(motion)
        tm = lambda name, h: self.temporal[name](h, f, me)
        h0 = u.conv_in(x)
        h1 = tm("a0", u.a0(u.d0(h0, emb), ctx, msk))
        h2 = u.down(h1)
        h3 = tm("a1a", u.a1a(u.d1a(h2, emb), ctx, msk))
        h4 = tm("a1b", u.a1b(u.d1b(h3, emb), ctx, msk))
        h = u.m2(tm("ma", u.ma(u.m1(h4, emb), ctx, msk)), emb)
        h = tm("ua1a", u.ua1a(u.u1a(torch.cat([h, h4], 1), emb), ctx, msk))
        h = tm("ua1b", u.ua1b(u.u1b(torch.cat([h, h2], 1), emb), ctx, msk))
        h = u.up(h)
        h = tm("ua0a", u.ua0a(u.u0a(torch.cat([h, h1], 1), emb), ctx, msk))
        h = u.u0b(torch.cat([h, h0], 1), emb)
        return u.out(h).reshape(sample.shape)

    def trainable(self):
        return [p for n, p in self.named_parameters() if not n.startswith("unet.")]


def video_from_onnx(folder: str, unet: UNet, text: TextCache) -> VideoUNet:
    """The shipped micro-video rebuilt from onnx/video_unet.onnx on the shipped image UNet, checked against
    its parity.json: what later stages (a new sampler setting, say) measure without retraining."""
    import onnx
    from onnx import numpy_helper

    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    g = onnx.load(os.path.join(folder, "onnx", "video_unet.onnx")).graph
    w = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    model = VideoUNet(unet, spacetime=bool(cfg.get("spacetime_conv")))
    sd = model.state_dict()
    put = lambda k, v: sd.__setitem__(k, torch.from_numpy(np.array(v, dtype=np.float32)).reshape(sd[k].shape))
    done = set()
    for k, v in w.items():  # the weights torch kept under their own names
        if k.startswith("model.") and k[6:] in sd and not k.startswith("model.unet."):
            put(k[6:], v)
            done.add(k[6:])
    # The rest were folded into unnamed constants; torch named their nodes after the module path (a temporal
    # layer's modules get a "_1" where the image block has a module of the same name).
    inputs = {n.name: [i for i in n.input if i.startswith("onnx::") and i in w] for n in g.node}
    for b in BLOCKS:
        p = f"temporal.{b}."
        for mod, node in [("qkv", "qkv"), ("attn_out", "attn_out"), ("ff.0", "ff/ff.0_1"), ("ff.2", "ff/ff.2_1"), ("proj_out", "proj_out_1")]:
            put(p + mod + ".weight", w[inputs[f"/model/{b}/{node}/MatMul"][0]].T)
            done.add(p + mod + ".weight")
        put(p + "norm.weight", w[inputs[f"/model/{b}/norm_1/Mul"][0]])
        put(p + "norm.bias", w[inputs[f"/model/{b}/norm_1/Add"][0]])
        done |= {p + "norm.weight", p + "norm.bias"}
        if model.spacetime:
            taps = [w[inputs[f"/model/{b}_1/Conv" + s][0]] for s in ("", "_1", "_2")]
            put(p + "st_conv.0.weight", np.stack(taps, 2))
            bias = [i for n, ins in inputs.items() if n.startswith(f"/model/{b}_1/Add") for i in ins]
            if len(bias) != 1:
                raise PipelineError(f"video_unet.onnx: block {b}'s space-time bias is not where this pipeline expects it")
            put(p + "st_conv.0.bias", w[bias[0]])
            done |= {p + "st_conv.0.weight", p + "st_conv.0.bias"}
    missing = {k for k in sd if not k.startswith("unet.")} - done
    if missing:
        raise PipelineError(f"video_unet.onnx lacks {len(missing)} of micro-video's weights ({sorted(missing)[:3]} …)")
    model.load_state_dict(sd)
    model.eval().requires_grad_(False)
    with open(os.path.join(folder, "parity.json")) as f:
        ref = json.load(f)["step"]
    b = len(ref["subjects"])
    c, m, pooled = text(ref["subjects"])
    with torch.no_grad():
        eps = model(torch.tensor(ref["sample"]).reshape(b, -1, 4, 8, 8), torch.full((b,), float(ref["timestep"])), c, m, pooled, torch.tensor(ref["motion"]))
    if (eps.flatten() - torch.tensor(ref["noise_pred"])).abs().max() > 1e-4:
        raise PipelineError(f"micro-video rebuilt from {folder} does not match its parity.json")
    return model


# ---------------------------------------------------------------------------------------- training
def video_loss(model: VideoUNet, x0, cond, motion, ab, g) -> torch.Tensor:
    """The denoising loss on clean clips x0 [b, F, 4, 8, 8]: one step t per clip, min-SNR weighted."""
    ctx, mask, pooled = cond
    t = torch.randint(1, T + 1, (x0.shape[0],), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    a = ab[t][:, None, None, None, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    snr = ab[t] / (1 - ab[t])
    w = snr.clamp(max=5.0) / snr
    pred = model(xt, t.float(), ctx, mask, pooled, motion)
    return (w * (pred - eps).pow(2).mean(dim=(1, 2, 3, 4))).mean()


def train(model: VideoUNet, vd: VideoData, text: TextCache, lr: float, steps: int, batch: int, seed: int,
          keep: list[int], ckpt: str, init: dict | None = None, init_name: str = "") -> dict[int, dict]:
    """Trains the temporal layers of `model` (fresh, or from `init`: a snapshot's state, its new layers fresh);
    returns their state at each step in `keep` (resumable from `ckpt`)."""
    meta = {"lr": lr, "steps": steps, "batch": batch, "seed": seed, "frames": FRAMES, "motions": MOTIONS,
            "clips": len(vd.latents), **({"spacetime": True} if model.spacetime else {}), **({"init": init_name} if init_name else {})}
    loop = TrainLoop(f"video {os.path.basename(ckpt)[:-3]}", ckpt, meta, steps, keep=keep, error=PipelineError,
                     snapshot=lambda: {"state": {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("unet.")},
                                       "seconds": loop.elapsed, "loss": loop.recent(50)})
    if loop.done:
        return loop.snaps
    torch.manual_seed(seed)
    fresh = VideoUNet(model.unet, spacetime=model.spacetime)
    model.motion_table.load_state_dict(fresh.motion_table.state_dict())
    model.temporal.load_state_dict(fresh.temporal.state_dict())
    if init:
        model.load_state_dict({**model.state_dict(), **init}, strict=True)
    params = model.trainable()
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, betas=(0.9, 0.99))
    g = torch.Generator().manual_seed(seed + 11 + (1000 if init_name else 0))
    loop.restore(motion_table=model.motion_table, temporal=model.temporal, opt=opt, gen=g)
    ab = cosine_alpha_bar(T).float()

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 9_000_011 + step + (7_777_777 if init_name else 0))
        idx = [rng.randrange(len(vd.latents)) for _ in range(batch)]
        caps = [vd.captions[i] if rng.random() >= UNCOND_DROPOUT else "" for i in idx]
        motion = torch.tensor([int(vd.motions[i]) if rng.random() >= UNCOND_DROPOUT else 0 for i in idx])
        loss = video_loss(model, vd.latents[idx], text(caps), motion, ab, g)
        return optimizer_step(opt, model, loss, lr * cosine_lr(step, steps, max(1, steps // 20)))

    loop.run(step_fn).finish(parts=False)
    return loop.snaps


# ------------------------------------------------------------------------------------------ sampling
def clip_noise(seed: int, frames: int = FRAMES, shared: float = 0.0) -> torch.Tensor:
    """Starting noise of one clip for the pipeline's own measures (the browser seeds its noise its own way).
    With `shared` = ρ > 0, every frame's noise is √ρ·(one noise for the whole clip) + √(1 − ρ)·(its own):
    still unit-variance noise per frame, correlated ρ between frames (the "mixed" noise prior of Ge et al.
    2023, "Preserve Your Own Correlation"). ρ = 0 is independent noise per frame, as in training."""
    g = torch.Generator().manual_seed(seed)
    own = torch.randn((1, frames, 4, 8, 8), generator=g)
    if not shared:
        return own
    common = torch.randn((1, 1, 4, 8, 8), generator=g)
    return math.sqrt(shared) * common + math.sqrt(1 - shared) * own


@torch.no_grad()
def sample_clips(model: VideoUNet, text: TextCache, prompts: list[str], noise: torch.Tensor, x0_clip: float,
                 steps: int = STEPS, guidance: float = GUIDANCE) -> torch.Tensor:
    """DDIM with classifier-free guidance (the unconditional half: empty text, motion 'still')."""
    ab = cosine_alpha_bar(T)
    parsed = [parse_prompt(p) for p in prompts]
    b = len(prompts)
    ctx, mask, pooled = text([""] * b + [s for s, _ in parsed])
    motion = torch.tensor([0] * b + [m for _, m in parsed])
    x = noise.double()
    ts = timesteps(steps)
    for k, t in enumerate(ts):
        s = ts[k + 1] if k + 1 < len(ts) else 0
        e_u, e_c = model(torch.cat([x, x]).float(), torch.full((2 * b,), float(t)), ctx, mask, pooled, motion).double().chunk(2)
        eps = e_u + guidance * (e_c - e_u)
        a_t, a_s = ab[t], ab[s]
        x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-x0_clip, x0_clip)
        eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        x = a_s.sqrt() * x0 + (1 - a_s).sqrt() * eps
    return x.float()


@torch.no_grad()
def decode(vae, scale: float, lat: torch.Tensor) -> torch.Tensor:
    """[b, F, 4, 8, 8] -> frames [b, F, 3, 32, 32] in [-1, 1]."""
    b, f = lat.shape[:2]
    return vae.decoder(lat.reshape(b * f, 4, 8, 8) / scale).clamp(-1, 1).reshape(b, f, 3, 32, 32)


# ------------------------------------------------------------------------------------------ measuring
def subject_mask(frames: torch.Tensor, thresh: float = 0.12) -> torch.Tensor:
    """[F, 3, S, S] in [-1, 1] -> [F, S, S] weights: how far each pixel is from the plain background."""
    bg = D.BACKGROUND / 127.5 - 1
    d = (frames - bg).abs().amax(1) / 2
    return (d - thresh).clamp(min=0)


def motion_of(frames: torch.Tensor) -> dict:
    """What a clip does, read from its frames alone: centroid track (x, y), area and rotation per step.
    The same measure as demos/video/motion.ts."""
    w = subject_mask(frames)
    f, s, _ = w.shape
    ys, xs = torch.meshgrid(torch.arange(s, dtype=torch.float32), torch.arange(s, dtype=torch.float32), indexing="ij")
    tot = w.sum((1, 2)).clamp(min=1e-6)
    cx, cy = (w * xs).sum((1, 2)) / tot / s, (w * ys).sum((1, 2)) / tot / s
    area = (w > 0).float().mean((1, 2))
    u = torch.arange(f, dtype=torch.float32)
    slope = lambda v: float(((u - u.mean()) * (v - v.mean())).sum() / ((u - u.mean()) ** 2).sum())
    return {"dx": slope(cx) * (f - 1), "dy": slope(cy) * (f - 1), "darea": slope(area) * (f - 1) / max(1e-6, float(area.mean())),
            "turn": mean_turn(frames)}


def mean_turn(frames: torch.Tensor) -> float:
    """The rotation (radians, clockwise on screen positive) that best maps each frame onto the next, averaged.
    (A positive angle in the sampling grid below turns the picture counter-clockwise, hence the minus.)"""
    angles = torch.linspace(-math.pi / 2, math.pi / 2, 25)
    best = []
    for k in range(len(frames) - 1):
        a, b = frames[k:k + 1], frames[k + 1:k + 2]
        th = torch.stack([torch.tensor([[math.cos(t), math.sin(t), 0.0], [-math.sin(t), math.cos(t), 0.0]]) for t in -angles])
        grid = F.affine_grid(th, [len(angles), 3, 32, 32], align_corners=False)
        rot = F.grid_sample(a.expand(len(angles), -1, -1, -1), grid, padding_mode="border", align_corners=False)
        err = (rot - b).pow(2).mean((1, 2, 3))
        best.append(-float(angles[int(err.argmin())]))
    return float(np.mean(best))


def judged(motion: int, m: dict) -> bool:
    """Is the clip's motion the prompt's? The named quantity must move the named way, and be the largest."""
    dx, dy, da, turn = m["dx"], m["dy"], m["darea"], m["turn"]
    if motion in (1, 2, 3, 4):
        v = {1: -dx, 2: dx, 3: -dy, 4: dy}[motion]
        return v > 0.1 and v > 1.5 * (abs(dy) if motion < 3 else abs(dx))
    if motion in (5, 6):
        return (da if motion == 5 else -da) > 0.3
    if motion == 7:
        return turn > 0.2
    return max(abs(dx), abs(dy)) < 0.1 and abs(da) < 0.3


def frame_change(frames: torch.Tensor) -> float:
    """Mean absolute change between consecutive frames, in 0..1 of the full range (demos/video/flicker.ts)."""
    return float((frames[1:] - frames[:-1]).abs().mean() / 2)


@torch.no_grad()
def measure(model, vae, scale, text, ds: ClipData, subjects: list[int], seeds: list[int], x0_clip: float,
            steps: int = STEPS, shared: float = 0.0) -> dict:
    rows = []
    for e in subjects:
        name = ds.names[e]
        prompts = [f"{name} {m}" for m in MOTIONS[1:]]
        for seed in seeds:
            noise = torch.cat([clip_noise(seed, shared=shared)] * len(prompts))
            clips = decode(vae, scale, sample_clips(model, text, prompts, noise, x0_clip, steps=steps))
            for m, c in enumerate(clips, start=1):
                mo = motion_of(c)
                rows.append({"subject": name, "motion": MOTIONS[m], "seed": seed, "ok": judged(m, mo),
                             "change": frame_change(c), **{k: round(v, 4) for k, v in mo.items()}})
    ok = sum(r["ok"] for r in rows)
    per = {m: sum(r["ok"] for r in rows if r["motion"] == m) for m in MOTIONS[1:]}
    return {"n": len(rows), "right": ok, "rate": ok / len(rows), "per_motion": per,
            "per_motion_n": len(rows) // (len(MOTIONS) - 1), "frame_change": float(np.mean([r["change"] for r in rows])),
            "rows": rows}


@torch.no_grad()
def real_and_independent(vae, scale, unet, text, ds: ClipData, subjects: list[int], x0_clip: float, steps: int = STEPS,
                         shared: float = 0.0) -> dict:
    """The measure on real clips (it must name their motion) and the frame change of real clips and of
    frames drawn one by one by the image model (the flicker a video model must avoid); with `shared`, also of
    the image model's frames drawn from the clip's correlated noise (what sharing the noise does alone)."""
    from diffusion import sample

    rows, changes, indep, alone = [], [], [], []
    for e in subjects:
        i = ds.base_image(e, 0)
        i = ds.by_emoji[e][0] if i is None else i
        for m in range(1, len(MOTIONS)):
            c = render_clip(ds.images([i])[0], motion_path(m, FRAMES))
            c = decode(vae, scale, (encode_latents(vae, c) * scale)[None])[0]
            rows.append(judged(m, motion_of(c)))
            changes.append(frame_change(c))
        for rho, out in ((0.0, indep), (shared, alone)) if shared else ((0.0, indep),):
            lat = sample(unet, text, [ds.names[e]] * FRAMES, clip_noise(e, shared=rho)[0], steps=steps, guidance=GUIDANCE, x0_clip=x0_clip)
            out.append(frame_change(decode(vae, scale, lat[None])[0]))
    return {"real_right": int(sum(rows)), "real_n": len(rows), "real_change": float(np.mean(changes)),
            "independent_change": float(np.mean(indep)), **({"shared_noise_image_change": float(np.mean(alone))} if shared else {})}


# -------------------------------------------------------------------------------------------- export
class VideoWrap(nn.Module):
    def __init__(self, model: VideoUNet):
        super().__init__()
        self.model = model
        for t in model.temporal.values():
            t.unrolled = True

    def forward(self, sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds, motion):
        eps = self.model(sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds, motion)
        # The middle block's attention across frames (4×4 latent pixels): which frames each frame looks at.
        return eps, self.model.temporal["ma"].last_weights


def export(folder: str, model: VideoUNet, text: TextCache, vae, scale: float, x0_clip: float, metrics: dict,
           base_sha: str, train_cmd: str) -> None:
    import onnx

    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    path = os.path.join(folder, "onnx", "video_unet.onnx")
    ctx, mask, pooled = text(["", "rocket"])
    args = (torch.randn(2, FRAMES, 4, 8, 8), torch.tensor([500.0, 500.0]), ctx, mask, pooled, torch.tensor([0, 3]))
    torch.onnx.export(VideoWrap(model).eval(), args, path, opset_version=OPSET, do_constant_folding=True,
                      input_names=["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask", "text_embeds", "motion"],
                      output_names=["noise_pred", "frame_attention"],
                      dynamic_axes={"sample": {0: "batch", 1: "frames"}, "timestep": {0: "batch"},
                                    "encoder_hidden_states": {0: "batch", 1: "tokens"}, "encoder_attention_mask": {0: "batch", 1: "tokens"},
                                    "text_embeds": {0: "batch"}, "motion": {0: "batch"}, "noise_pred": {0: "batch", 1: "frames"},
                                    "frame_attention": {0: "batch", 2: "frames", 3: "frames"}})
    onnx.checker.check_model(onnx.load(path))
    # parity: one step on fixed inputs, and a whole short clip
    g = torch.Generator().manual_seed(7)
    prompts = ["", "rocket moving up"]
    parsed = [parse_prompt(p) for p in prompts]
    c2, m2, p2 = text([s for s, _ in parsed])
    smp = torch.randn((2, FRAMES, 4, 8, 8), generator=g)
    with torch.no_grad():
        eps = model(smp, torch.tensor([700.0, 700.0]), c2, m2, p2, torch.tensor([m for _, m in parsed]))
    noise = clip_noise(3, shared=metrics["sampler"]["noise_shared"])
    clip = sample_clips(model, text, ["rocket moving up"], noise, x0_clip, steps=4)
    parity = {"step": {"prompts": prompts, "subjects": [s for s, _ in parsed], "motion": [m for _, m in parsed],
                       "timestep": 700, "sample": [round(float(v), 6) for v in smp.flatten()],
                       "noise_pred": [round(float(v), 6) for v in eps.flatten()]},
              "clip": {"prompt": "rocket moving up", "steps": 4, "guidance": GUIDANCE, "x0_clip": x0_clip,
                       "noise": [round(float(v), 6) for v in noise.flatten()],
                       "latents": [round(float(v), 5) for v in clip.flatten()]}}
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump(parity, f)
    write_config(folder, model, base_sha, metrics["sampler"]["noise_shared"])
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)


def write_config(folder: str, model: VideoUNet, base_sha: str, shared: float, image: str = "micro-diffusion") -> None:
    """config.json: what the deck needs to run the clip (frames, motions, the sampler's settings, the image model)."""
    cfg = {"model_type": "micro-video", "frames": FRAMES, "max_frames": MAX_FRAMES, "motions": MOTIONS, "spacetime_conv": model.spacetime,
           "image_model": image, "base_unet_sha256": base_sha, "temporal_blocks": BLOCKS,
           "sampling": {"default_steps": STEPS, "default_guidance": GUIDANCE, "unconditional_motion": 0, "noise_shared": shared},
           "params": {"temporal": sum(p.numel() for p in model.trainable()), "total": count_params(model)}}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def _strip(rows: list[torch.Tensor]) -> np.ndarray:
    """Clips [F, 3, 32, 32] in [-1, 1] -> one RGB picture, a row of frames per clip."""
    return np.concatenate([np.concatenate([((f.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8) for f in c], 1)
                           for c in rows], 0)


def write_samples(folder: str, model: VideoUNet, vae, scale: float, text: TextCache, ds: ClipData, subject: int,
                  x0_clip: float, steps: int, shared: float = 0.0) -> dict:
    """samples/real.png: a test subject's real clips, one row per motion (the frames the motion measure is
    checked on); samples/generated.png: the model's clips of the same subject and motions (seed 3)."""
    from PIL import Image

    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    i = ds.base_image(subject, 0)
    i = ds.by_emoji[subject][0] if i is None else i
    real = [render_clip(ds.images([i])[0], motion_path(m, FRAMES)) for m in range(1, len(MOTIONS))]
    name = ds.names[subject]
    prompts = [f"{name} {m}" for m in MOTIONS[1:]]
    gen = decode(vae, scale, sample_clips(model, text, prompts, torch.cat([clip_noise(3, shared=shared)] * len(prompts)), x0_clip, steps=steps))
    Image.fromarray(_strip(real)).save(os.path.join(folder, "samples", "real.png"))
    Image.fromarray(_strip(list(gen))).save(os.path.join(folder, "samples", "generated.png"))
    meta = {"subject": name, "motions": MOTIONS[1:], "frames": FRAMES, "size": 32, "seed": 3, "steps": steps,
            "generated_judged": [judged(m, motion_of(c)) for m, c in enumerate(gen, start=1)],
            "real_judged": [judged(m, motion_of(c)) for m, c in enumerate(real, start=1)]}
    with open(os.path.join(folder, "samples", "samples.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def card(m: dict, cfg: dict, size_bytes: int, train_cmd: str) -> str:
    t, r, ch = m["test"], m["reference"], m["chosen"]
    lo, hi = m["test_ci95"]
    per = " · ".join(f"{k} {v}/{t['per_motion_n']}" for k, v in t["per_motion"].items())
    cands = "; ".join(f"{c['run']} at step {c['steps']}: {c['right']}/{c['n']}" for c in m["candidates"])
    runs = "; ".join(f"`{x['name']}`: {x['steps']} steps at learning rate {x['lr']:g}" + (", with the space-time convolution" if x.get("spacetime") else "")
                     + (f", continued from `{x['from'][0]}` at step {x['from'][1]}" if x.get("from") else "") for x in m["runs"])
    st = cfg.get("spacetime_conv", False)
    weak_list = [f"{k} ({v}/{t['per_motion_n']})" for k, v in t["per_motion"].items() if v < t["per_motion_n"] / 2]
    weak = (f"Weakest: {', '.join(weak_list)}" + ("; when spinning, the frames turn, but the turned subject loses its shape" if t["per_motion"].get("spinning", 1e9) < t["per_motion_n"] / 2 else "") + ". ") if weak_list else ""
    rho = m["sampler"].get("noise_shared", 0.0)
    noise_text = ((f"every frame starts from **the same noise** (ρ = 1 of " if rho >= 1 else
                   f"each frame's noise is √ρ·(one noise for the whole clip) + √(1 − ρ)·(its own), ρ = **{rho:g}** (")
                  + "the mixed noise prior of Ge et al. 2023, used here at sampling time only: training saw independent noise per frame)") if rho else "independent per frame"
    alone = (f" · the image model alone from the same shared noise {r['shared_noise_image_change']:.3f} (calm, but it does not move)"
             if "shared_noise_image_change" in r else "")
    noise_rows = m.get("noise_candidates", [])
    earlier = [x for x in m.get("earlier_tests", []) if x["noise_shared"] != rho]
    earlier_text = (" Earlier shipped settings were tested once each, before this choice: "
                    + "; ".join(f"ρ = {x['noise_shared']:g}: {x['right']}/{x['n']} right, change {x['frame_change']:.3f}" for x in earlier) + ".") if earlier else ""
    noise_choice = ("The noise shared between frames, ρ, was chosen afterwards on the same validation clips: the largest ρ "
                    "whose clips still move the way the prompt says at least 80 % of the time ("
                    + "; ".join(f"ρ = {x['shared']:g}: {x['right']}/{x['n']} right, change {x['frame_change']:.3f}" for x in noise_rows)
                    + f"). Chosen: ρ = {rho:g}.") if len(noise_rows) > 1 else ""
    return f"""# micro-video: micro-diffusion taught to move

A text-to-video model for the talk, built the way AnimateDiff is built (Guo et al. 2023): the image model
(`micro-diffusion`) stays frozen, and a temporal layer after each of its seven transformer blocks lets every
latent pixel attend to the same pixel in the other frames{", beside a 3×3×3 convolution over frames and space (per channel, then mixed) whose input each motion scales and shifts" if st else ""}. All frames of a clip are denoised together; the
autoencoder turns each 8×8×4 latent into a 32×32 frame. Made by this project's pipeline (`training/video.py`).

| | |
|---|---|
| frames | {cfg['frames']} by default, up to {cfg['max_frames']} (learned frame positions), 32×32 each |
| motions it knows | {", ".join(cfg['motions'][1:])} (and "still" when none is named) |
| how the prompt is read | the first motion phrase picks one of {len(cfg['motions'])} learned motion vectors; the rest of the prompt goes to micro-CLIP as for a picture |
| parameters | **{m['params']['temporal']:,}** trained (temporal layers and motion vectors) on the frozen UNet's {m['params']['image_unet']:,} |
| file | `onnx/video_unet.onnx`, {size_bytes / 1e6:.1f} MB (fp32; it carries the frozen UNet's weights too) |
| training | run `{ch['run']}` at step {ch['steps']}, {m['batch']} clips a step ({m['train_seconds'] / 60:.0f} min on 2 CPU cores in all) |
| sampler | DDIM, {m['sampler']['steps']} steps, classifier-free guidance {m['sampler']['guidance']:g} (the unconditional half: empty text, motion "still") |
| starting noise | {noise_text} |

## Data
{m['train_clips']:,} clips made by the pipeline from the emoji art micro-diffusion learned from (Noto Emoji,
Apache-2.0, Google; Twemoji, CC-BY 4.0, Twitter/X and contributors; see `training/DATA.md`). Changes: each
picture is shrunk to {SUBJECT_SCALE:g} of the frame and moved across the model's plain grey background along
one motion (a random start, size and speed within ±15 %), then area-downsampled to 32×32. One clip per
picture of {m['train_subjects']:,} training emoji; 10 % of clips are "still". `samples/real.png` shows the seven
motions for one test subject.

## Does it move the way the prompt says? (test subjects, looked at once)
{len(m['test_subjects'])} emoji the image model knows but the video layers never saw moving, each with the
seven motions (seed {", ".join(str(s) for s in m.get('test_seeds', [21]))}). The measure reads the frames only: the
subject's centroid track for the four directions, its area for the zooms, the best-matching rotation
between frames for spinning (`demos/video/motion.ts` is the same measure). On the real clips it names
{r['real_right']} of {r['real_n']} motions right.

| | |
|---|---|
| motion right | **{t['right']} / {t['n']}** ({t['rate']:.0%}; 95 % Wilson interval {lo:.0%} – {hi:.0%}) |
| per motion | {per} |
| change from frame to frame | generated **{t['frame_change']:.3f}** · real clips {r['real_change']:.3f} · the image model drawing each frame on its own {r['independent_change']:.3f}{alone} |

The goals were 80 % right ({"met" if t['rate'] >= 0.8 else "not met"}), and a change from frame to frame close to the real clips' and far
below independent frames' ({"met" if t['frame_change'] < (r['real_change'] + r['independent_change']) / 2 else "not met: the subject moves the way it should, but also changes its shape from frame to frame"}).{earlier_text}
{weak}`samples/generated.png` shows one subject's seven clips (seed 3).

## How it was chosen (validation subjects only)
{len(m['val_subjects'])} other held-out subjects × seven motions, one seed. The runs: {runs}. Each run's snapshots were
scored on validation ({cands}); the best was kept. {noise_choice} All candidates are in `metrics.json`.

## Limits
It learned clips of one subject moving over a plain background, so it moves the whole subject; it knows
nothing of scenes, cameras or physics. The motion comes from a word list, not from understanding the
sentence: "rocket flying up" is a still rocket, and the deck says which words it knows.

Made by `{train_cmd}` (figures from `metrics.json`).
"""


def choose_noise(model, vae, scale, text, ds: ClipData, val: list[int], seeds: list[int], x0_clip: float, steps: int,
                 candidates: list[float], ck_dir: str, chosen: dict) -> tuple[float, list[dict]]:
    """How much starting noise the frames share (clip_noise's ρ), chosen on the validation subjects: the
    largest ρ whose clips still move the way their prompts say at least as often as the goal (80 %); ρ = 0
    when none does. More sharing calms the frames; too much leaves the temporal layers nothing to move."""
    rows = []
    for rho in candidates:
        key = {"run": chosen["run"], "steps": chosen["steps"], "lr": chosen["lr"], "shared": rho, "seeds": seeds,
               "subjects": val, "eval_steps": steps}

        def validate():
            v = measure(model, vae, scale, text, ds, val, seeds, x0_clip, steps=steps, shared=rho)
            return {"right": v["right"], "n": v["n"], "rate": round(v["rate"], 4), "per_motion": v["per_motion"],
                    "frame_change": round(v["frame_change"], 4)}
        r = {"shared": rho, **cached_json(os.path.join(ck_dir, f"val-noise-{rho:g}.json"), key, validate)}
        rows.append(r)
        log(f"video noise shared {rho:g}: validation {r['right']}/{r['n']} motions right, frame change {r['frame_change']:.4f}")
    ok = [r for r in rows if r["rate"] >= 0.8]
    return (max(ok, key=lambda r: r["shared"])["shared"] if ok else 0.0), rows


def run(run_dir: str, cache_dir: str, models_dir: str, out_dir: str, recipe: dict, seed: int, train_cmd: str,
        sampler_only: bool = False) -> dict:
    """Trains the temporal layers and chooses among their snapshots on validation, then the sampler's noise
    sharing, also on validation; measures the test subjects once; exports. With `sampler_only`, the shipped
    temporal layers are rebuilt from out_dir's ONNX file (checked against its parity) and only the sampler
    is chosen again; the training record is the shipped metrics'."""
    # Trained on the shipped micro-diffusion; choosing the sampler only keeps the image model the layers run on.
    image = "micro-diffusion"
    if sampler_only and os.path.exists(os.path.join(out_dir, "config.json")):
        with open(os.path.join(out_dir, "config.json")) as f:
            image = json.load(f).get("image_model", image)
    text, vae, unet, scale, x0_clip, sha, _ = shipped_base(models_dir, image)
    ds = ClipData(cache_dir, seed)
    ck_dir = os.path.join(run_dir, "video-checkpoints")
    os.makedirs(ck_dir, exist_ok=True)
    val_seeds, test_seeds = recipe["val_seeds"], recipe["test_seeds"]
    eval_steps = recipe.get("eval_steps", STEPS)
    if sampler_only:
        train_ids, val, test_ids = video_split(ds, recipe.get("limit"))
        model = video_from_onnx(out_dir, unet, text)
        with open(os.path.join(out_dir, "metrics.json")) as f:
            shipped = json.load(f)
        record = {k: shipped[k] for k in ("train_clips", "train_subjects", "runs", "batch", "candidates", "chosen", "train_seconds")}
        # Each sampler setting shipped before is tested once; those figures stay on record beside the new one.
        before = shipped.get("sampler", {}).get("noise_shared", 0.0)
        record["earlier_tests"] = shipped.get("earlier_tests", []) + [{"noise_shared": before, **{k: shipped["test"][k] for k in ("right", "n", "frame_change")}}]
        log(f"video: the shipped temporal layers (run {record['chosen']['run']} at step {record['chosen']['steps']}); choosing the sampler only")
    else:
        vd = VideoData(ds, vae, scale, recipe["clips_per_image"], seed, limit=recipe.get("limit"))
        val, test_ids = vd.val, vd.test
        model, record = train_and_choose(vd, ds, unet, vae, scale, text, x0_clip, recipe, seed, ck_dir, val_seeds, eval_steps)
    best = record["chosen"]
    shared, noise_rows = choose_noise(model, vae, scale, text, ds, val, val_seeds, x0_clip, eval_steps,
                                      recipe.get("noise_shared", [0.0]), ck_dir, best)
    key = {"lr": best["lr"], "steps": best["steps"], "seeds": test_seeds, "subjects": test_ids, "eval_steps": eval_steps, "run": best["run"]}
    if shared:
        key["shared"] = shared
    # The test subjects, once per shipped setting, for the card (kept, so a re-export does not look again).
    test = cached_json(os.path.join(ck_dir, "test.json"), key,
                       lambda: measure(model, vae, scale, text, ds, test_ids, test_seeds, x0_clip, steps=eval_steps, shared=shared))
    ref = cached_json(os.path.join(ck_dir, "reference.json"), key,
                      lambda: real_and_independent(vae, scale, unet, text, ds, test_ids, x0_clip, steps=eval_steps, shared=shared))
    m = {"frames": FRAMES, "motions": MOTIONS, **record,
         "val_subjects": [ds.names[e] for e in val], "test_subjects": [ds.names[e] for e in test_ids],
         "val_seeds": val_seeds, "test_seeds": test_seeds, "noise_candidates": noise_rows,
         "test": {k: v for k, v in test.items() if k != "rows"}, "test_ci95": wilson(test["right"], test["n"]),
         "test_rows": test["rows"], "reference": ref,
         "params": {"temporal": sum(p.numel() for p in model.trainable()), "image_unet": count_params(unet)},
         "sampler": {"kind": "ddim", "steps": eval_steps, "guidance": GUIDANCE, "noise_shared": shared}, **provenance()}
    if sampler_only:
        write_config(out_dir, model, sha, shared, image)
    else:
        export(out_dir, model, text, vae, scale, x0_clip, m, sha, train_cmd)
        shutil.rmtree(os.path.join(out_dir, "base"), ignore_errors=True)  # an older image model kept for earlier layers
    m["samples"] = write_samples(out_dir, model, vae, scale, text, ds, test_ids[0], x0_clip, eval_steps, shared)
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(m, f, indent=2)
    with open(os.path.join(out_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(card(m, cfg, os.path.getsize(os.path.join(out_dir, "onnx", "video_unet.onnx")), train_cmd))
    write_licences(out_dir, MODEL_DATA["micro-video"])
    log(f"video: test {test['right']}/{test['n']} motions right; frame change {test['frame_change']:.4f} "
        f"(real {ref['real_change']:.4f}, independent frames {ref['independent_change']:.4f})")
    return m


def train_and_choose(vd: VideoData, ds: ClipData, unet, vae, scale, text, x0_clip, recipe: dict, seed: int, ck_dir: str,
                     val_seeds: list[int], eval_steps: int) -> tuple[VideoUNet, dict]:
    """The recipe's training runs (each resumable), every kept snapshot scored on validation; returns the
    model with the best snapshot loaded and the training record for the metrics."""
    models: dict[str, VideoUNet] = {}
    snaps_of: dict[str, dict] = {}

    def trained(r: dict) -> tuple[VideoUNet, dict]:
        """One training run of the recipe: fresh, or continued from another run's snapshot (`from`)."""
        if r["name"] not in snaps_of:
            st = bool(r.get("spacetime"))
            models.setdefault(r["name"], VideoUNet(unet, spacetime=st))
            init, init_name = None, ""
            if r.get("from"):
                src, k = r["from"]
                parent = next(x for x in recipe["runs"] if x["name"] == src)
                init, init_name = trained(parent)[1][k]["state"], f"{src}@{k}"
            snaps_of[r["name"]] = train(models[r["name"]], vd, text, r["lr"], r["steps"], recipe["batch"], seed, r["keep"],
                                        os.path.join(ck_dir, f"{r['name']}.pt"), init=init, init_name=init_name)
        return models[r["name"]], snaps_of[r["name"]]

    cands = []
    for r in recipe["runs"]:
        model, snaps = trained(r)
        log(f"video {r['name']}: {sum(p.numel() for p in model.trainable()):,} temporal parameters on a frozen {count_params(unet):,}")
        for k in r["keep"]:
            model.load_state_dict({**model.state_dict(), **snaps[k]["state"]})

            def validate():
                v = measure(model, vae, scale, text, ds, vd.val, val_seeds, x0_clip, steps=eval_steps)
                return {"lr": r["lr"], "steps": k, "right": v["right"], "n": v["n"], "rate": round(v["rate"], 4),
                        "per_motion": v["per_motion"], "frame_change": round(v["frame_change"], 4),
                        "loss": round(snaps[k]["loss"], 4), "seconds": round(snaps[k]["seconds"], 1)}
            key = {"lr": r["lr"], "steps": k, "seeds": val_seeds, "subjects": vd.val, "eval_steps": eval_steps}
            if r["name"] != f"lr{r['lr']:g}":
                key["run"] = r["name"]
            c = {**cached_json(os.path.join(ck_dir, f"val-{r['name']}-{k}.json"), key, validate), "run": r["name"],
                 "spacetime": bool(r.get("spacetime")), "from": r.get("from")}
            cands.append(c)
            log(f"video {r['name']} step {k}: validation {c['right']}/{c['n']} motions right {c['per_motion']}")
    best = max(cands, key=lambda c: (c["rate"], -c["steps"]))
    model, snaps = trained(next(x for x in recipe["runs"] if x["name"] == best["run"]))
    model.load_state_dict({**model.state_dict(), **snaps[best["steps"]]["state"]})
    seconds = best["seconds"] + sum(snaps_of[x["from"][0]][x["from"][1]]["seconds"] for x in recipe["runs"] if x["name"] == best["run"] and x.get("from"))
    return model, {"train_clips": len(vd.latents), "train_subjects": len(vd.train), "runs": recipe["runs"], "batch": recipe["batch"],
                   "candidates": cands, "chosen": best, "train_seconds": seconds}
