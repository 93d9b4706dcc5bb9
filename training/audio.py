"""micro-audio: text → sound by diffusion on pictures of sound (`npm run train -- audio`).

Riffusion's and AudioLDM's idea, small: a sound is turned into a picture (64 moments × 64 semitone rows,
see sounds.py), a diffusion model learns to draw such pictures from noise, told what to draw by the
prompt, and Griffin–Lim (in the browser) turns the picture back into sound.

- The denoiser is micro-diffusion's UNet design (res blocks, self-attention, cross-attention to the prompt),
  on the 64 × 64 picture cut into 4 × 4 patches (16 channels of 16 × 16), with no autoencoder: the picture
  is small enough to denoise directly.
- The prompt goes through a text encoder of its own (a word table and two transformer layers), trained with
  the denoiser: the vocabulary is closed (the words of the training captions), and the UI lists it.
- Choices on validation: the checkpoint (early stop) by the pitch of "whistle at <note>" on validation seeds
  and on timbre × note pairs never heard in training. Test seeds and test pairs are looked at once.
"""
from __future__ import annotations

import collections
import hashlib
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import sounds as S
from diffusion import OPSET, T, T_START, UNCOND_DROPOUT, timesteps
from diffusion_model import MHA, UNet, UNetConfig, cosine_alpha_bar, count_params
from loop import TrainLoop
from util import MODEL_DATA, StagingDir, cached_json, cosine_lr, log, optimizer_step, provenance, state_from_onnx, wilson, write_licences

MAX_TOKENS = 8
PATCH = 4
STEPS, GUIDANCE = 30, 3.0
DATA_VERSION = 1


# ------------------------------------------------------------------------------------------- model
class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(width), MHA(width, width, heads)
        self.ln2 = nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x, mask):
        y = self.ln1(x)
        x = x + self.attn(y, y, mask)
        return x + self.ff(self.ln2(x))


class TextEncoder(nn.Module):
    """Word ids [b, L] (0 = padding, the first id is [start]) → token states [b, L, width] and their masked mean."""

    def __init__(self, vocab: int, width: int = 64, layers: int = 2, heads: int = 4):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(MAX_TOKENS, width) * 0.02)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)

    def forward(self, ids, mask):
        x = self.tok(ids) + self.pos[: ids.shape[1]]
        for b in self.blocks:
            x = b(x, mask)
        x = self.ln(x)
        m = mask.to(x.dtype)[:, :, None]
        return x, (x * m).sum(1) / m.sum(1)


def patchify(x):
    """[b, c, 64, 64] → [b, 16·c, 16, 16] (4 × 4 patches as channels)."""
    b, c = x.shape[:2]
    return x.reshape(b, c, 16, PATCH, 16, PATCH).permute(0, 1, 3, 5, 2, 4).reshape(b, c * PATCH * PATCH, 16, 16)


def unpatchify(x):
    b = x.shape[0]
    return x.reshape(b, PATCH, PATCH, 16, 16).permute(0, 3, 1, 4, 2).reshape(b, 1, 64, 64)


class AudioUNet(nn.Module):
    """The UNet on the patched picture. With `positions`, a learned table (one value per patch channel and
    place, starting at zero) is added to the patches: it tells the network which row it is drawing, which
    its convolutions alone only guess from the picture's edges (a note's pitch is its row).

    With `hint`, the pitches the prompt names come in as a second picture beside the noisy one: 1 on the rows
    of the named notes (sounds.pitch_rows), 0 elsewhere, the same at every moment. Singing synthesisers are
    given their pitch this way (DiffSinger conditions on the melody's pitch curve); the words still say what
    sound to make there. The hint's input weights start at zero, so the model starts as it was."""

    def __init__(self, cfg: UNetConfig, positions: bool = False, hint: bool = False):
        super().__init__()
        self.cfg = cfg
        self.unet = UNet(cfg)
        self.pos = nn.Parameter(torch.zeros(1, PATCH * PATCH, 16, 16)) if positions else None
        self.hint = hint
        self.strip_notes = False  # the note words go to the hint only (set by audio_unet for such runs)
        if hint:
            old = self.unet.conv_in
            self.unet.conv_in = nn.Conv2d(2 * PATCH * PATCH, old.out_channels, 3, padding=1)

    def forward(self, sample, timestep, context, mask, pooled, rows=None):
        x = patchify(sample)
        if self.pos is not None:
            x = x + self.pos
        if self.hint:
            h = rows[:, None, :, None].expand(-1, 1, -1, sample.shape[-1])
            x = torch.cat([x, patchify(h)], 1)
        return unpatchify(self.unet(x, timestep, context, mask, pooled))

    def load_base(self, state: dict) -> None:
        """Loads a snapshot of a model without the hint (or without the position table): the new parts start
        at zero, so the model computes what the snapshot did."""
        state = dict(state)
        w = state.get("unet.conv_in.weight")
        if self.hint and w is not None and w.shape[1] == PATCH * PATCH:
            state["unet.conv_in.weight"] = torch.cat([w, torch.zeros_like(w)], 1)
        missing = self.load_state_dict(state, strict=False).missing_keys
        if any(k != "pos" for k in missing):
            raise RuntimeError(f"the snapshot does not fit this model: {missing}")


def audio_unet(run: dict) -> "AudioUNet":
    m = AudioUNet(unet_config(run["channels"]), positions=bool(run.get("positions")), hint=bool(run.get("hint")))
    m.strip_notes = bool(run.get("strip_notes"))
    return m


