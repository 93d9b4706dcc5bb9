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
from util import atomic_torch_save, cosine_lr, load_checkpoint, log, optimizer_step


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
    sched = lambda s: cosine_lr(s, steps, warm)
    g = torch.Generator().manual_seed(seed)
    start, hist, elapsed0, curve = 0, [], 0.0, []
    ckpt = os.path.join(run_dir, "clip.ckpt")
    meta = {"steps": steps, "batch": batch, "seed": seed, "limit": limit, "lr": lr, "cfg": cfg.to_dict()}
    st = load_checkpoint(ckpt, meta, "clip")
    if st:
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        g.set_state(st["gen"])
        torch.set_rng_state(st["torch_rng"])
        start, hist, curve = st["step"], st["hist"], st.get("curve", [])
        elapsed0 = st.get("elapsed", _legacy_elapsed(run_dir, st))
        log(f"clip: resuming from step {start}")
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


# ------------------------------------------------------------------------------------ phase 2
def training_words(ds: ClipData) -> set[str]:
    """Every word any training caption can contain."""
    from tokenizer import pre_tokenize

    texts = [t for i in ds.train for t in [ds.emoji[i].name] + ds.emoji[i].keywords] + list(D.TONES.values())
    return {w for t in texts for w in pre_tokenize(t)}


def lexicon_words(ds: ClipData) -> list[str]:
    """The words phase 2 looks up: every word of every emoji *name* (the names are the labels a
    zero-shot test ranks, so they are known in advance), the training emoji's keywords and the
    projector's film words. Held-out emoji contribute their names only: never keywords, never images."""
    import lexicon as L
    from tokenizer import EXTRA_WORDS

    texts = list(ds.names) + [k for i in ds.train for k in ds.emoji[i].keywords] + EXTRA_WORDS
    return L.words_of(texts)


def build_dictionary_tokenizer(ds: ClipData, lex) -> WordPiece:
    """Phase 1's vocabulary plus a whole-word token for each dictionary headword and each word the
    entries use at least three times, leaving out every word a training caption uses: those keep
    phase 1's spelling, so every training caption tokenizes exactly as before."""
    from collections import Counter

    import lexicon as L
    from tokenizer import pre_tokenize

    old = build_tokenizer(ds).vocab
    counts: Counter[str] = Counter()
    for e in lex:
        for t in e.synonyms + e.kinds + e.definitions:
            counts.update(w for w in pre_tokenize(t) if w.isalpha())
    seen = training_words(ds)
    added = ({e.word for e in lex} | {w for w, c in counts.items() if c >= 3 and w not in L.STOP}) - seen - set(old)
    return WordPiece(old + sorted(added))


def _extend_text_tower(model: MicroClip, old_tok: WordPiece, new_tok: WordPiece) -> MicroClip:
    """A copy of `model` whose token table covers `new_tok`'s vocabulary (which starts with
    `old_tok`'s, in order): known tokens keep their vectors, a new word starts at the mean of the
    pieces phase 1 spelled it with."""
    cfg = ClipConfig(**{**model.cfg.to_dict(), "channels": tuple(model.cfg.channels), "vocab_size": len(new_tok.vocab)})
    new = MicroClip(cfg)
    state = {k: v for k, v in model.state_dict().items() if k != "text.tok.weight"}
    new.load_state_dict(state, strict=False)
    old_w = model.text.tok.weight.detach()
    n_old = len(old_tok.vocab)
    assert new_tok.vocab[:n_old] == old_tok.vocab
    with torch.no_grad():
        new.text.tok.weight[:n_old] = old_w
        for i in range(n_old, len(new_tok.vocab)):
            new.text.tok.weight[i] = old_w[old_tok.word_ids(new_tok.vocab[i])].mean(0)
    return new