def unet_config(channels=(64, 128), top_attention: bool = False) -> UNetConfig:
    return UNetConfig(latent_channels=PATCH * PATCH, channels=tuple(channels), emb_dim=256, context_dim=64, pooled_dim=64, heads=4,
                      top_attention=top_attention)


class Tokens:
    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.index = {w: i for i, w in enumerate(vocab)}

    @staticmethod
    def rows(texts: list[str]) -> torch.Tensor:
        """The pitch hint of each prompt: [n, 64], 1 on the rows its words name."""
        out = torch.zeros(len(texts), S.BINS)
        for i, t in enumerate(texts):
            for r in S.pitch_rows(S.tokens(t)):
                out[i, r] = 1
        return out

    def ids(self, texts: list[str], strip_notes: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Word ids with [start] first; with `strip_notes`, the words that name pitches are left to the pitch hint."""
        keep = (lambda w: w in self.index and not S.is_pitch_word(w)) if strip_notes else (lambda w: w in self.index)
        rows = [[1] + [self.index[w] for w in S.tokens(t) if keep(w)][: MAX_TOKENS - 1] for t in texts]
        n = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), n, dtype=torch.long)
        mask = torch.zeros(len(rows), n)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        return ids, mask


# ---------------------------------------------------------------------------------------- training
def data(cache_dir: str, limit: int | None, seed: int) -> tuple[torch.Tensor, list[str], dict]:
    key = hashlib.sha256(json.dumps({"v": DATA_VERSION, "limit": limit, "seed": seed, "per": S.PER_CAPTION,
                                     "val": S.VAL_PAIRS, "test": S.TEST_PAIRS}).encode()).hexdigest()[:12]
    path = os.path.join(cache_dir, f"audio-{key}.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        return torch.from_numpy(z["pictures"].astype(np.float32))[:, None], list(z["captions"]), json.loads(str(z["counts"]))
    t0 = time.time()
    pics, caps, counts = S.build(limit, seed, log)
    os.makedirs(cache_dir, exist_ok=True)
    np.savez(path + ".tmp.npz", pictures=pics, captions=np.array(caps), counts=json.dumps(counts))
    os.replace(path + ".tmp.npz", path)
    log(f"audio data: {len(caps)} sounds in {time.time() - t0:.0f} s")
    return torch.from_numpy(pics.astype(np.float32))[:, None], caps, counts


def loss_of(model: AudioUNet, text: TextEncoder, tok: Tokens, x0, caps, ab, g) -> torch.Tensor:
    ids, mask = tok.ids(caps, model.strip_notes)
    ctx, pooled = text(ids, mask)
    t = torch.randint(1, T + 1, (x0.shape[0],), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    a = ab[t][:, None, None, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    snr = ab[t] / (1 - ab[t])
    w = snr.clamp(max=5.0) / snr
    pred = model(xt, t.float(), ctx, mask, pooled, tok.rows(caps))
    return (w * (pred - eps).pow(2).mean(dim=(1, 2, 3))).mean()


def train(run: dict, pics: torch.Tensor, caps: list[str], tok: Tokens, seed: int, ckpt: str, init: dict | None = None) -> dict[int, dict]:
    """Trains denoiser and text encoder together (fresh, or from `init`: another run's snapshot, new parts at
    their start); keeps their state at each step in run['keep']. The learning rate follows a cosine over
    run['steps']; run['stop'] ends the run earlier. Resumable."""
    meta = {"lr": run["lr"], "steps": run["steps"], "batch": run["batch"], "seed": seed, "channels": run["channels"],
            "n": len(caps), "vocab": tok.vocab}
    for k in ("positions", "hint", "strip_notes", "from", "salt"):
        if run.get(k):
            meta[k] = run[k]
    loop = TrainLoop(f"audio {run.get('name', '')}", ckpt, meta, run["steps"], stop=run.get("stop", run["steps"]),
                     keep=run["keep"], ckpt_every=500,
                     snapshot=lambda: {"model": {k: v.clone() for k, v in model.state_dict().items()},
                                       "text": {k: v.clone() for k, v in text.state_dict().items()},
                                       "seconds": loop.elapsed, "loss": loop.recent(100)})
    if loop.done:
        return loop.snaps
    torch.manual_seed(seed)
    model, text = audio_unet(run), TextEncoder(len(tok.vocab))
    if init:
        model.load_base(init["model"])
        text.load_state_dict(init["text"])
    params = list(model.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=run["lr"], weight_decay=0.01, betas=(0.9, 0.99))
    loop.restore(model=model, text=text, opt=opt)
    ab = cosine_alpha_bar(T).float()
    both = nn.ModuleList([model, text])
    salt = run.get("salt", 0 if not run.get("from") else 5_000_011)  # a continued run's batches: its own order

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 7_000_003 + step + salt)
        g = torch.Generator().manual_seed(seed * 1_000_003 + step + salt)
        idx = [rng.randrange(len(caps)) for _ in range(run["batch"])]
        cs = [caps[i] if rng.random() >= UNCOND_DROPOUT else "" for i in idx]
        loss = loss_of(model, text, tok, pics[idx], cs, ab, g)
        return optimizer_step(opt, both, loss, run["lr"] * cosine_lr(step, run["steps"], max(1, run["steps"] // 20)))

    loop.run(step_fn).finish(parts=False)
    return loop.snaps


# ---------------------------------------------------------------------------------------- sampling
def start_noise(seed: int) -> torch.Tensor:
    """Starting noise of one picture for the pipeline's own measures."""
    return torch.randn((1, 1, 64, 64), generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def sample(model: AudioUNet, text: TextEncoder, tok: Tokens, prompts: list[str], noise: torch.Tensor,
           steps: int = STEPS, guidance: float = GUIDANCE, keep: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """DDIM with classifier-free guidance (the unconditional half: no words). `keep` = (picture, column mask):
    the masked columns are put back, noised to each step's level (continuation)."""
    ab = cosine_alpha_bar(T)
    b = len(prompts)
    ids, mask = tok.ids([""] * b + prompts, model.strip_notes)
    ctx, pooled = text(ids, mask)
    rows = tok.rows([""] * b + prompts)
    x = noise.double()
    ts = timesteps(steps)

    def put_back(x, t):
        if keep is None:
            return x
        pic, cols = keep
        a = ab[t]
        known = a.sqrt() * pic.double() + (1 - a).sqrt() * noise.double()
        return torch.where(cols.bool(), known, x)

    x = put_back(x, ts[0])
    for k, t in enumerate(ts):
        s = ts[k + 1] if k + 1 < len(ts) else 0
        e_u, e_c = model(torch.cat([x, x]).float(), torch.full((2 * b,), float(t)), ctx, mask, pooled, rows).double().chunk(2)
        eps = e_u + guidance * (e_c - e_u)
        a_t, a_s = ab[t], ab[s]
        x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
        eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        x = put_back(a_s.sqrt() * x0 + (1 - a_s).sqrt() * eps, s)
    return x.float()


def sounds_of(pics: torch.Tensor) -> list[np.ndarray]:
    return [S.griffin_lim(S.magnitudes_of(p[0].numpy())) for p in pics]


def measure(model, text, tok, seeds: list[int], pairs: list[str], notes: list[str], steps: int, guidance: float = GUIDANCE) -> dict:
    """Pitch right (within 3 %) for 'whistle at <note>' over `notes` × seeds and for the unseen pairs × seeds;
    sweep direction right for rising/falling × timbres × seeds."""
    rows = []
    prompts = [f"whistle at {n.upper()}" for n in notes] + pairs + [f"{d} {t}" for d in ("rising", "falling") for t in S.TIMBRES]
    for seed in seeds:
        for lo in range(0, len(prompts), 16):
            chunk = prompts[lo:lo + 16]
            pics = sample(model, text, tok, chunk, torch.cat([start_noise(seed)] * len(chunk)), steps=steps, guidance=guidance)
            for p, pic in zip(chunk, pics):
                w = p.split()
                if w[0] in ("rising", "falling"):
                    slope = S.sweep_slope(pic[0].numpy())
                    rows.append({"prompt": p, "seed": seed, "kind": "sweep", "slope": round(slope, 2),
                                 "right": bool(slope > 2 if w[0] == "rising" else slope < -2)})
                else:
                    hz = S.pitch_of(S.griffin_lim(S.magnitudes_of(pic[0].numpy())))
                    want = S.note_hz(w[2])
                    rows.append({"prompt": p, "seed": seed, "kind": "whistle" if w[0] == "whistle" else "pair",
                                 "hz": round(hz, 2), "want": round(want, 2), "right": bool(abs(hz / want - 1) <= 0.03)})
    out = {"rows": rows}
    for kind in ("whistle", "pair", "sweep"):
        r = [x for x in rows if x["kind"] == kind]
        out[kind] = {"right": sum(x["right"] for x in r), "n": len(r)}
    return out


# ------------------------------------------------------------------------------------------ export
class UNetWrap(nn.Module):
    def __init__(self, model: AudioUNet):
        super().__init__()
        self.model = model

    def forward(self, sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds, pitch_rows=None):
        return self.model(sample, timestep, encoder_hidden_states, encoder_attention_mask, text_embeds, pitch_rows)


class TextWrap(nn.Module):
    def __init__(self, text: TextEncoder):
        super().__init__()
        self.text = text

    def forward(self, input_ids, attention_mask):
        return self.text(input_ids, attention_mask.to(torch.float32))


def export(folder: str, model: AudioUNet, text: TextEncoder, tok: Tokens, metrics: dict, guidance: float = GUIDANCE) -> None:
    import onnx

    model.eval()
    text.eval()
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    ids, mask = tok.ids(["", "whistle at A4"], model.strip_notes)
    tpath = os.path.join(folder, "onnx", "text_encoder.onnx")
    torch.onnx.export(TextWrap(text), (ids, mask.long()), tpath, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                    "last_hidden_state": {0: "batch", 1: "tokens"}, "text_embeds": {0: "batch"}})
    onnx.checker.check_model(onnx.load(tpath))
    with torch.no_grad():
        ctx, pooled = text(ids, mask)
    upath = os.path.join(folder, "onnx", "unet.onnx")
    hint = (tok.rows(["", "whistle at A4"]),) if model.hint else ()
    torch.onnx.export(UNetWrap(model), (torch.randn(2, 1, 64, 64), torch.tensor([500.0, 500.0]), ctx, mask, pooled, *hint), upath,
                      opset_version=OPSET, do_constant_folding=True,
                      input_names=["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask", "text_embeds"] + (["pitch_rows"] if hint else []),
                      output_names=["noise_pred"],
                      dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "tokens"},
                                    "encoder_attention_mask": {0: "batch", 1: "tokens"}, "text_embeds": {0: "batch"}, "noise_pred": {0: "batch"},
                                    **({"pitch_rows": {0: "batch"}} if hint else {})})
    onnx.checker.check_model(onnx.load(upath))
    # parity: tokens, the text encoder, one denoiser step, a 4-step sound picture, a continuation, the analysis
    g = torch.Generator().manual_seed(7)
    prompts = ["", "whistle at A4", "organ chord C major", "spoken: quiet on set"]
    pids, pmask = tok.ids(prompts, model.strip_notes)
    with torch.no_grad():
        pctx, ppooled = text(pids, pmask)
        smp = torch.randn((2, 1, 64, 64), generator=g)
        eps = model(smp, torch.tensor([700.0, 700.0]), pctx[:2], pmask[:2], ppooled[:2], tok.rows(prompts[:2]))
    noise = start_noise(3)
    pic = sample(model, text, tok, ["whistle at A4"], noise, steps=4)
    cols = torch.zeros(1, 1, 64, 64)
    cols[..., :32] = 1
    given = pic.clone()
    cont = sample(model, text, tok, ["whistle at A4"], start_noise(4), steps=4, keep=(given, cols))
    t = np.arange(S.LENGTH) / S.SR
    ana = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 1234.5 * t) * (t > 1)).astype(np.float32)
    r = lambda a, d=6: [round(float(v), d) for v in np.asarray(a).flatten()]
    parity = {"tokens": {"prompts": prompts, "ids": pids.tolist(), "mask": pmask.tolist(), "pitch_rows": [S.pitch_rows(S.tokens(p)) for p in prompts]},
              "text": {"last_hidden_state": r(pctx), "text_embeds": r(ppooled)},
              "step": {"timestep": 700, "sample": r(smp), "noise_pred": r(eps)},
              "sound": {"prompt": "whistle at A4", "steps": 4, "guidance": GUIDANCE, "noise": r(noise), "picture": r(pic, 5)},
              "continuation": {"prompt": "whistle at A4", "steps": 4, "given_columns": 32, "noise": r(start_noise(4)), "picture": r(cont, 5)},
              "analysis": {"signal": "0.3·sin(2π·440·t) + 0.1·sin(2π·1234.5·t) for t > 1 s", "picture": r(S.picture_of(ana), 5)}}
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump(parity, f)
    cfg = {"model_type": "micro-audio", "vocabulary": tok.vocab, "max_tokens": MAX_TOKENS,
           "sound": {"sample_rate": S.SR, "n_fft": S.NFFT, "hop": S.HOP, "frames": S.FRAMES, "rows": S.BINS, "row0_hz": S.F_LOW,
                     "row_a4": S.ROW_A4, "db_floor": S.DB_FLOOR, "db_per_unit": 40, "samples": S.LENGTH},
           "pitch_hint": model.hint,
           "pitch_words_to_hint_only": model.strip_notes,
           "schedule": {"kind": "cosine", "T": T},
           "latent": {"channels": 1, "size": 64, "scaling_factor": 1},
           "image": {"size": 64, "channels": 1},
           "sampling": {"default_steps": STEPS, "default_guidance": guidance, "x0_clip": 1, "t_start": T_START},
           "text_encoder": {"model": "micro-audio", "unconditional_prompt": ""},
           "examples": ["whistle at A4", "whistle at C5", "rising whistle", "falling whistle", "organ chord C major",
                        "pluck arpeggio A minor", "sung ah at A3", "drum beat", "rain", "spoken: action"],
           "params": {"unet": count_params(model), "text_encoder": count_params(text)}}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)