def tune_text(run_dir: str, model: MicroClip, tok: WordPiece, ds: ClipData, steps: int, batch: int, seed: int,
              lr: float = 2e-3, log_every: int = 50, ckpt_every: int = 250,
              on_step=None) -> tuple[MicroClip, WordPiece, dict]:
    """Phase 2: vectors for words no training caption uses, learned from a dictionary.

    Phase 1 can only spell such words letter by letter, so "rooster" lands wherever its letters lead.
    Here each of them gets a token of its own, and only those new token vectors are trained — every
    weight of phase 1 stays frozen — so that a word lands where the frozen text encoder puts its
    WordNet entry ("cock chicken adult male chicken"). This is learning word vectors from definitions
    (Hill et al. 2016; Bahdanau et al. 2017). Every caption made of phase-1 tokens (every training
    caption) keeps exactly the embedding it had, so the diffusion model conditioned on phase 1's text
    encoder sees the same conditioning. No image is involved. Resumable from `clip_text.ckpt`."""
    import lexicon as L

    lex = L.build_lexicon(L.WordNet(), lexicon_words(ds))
    new_tok = build_dictionary_tokenizer(ds, lex)
    base = fingerprint(model)
    net = _extend_text_tower(model, tok, new_tok)
    net.requires_grad_(False)
    table = net.text.tok.weight
    table.requires_grad_(True)
    n_old = len(tok.vocab)
    keep_old = torch.ones(len(new_tok.vocab), 1)
    keep_old[:n_old] = 0
    table.register_hook(lambda grad: grad * keep_old)  # phase 1's tokens stay exactly as they were
    opt = torch.optim.Adam([table], lr=lr)  # no weight decay: it would move the frozen rows
    warm = max(1, min(50, steps // 10))
    sched = lambda s: cosine_lr(s, steps, warm)
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "vocab": len(new_tok.vocab), "entries": len(lex),
            "base": base}
    ckpt = os.path.join(run_dir, "clip_text.ckpt")
    start, hist, elapsed0 = 0, [], 0.0
    st = load_checkpoint(ckpt, meta, "clip words")
    if st:
        with torch.no_grad():
            table.copy_(st["table"])
        opt.load_state_dict(st["opt"])
        start, hist, elapsed0 = st["step"], st["hist"], st["elapsed"]
        log(f"clip words: resuming from step {start}")
    log(f"clip words: {len(lex)} dictionary entries, {len(new_tok.vocab) - n_old} new words "
        f"(vocab {n_old} -> {len(new_tok.vocab)}); every other weight frozen")
    t0 = time.time()
    net.eval()  # no dropout anywhere; the frozen tower behaves exactly as at inference
    scale = net.logit_scale.detach().clamp(max=math.log(100)).exp()
    for step in range(start, steps):
        rng = random.Random(seed * 7_000_003 + step)
        entries = rng.sample(lex, k=min(batch, len(lex)))
        a = F.normalize(net.encode_text(*new_tok.batch([e.word for e in entries]))[0], dim=-1)
        b = F.normalize(net.encode_text(*new_tok.batch([L.describe(e, rng) for e in entries]))[0], dim=-1)
        logits = scale * a @ b.t()
        t = torch.arange(len(entries))
        loss = (F.cross_entropy(logits, t) + F.cross_entropy(logits.t(), t)) / 2
        hist.append(optimizer_step(opt, net.text.tok, loss, lr * sched(step)))
        if (step + 1) % log_every == 0 or step + 1 == steps:
            log(f"clip words: step {step + 1}/{steps} loss {np.mean(hist[-log_every:]):.3f} "
                f"({(time.time() - t0) / (step + 1 - start):.2f} s/step)")
        if (step + 1) % ckpt_every == 0 and step + 1 < steps:
            atomic_torch_save({"meta": meta, "table": table.detach().clone(), "opt": opt.state_dict(), "step": step + 1,
                               "hist": hist, "elapsed": elapsed0 + time.time() - t0}, ckpt)
        if on_step is not None:
            on_step(step + 1)
    seconds = time.time() - t0
    net.requires_grad_(False)
    metrics = evaluate(net, new_tok, ds)
    net.eval()
    metrics.update({"words_seconds": round(elapsed0 + seconds, 1), "words_steps": steps,
                    "dictionary_entries": len(lex), "new_words": len(new_tok.vocab) - n_old})
    atomic_torch_save({"meta": meta, "table": table.detach().clone(), "step": steps, "hist": hist, "done": True,
                       "elapsed": elapsed0 + seconds, "opt": opt.state_dict()}, ckpt)
    return net, new_tok, metrics


def fingerprint(model: MicroClip) -> str:
    """A short hash of the weights, so a later phase notices when the one before it was retrained."""
    import hashlib

    h = hashlib.sha1()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def load_trained(run_dir: str, ds: ClipData) -> tuple[MicroClip, WordPiece]:
    """The finished micro-CLIP of a run: phase 1's checkpoint, with phase 2's text tower when that
    phase has run on top of it. Raises FileNotFoundError when phase 1 has not run."""
    path = os.path.join(run_dir, "clip.ckpt")
    st = torch.load(path)
    cfg = dict(st["meta"]["cfg"])
    cfg["channels"] = tuple(cfg["channels"])
    model = MicroClip(ClipConfig(**cfg))
    model.load_state_dict(st["model"])
    tok = build_tokenizer(ds)
    path2 = os.path.join(run_dir, "clip_text.ckpt")
    if os.path.exists(path2):
        st2 = torch.load(path2)
        if st2.get("done") and st2["meta"].get("base") == fingerprint(model):
            import lexicon as L

            new_tok = build_dictionary_tokenizer(ds, L.build_lexicon(L.WordNet(), lexicon_words(ds)))
            model = _extend_text_tower(model, tok, new_tok)
            with torch.no_grad():
                model.text.tok.weight.copy_(st2["table"])
            tok = new_tok
    return model.eval(), tok


def write_metrics(run_dir: str, first: dict, final: dict) -> dict:
    """clip_metrics.json: the finished model's metrics, with phase 1's beside them (`phase1`)."""
    keep = ("held_out_top1", "held_out_top5", "held_out_noto_top5", "held_out_twemoji_top5", "train_noto_top1",
            "train_twemoji_top1", "train_seconds_total", "steps", "batch", "params", "curve", "final_loss")
    out = {**final, "phase1": {k: first[k] for k in keep if k in first}}
    for k in ("train_seconds_total", "steps", "batch", "seed", "curve"):
        if k in first:
            out[k] = first[k]
    with open(os.path.join(run_dir, "clip_metrics.json"), "w") as f:
        json.dump(out, f, indent=2)
    return out