def _summary(m: dict) -> dict:
    out = {}
    for kind in ("whistle", "pair", "sweep"):
        k, n = m[kind]["right"], m[kind]["n"]
        out[kind] = {"right": k, "n": n, "rate": round(k / n, 4) if n else 0.0, "ci95": wilson(k, n)}
    return out


def audio_from_onnx(folder: str, run: dict, tok: Tokens) -> tuple[AudioUNet, TextEncoder]:
    """The shipped micro-audio (the UNet of `run`'s design and its text encoder) rebuilt from its ONNX files,
    checked against its parity.json: what a later run continues from when the checkpoints are gone."""
    model, text = audio_unet(run), TextEncoder(len(tok.vocab))
    try:
        model.load_state_dict(state_from_onnx(os.path.join(folder, "onnx", "unet.onnx"), model, "model."))
        text.load_state_dict(state_from_onnx(os.path.join(folder, "onnx", "text_encoder.onnx"), text, "text."))
    except (ValueError, OSError, RuntimeError) as exc:
        raise S.SoundError(f"the shipped micro-audio in {folder} cannot be rebuilt: {exc}") from exc
    model.eval()
    text.eval()
    with open(os.path.join(folder, "parity.json")) as f:
        ref = json.load(f)
    ids, mask = tok.ids(ref["tokens"]["prompts"], model.strip_notes)
    with torch.no_grad():
        ctx, pooled = text(ids, mask)
        smp = torch.tensor(ref["step"]["sample"]).reshape(-1, 1, 64, 64)
        b = smp.shape[0]
        eps = model(smp, torch.full((b,), float(ref["step"]["timestep"])), ctx[:b], mask[:b], pooled[:b], tok.rows(ref["tokens"]["prompts"][:b]))
    if ids.tolist() != ref["tokens"]["ids"] or (eps.flatten() - torch.tensor(ref["step"]["noise_pred"])).abs().max() > 1e-4:
        raise S.SoundError(f"micro-audio rebuilt from {folder} does not match its parity.json")
    return model, text


def roughness(model, text, tok, seeds: list[int], guidance: float, steps: int) -> float:
    """How rough the sample prompts' pictures are (the mean change from one moment to the next) over `seeds`,
    relative to real sounds of the same captions (1 = as smooth as the training sounds). Strong guidance
    pushes the picture past what the model learned: speckle and doubled lines, heard as a rasp."""
    prompts = [p for p in SAMPLE_PROMPTS if not p.startswith("spoken")]
    rng = random.Random(3)
    rough = lambda pic: float(np.abs(np.diff(pic, axis=1)).mean())
    real = {p: float(np.mean([rough(S.picture_of(S.synth(p, rng))) for _ in range(8)])) for p in prompts}
    made = {p: [] for p in prompts}
    for seed in seeds:
        pics = sample(model, text, tok, prompts, torch.cat([start_noise(seed)] * len(prompts)), steps=steps, guidance=guidance)
        for p, pic in zip(prompts, pics):
            made[p].append(rough(pic[0].numpy()))
    return round(float(np.mean([np.mean(made[p]) / real[p] for p in prompts])), 4)


def choose_guidance(model, text, tok, weights: list[float], val_seeds, val_pairs, notes, steps: int, ck_dir: str, best: dict,
                    bound: float | None = None) -> tuple[float, list[dict]]:
    """The sampler's guidance weight for the chosen snapshot, on validation: the best score (whistles, unseen
    pairs and sweeps right) among the weights whose pictures are at most `bound` times as rough as with the
    default weight (all weights without a bound); a tie goes to the smaller weight."""
    rows = []
    for w in weights:
        key = {"run": best["run"], "step": best["steps"], "seeds": val_seeds, "pairs": val_pairs, "notes": notes, "eval_steps": steps, "guidance": w}
        v = cached_json(os.path.join(ck_dir, f"val-guidance-{best['run']}-{best['steps']}-{w:g}.json"), key,
                        lambda: measure(model, text, tok, val_seeds, val_pairs, notes, steps, guidance=w))
        c = {"guidance": w, **_summary(v)}
        c["score"] = c["whistle"]["right"] + c["pair"]["right"] + c["sweep"]["right"]
        c["roughness"] = cached_json(os.path.join(ck_dir, f"val-roughness-{best['run']}-{best['steps']}-{w:g}.json"), key,
                                     lambda: roughness(model, text, tok, val_seeds, w, steps))
        rows.append(c)
        log(f"audio guidance {w:g}: validation whistle {c['whistle']['right']}/{c['whistle']['n']}, unseen pairs "
            f"{c['pair']['right']}/{c['pair']['n']}, sweeps {c['sweep']['right']}/{c['sweep']['n']}; roughness {c['roughness']:.2f} × real")
    base = next((c["roughness"] for c in rows if c["guidance"] == GUIDANCE), None)
    ok = [c for c in rows if bound is None or base is None or c["roughness"] <= bound * base] or rows
    return max(ok, key=lambda c: (c["score"], -c["guidance"]))["guidance"], rows


def run(run_dir: str, cache_dir: str, out_dir: str, recipe: dict, seed: int, train_cmd: str, from_shipped: bool = False) -> dict:
    """Trains the recipe's runs and chooses a snapshot, then the guidance weight, on validation; measures the
    test seeds and pairs once; exports into out_dir (whole, or not at all). With `from_shipped`, the runs the
    shipped model's record lists are not trained again: their validation rows come from that record, and the
    shipped model (rebuilt from its ONNX files) stands for the snapshot it was, so later runs continue from it."""
    S.espeak_path()
    pics, caps, counts = data(cache_dir, recipe.get("limit"), seed)
    tok = Tokens(S.vocabulary())
    ck_dir = os.path.join(run_dir, "audio-checkpoints")
    os.makedirs(ck_dir, exist_ok=True)
    notes = S.WHISTLE_NOTES if not recipe.get("limit") else S.WHISTLE_NOTES[:2]
    val_pairs = S.VAL_PAIRS if not recipe.get("limit") else S.VAL_PAIRS[:1]
    test_pairs = S.TEST_PAIRS if not recipe.get("limit") else S.TEST_PAIRS[:1]
    steps = recipe.get("eval_steps", STEPS)

    shipped, done = None, {}
    if from_shipped:
        with open(os.path.join(out_dir, "metrics.json")) as f:
            shipped = json.load(f)
        done = {r["name"]: r for r in shipped["runs"]}
        for r in recipe["runs"]:
            if r["name"] in done and r != done[r["name"]]:
                raise S.SoundError(f"the recipe's run {r['name']} is not the one the shipped micro-audio was trained with")
        log(f"audio: the shipped model is run {shipped['chosen']['run']} at step {shipped['chosen']['steps']}; "
            f"training only {', '.join(r['name'] for r in recipe['runs'] if r['name'] not in done) or 'nothing new'}")

    # The runs in order; a run continued from another starts from that run's snapshot.
    snaps_of: dict[str, dict[int, dict]] = {}
    for r in recipe["runs"]:
        if r["name"] in done:
            snaps_of[r["name"]] = {}
            if r["name"] == shipped["chosen"]["run"]:
                model0, text0 = audio_from_onnx(out_dir, r, tok)
                snaps_of[r["name"]][shipped["chosen"]["steps"]] = {"model": model0.state_dict(), "text": text0.state_dict()}
            continue
        init = snaps_of[r["from"][0]].get(r["from"][1]) if r.get("from") else None
        if r.get("from") and init is None:
            raise S.SoundError(f"run {r['name']} continues from {r['from'][0]} at step {r['from'][1]}, which is not at hand")
        name = "train.pt" if r["name"] == recipe["runs"][0]["name"] else f"train-{r['name']}.pt"
        snaps_of[r["name"]] = train(r, pics, caps, tok, seed, os.path.join(ck_dir, name), init)

    def restored(r: dict, k: int):
        if k not in snaps_of[r["name"]]:
            raise S.SoundError(f"snapshot {r['name']} at step {k} is not at hand (only the shipped one is, of the shipped runs)")
        model = audio_unet(r)
        text = TextEncoder(len(tok.vocab))
        model.load_state_dict(snaps_of[r["name"]][k]["model"])
        text.load_state_dict(snaps_of[r["name"]][k]["text"])
        return model.eval(), text.eval()

    cands = [c for c in shipped["candidates"] if c["run"] in done] if shipped else []

    def spent(r: dict, k: int) -> float:
        """Training seconds up to snapshot k of run r, with the runs it continues."""
        if r["name"] in done:
            return next(c["seconds"] for c in cands if c["run"] == r["name"] and c["steps"] == k)
        own = snaps_of[r["name"]][k]["seconds"]
        if not r.get("from"):
            return own
        parent = next(x for x in recipe["runs"] if x["name"] == r["from"][0])
        return own + spent(parent, r["from"][1])

    for r in recipe["runs"]:
        if r["name"] in done:
            continue
        for k in sorted(snaps_of[r["name"]]):
            key = {"step": k, "seeds": recipe["val_seeds"], "pairs": val_pairs, "notes": notes, "eval_steps": steps, "run": r}
            v = cached_json(os.path.join(ck_dir, f"val-{r['name']}-{k}.json"), key,
                            lambda: measure(*restored(r, k), tok, recipe["val_seeds"], val_pairs, notes, steps))
            c = {"run": r["name"], "steps": k, **_summary(v), "loss": round(snaps_of[r["name"]][k]["loss"], 4), "seconds": round(spent(r, k), 1)}
            c["score"] = c["whistle"]["right"] + c["pair"]["right"] + c["sweep"]["right"]
            cands.append(c)
            log(f"audio {r['name']} step {k}: validation whistle {c['whistle']['right']}/{c['whistle']['n']}, unseen pairs "
                f"{c['pair']['right']}/{c['pair']['n']}, sweeps {c['sweep']['right']}/{c['sweep']['n']}")
    best = max(cands, key=lambda c: (c["score"], c["seconds"]))  # a tie goes to the longer-trained
    chosen = next(x for x in recipe["runs"] if x["name"] == best["run"])
    model, text = restored(chosen, best["steps"])
    guidance, guidance_rows = choose_guidance(model, text, tok, recipe.get("guidance", [GUIDANCE]), recipe["val_seeds"], val_pairs, notes,
                                              steps, ck_dir, best, recipe.get("roughness_bound"))
    key = {"step": best["steps"], "seeds": recipe["test_seeds"], "pairs": test_pairs, "notes": notes, "eval_steps": steps, "run": chosen}
    if guidance != GUIDANCE:
        key["guidance"] = guidance
    earlier = []
    if shipped:
        earlier = shipped.get("earlier_tests", [])
        was = {"run": shipped["chosen"]["run"], "steps": shipped["chosen"]["steps"], "guidance": shipped["sampler"]["guidance"]}
        if was != {"run": best["run"], "steps": best["steps"], "guidance": guidance}:
            earlier = earlier + [{**was, **shipped["test"]}]
        elif "test" in shipped:  # the same model and sampler: its test stands, it is not looked at again
            cached = {"key": key, "value": {"rows": shipped["test_rows"], **{k: {"right": v["right"], "n": v["n"]} for k, v in shipped["test"].items()}}}
            with open(os.path.join(ck_dir, "test.json"), "w") as f:
                json.dump(cached, f)
    # The test seeds and pairs, once per shipped model and sampler, for the card (kept, so a re-export does not look again).
    test = cached_json(os.path.join(ck_dir, "test.json"), key,
                       lambda: measure(model, text, tok, recipe["test_seeds"], test_pairs, notes, steps, guidance=guidance))
    m = {"data": counts, "sounds": len(caps), "vocabulary": len(tok.vocab), "runs": recipe["runs"], "run": chosen, "candidates": cands, "chosen": best,
         "guidance_candidates": guidance_rows, "roughness_bound": recipe.get("roughness_bound"),
         "val_seeds": recipe["val_seeds"], "test_seeds": recipe["test_seeds"], "val_pairs": val_pairs, "test_pairs": test_pairs,
         "test": _summary(test), "test_rows": test["rows"], "earlier_tests": earlier, "train_seconds": best["seconds"],
         "params": {"unet": count_params(model), "text_encoder": count_params(text)},
         "sampler": {"kind": "ddim", "steps": steps, "guidance": guidance}, **provenance()}
    with StagingDir(out_dir) as tmp:
        export(tmp, model, text, tok, m, guidance)
        m["samples"] = write_samples(tmp, model, text, tok, guidance)
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(m, f, indent=2)
        with open(os.path.join(tmp, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(card(m, cfg, sum(os.path.getsize(os.path.join(tmp, "onnx", n)) for n in ("unet.onnx", "text_encoder.onnx")), train_cmd))
        write_licences(tmp, MODEL_DATA["micro-audio"])
        with open(os.path.join(tmp, "DATA.md"), "w") as f:
            f.write(data_card(m))
    t = m["test"]
    log(f"audio: test whistle pitch {t['whistle']['right']}/{t['whistle']['n']}, unseen pairs {t['pair']['right']}/{t['pair']['n']}, "
        f"sweeps {t['sweep']['right']}/{t['sweep']['n']} (guidance {guidance:g})")
    return m


SAMPLE_PROMPTS = ["whistle at A4", "rising whistle", "organ chord C major", "pluck arpeggio A minor", "sung ah at A3", "drum beat", "rain", "spoken: action"]


def write_samples(folder: str, model, text, tok, guidance: float = GUIDANCE) -> dict:
    """samples/generated.png: one picture per sample prompt (seed 1, low pitches at the bottom), and a WAV of each."""
    from PIL import Image

    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    pics = sample(model, text, tok, SAMPLE_PROMPTS, torch.cat([start_noise(1)] * len(SAMPLE_PROMPTS)), guidance=guidance)
    row = np.concatenate([np.pad(((p[0].numpy()[::-1] + 1) * 127.5).clip(0, 255).astype(np.uint8), ((0, 0), (0, 4)), constant_values=255)
                          for p in pics], 1)
    Image.fromarray(np.kron(row, np.ones((2, 2), dtype=np.uint8))).save(os.path.join(folder, "samples", "generated.png"))
    out = []
    for p, pic in zip(SAMPLE_PROMPTS, pics):
        x = S.griffin_lim(S.magnitudes_of(pic[0].numpy()))
        name = "".join(ch if ch.isalnum() else "-" for ch in p.lower()).strip("-").replace("--", "-") + ".wav"
        import wave

        with wave.open(os.path.join(folder, "samples", name), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(S.SR)
            f.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
        out.append({"prompt": p, "file": f"samples/{name}", "pitch_hz": round(S.pitch_of(x), 1)})
    return {"seed": 1, "steps": STEPS, "guidance": guidance, "sounds": out}


def card(m: dict, cfg: dict, size_bytes: int, train_cmd: str) -> str:
    t, ch = m["test"], m["chosen"]
    snd = cfg["sound"]
    pct = lambda x: f"{x['right']} / {x['n']}** ({x['rate']:.0%}; 95 % Wilson interval {x['ci95'][0]:.0%} – {x['ci95'][1]:.0%})"
    runs = "; ".join(f"`{x['name']}`: learning rate {x['lr']:g}, cosine over {x['steps']} steps" + (f", stopped at step {x['stop']}" if x.get('stop') else "")
                     + (", with a learned table of positions added to the patches" if x.get("positions") else "")
                     + (", with the pitch hint (the rows the prompt's notes name, as a second picture)" if x.get("hint") else "")
                     + (", the note words given to the hint only (not to the text encoder)" if x.get("strip_notes") else "")
                     + (f", continued from `{x['from'][0]}` at step {x['from'][1]}" if x.get("from") else "") for x in m["runs"])
    cands = "; ".join(f"{c['run']} at step {c['steps']}: whistle {c['whistle']['right']}/{c['whistle']['n']}, unseen pairs {c['pair']['right']}/{c['pair']['n']}, "
                      f"sweeps {c['sweep']['right']}/{c['sweep']['n']}" for c in m["candidates"])
    guid = "; ".join(f"{c['guidance']:g}: whistle {c['whistle']['right']}/{c['whistle']['n']}, pairs {c['pair']['right']}/{c['pair']['n']}, "
                     f"sweeps {c['sweep']['right']}/{c['sweep']['n']}" + (f", roughness {c['roughness']:.2f}" if "roughness" in c else "")
                     for c in m.get("guidance_candidates", [])) or "not chosen"
    bound = (f"among the weights whose pictures stay at most {m['roughness_bound']:g} times as rough as with guidance {GUIDANCE:g} (roughness: the mean "
             "change from one moment to the next of the sample prompts' pictures, over the validation seeds, relative to real sounds of the same "
             "captions; strong guidance adds speckle and doubled lines, heard as a rasp) ") if m.get("roughness_bound") else ""
    earlier = "".join(f"\nTested before, once each (an earlier shipped model or sampler): {e['run']} at step {e['steps']}, guidance {e['guidance']:g}: "
                      f"whistle {e['whistle']['right']}/{e['whistle']['n']} ({e['whistle']['rate']:.0%}), unseen pairs {e['pair']['right']}/{e['pair']['n']}, "
                      f"sweeps {e['sweep']['right']}/{e['sweep']['n']}.\n" for e in m.get("earlier_tests", []))
    misses = [r for r in m["test_rows"] if r["kind"] == "whistle" and not r["right"]]
    off = collections.Counter(round(12 * math.log2(r["hz"] / r["want"])) for r in misses)
    miss_notes = ", ".join(f"{k:+d} ({v})" for k, v in off.most_common(6)) or "none"
    goal_w = "met" if t["whistle"]["rate"] >= 0.8 else "not met"
    goal_s = "met" if t["sweep"]["rate"] >= 0.8 else "not met"
    data = " · ".join(f"{k} {v['sounds']:,}" for k, v in m["data"].items())
    return f"""# micro-audio: text → sound by diffusion on pictures of sound

A text-to-sound model for the talk, built the way Riffusion and AudioLDM are built, only small: a sound is
a picture ({snd['frames']} moments × {snd['rows']} pitches, one row per semitone from G2 = {snd['row0_hz']:.1f} Hz; A4 = 440 Hz is row
{snd['row_a4']}), a diffusion model draws such pictures from noise as the prompt says, and Griffin–Lim (in the
browser) turns the picture into sound. Made by this project's pipeline (`training/audio.py`, `training/sounds.py`).

| | |
|---|---|
| sound | {snd['samples'] / snd['sample_rate']:.3f} s, {snd['sample_rate']:,} Hz mono; windows of {snd['n_fft']} samples, {snd['hop']} apart; loudness {snd['db_floor']:g} … 0 dBFS per pixel |
| denoiser | micro-diffusion's UNet design on the picture cut into 4 × 4 patches (16 × 16 × 16), cross-attention to the prompt: **{m['params']['unet']:,}** parameters |
| text encoder | its own: a table of {m['vocabulary']} words and two transformer layers ({m['params']['text_encoder']:,} parameters), trained with the denoiser; the prompt's other words are left out, and the deck names them |
{"| pitch | the notes the prompt names are also read by a rule into the rows they mean (A4 → row " + str(snd['row_a4']) + "; a chord's root → its triad in octave 4) and given to the UNet as a second picture beside the noisy one, as singing synthesisers are given their melody (DiffSinger); the words say what sound to make there |" if cfg.get('pitch_hint') else ""}
| file | `onnx/unet.onnx` and `onnx/text_encoder.onnx`, {size_bytes / 1e6:.1f} MB together (fp32) |
| training | run `{ch['run']}` at step {ch['steps']}, {m['run']['batch']} sounds a step ({m['train_seconds'] / 60:.0f} min on 2 CPU cores in all); min-SNR weighting, 12 % of prompts dropped for classifier-free guidance |
| sampler | DDIM, {m['sampler']['steps']} steps, guidance {m['sampler']['guidance']:g} (the unconditional half: no words and no pitch hint) |

## Data
{m['sounds']:,} sounds, all made by the pipeline (`DATA.md` beside this card): {data}. Timbre × note pairs held out of
training: validation {", ".join(m['val_pairs'])}; test {", ".join(m['test_pairs'])}.

## Does it make what the prompt says? (test seeds {", ".join(str(x) for x in m['test_seeds'])}, looked at once)
Measured on the sound, not on the picture: the picture goes through 32 Griffin–Lim iterations, and the
pitch is the loudest peak of the whole sound's spectrum, moved down to its fundamental where one is
there (`demos/audio/picture.ts` is the same measure). A sweep's direction is the slope of the picture's
loudness-weighted mean row.

| | |
|---|---|
| "whistle at <note>", C3 … B6: pitch within 3 % | **{pct(t['whistle'])} |
| timbre × note pairs never heard in training: pitch within 3 % | **{pct(t['pair'])} |
| "rising / falling <timbre>": direction right | **{pct(t['sweep'])} |

Goals: "whistle at <note>" within 3 % for ≥ 80 % of seeds ({goal_w}); rising sweeps rise ({goal_s} at ≥ 80 %).
A missed whistle is another note: semitones off (times) {miss_notes}. A patch of the picture is 4 rows high, so
±4, ±8 and ±12 mean the whistle was drawn in the right place within a patch but in the wrong patch.

## How it was chosen (validation seeds {", ".join(str(x) for x in m['val_seeds'])} and the validation pairs only)
The runs: {runs}. Their snapshots, scored on validation: {cands}. The best was kept
({ch['run']} at step {ch['steps']}). Then the guidance weight for it, also on validation: the best sum of the three
{bound}(a tie goes to the smaller weight): {guid}. Kept: {m['sampler']['guidance']:g}. All rows are in `metrics.json`.
{earlier}
## Limits
It knows only the words of its captions, 2 seconds at 8 kHz, and a picture with one row per semitone:
speech comes out as a robotic smudge of the right length and rhythm, rarely as clear words. Griffin–Lim
guesses the phase, so every sound has a faint metallic edge. Now and then a starting noise gives an empty picture
(silence): another seed fixes it.

## Credits
The training sounds are synthesised by the pipeline from formulas, except the spoken words: voiced by
eSpeak NG (GPL-3.0-or-later; its output is used as data, the program is not shipped). Weights: MIT.

Made by `{train_cmd}` (figures from `metrics.json`).
"""


def data_card(m: dict) -> str:
    rows = "\n".join(f"| {k} | {v['captions']} | {v['sounds']:,} |" for k, v in m["data"].items())
    return f"""# micro-audio's training sounds

Every sound is made by `training/sounds.py`: 2.144 s at 8 kHz mono, turned into the model's picture (64
moments × 64 semitone rows). Nothing is downloaded.

| kind | captions | sounds |
|---|---|---|
{rows}

- **Notes**: "whistle at A4" (a sine with a slight vibrato), "organ at C3" (a few harmonics, steady), "pluck at E4"
  (decaying harmonics), "brass at G3" (many harmonics, slow attack). Whistles C3 … B6, the others C3 … B5.
  Random start, length (0.8 – 1.9 s) and loudness.
- **Chords and arpeggios**: major and minor triads on the twelve roots of octave 4, in each timbre; an arpeggio
  plays root, third, fifth and octave in turn.
- **Sweeps**: "rising whistle" / "falling organ" …: a glide over 1.2 – 2.5 octaves.
- **Sung vowels**: "sung ah at A3" (ah, ee, oo, eh, oh on C3 … B4): harmonics shaped by the vowel's three formants
  (Peterson & Barney's averages), with vibrato.
- **Drums and noise**: "drum hit" (a falling sine), "snare hit" (a noise burst), "drum beat", "hiss" (white noise),
  "rain" (filtered noise and droplets), "wind" (low-passed, swelling noise).
- **Speech**: "spoken: action", "spoken: cut", "spoken: quiet on set", "spoken: zero" … "spoken: nine", each voiced
  48 times by eSpeak NG (`espeak-ng`, GPL-3.0-or-later, Debian's package) with English voices (en, en-us,
  en-gb-x-rp, en-gb-scotland, en-029, en-gb-x-gbclan) and variants, pitch 25 – 75, speed 120 – 185 words a minute;
  resampled to 8 kHz and placed at a random start. The program's output is used as data; eSpeak NG itself is not
  shipped.
- **Held out**: the timbre × note pairs {", ".join(m['val_pairs'])} (validation) and {", ".join(m['test_pairs'])} (test) are
  never in training.
"""
