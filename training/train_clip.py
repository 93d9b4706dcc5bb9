"""Training and evaluation of micro-CLIP on the emoji data (resumable, deterministic given a seed)."""
from __future__ import annotations

import json
import math
import os
import random

import numpy as np
import torch
import torch.nn.functional as F

import data as D
from clip_model import ClipConfig, MicroClip, count_params
from tokenizer import WordPiece, build_vocab
from loop import TrainLoop
from util import cached_json, cosine_lr, log, optimizer_step, provenance, wilson


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


def augment(rgba: torch.Tensor, g: torch.Generator, drawing: bool = False) -> torch.Tensor:
    """Geometric + colour + style augmentation on RGBA [b,4,64,64] (0..1). Hue is left alone: colour
    words ("red apple", "green apple") depend on it. `drawing` adds changes to the drawing itself
    (outlines, blur)."""
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
    if drawing:
        # drawing changes, not only placement: a dark outline around the glyph (sticker / cel style),
        # or a soft, blurred drawing (airbrush); each on some images
        ring = (F.max_pool2d(a, 5, 1, 2) - a).clamp(0, 1)
        line = (torch.rand(b, generator=g) < 0.15)[:, None, None, None]
        rgb = torch.where(line, rgb * (1 - ring) + 0.08 * ring, rgb)
        a = torch.where(line, torch.maximum(a, ring), a)
        soft = (torch.rand(b, generator=g) < 0.1)[:, None, None, None]
        rgb = torch.where(soft, F.avg_pool2d(rgb, 5, 1, 2, count_include_pad=False), rgb)
        a = torch.where(soft, F.avg_pool2d(a, 5, 1, 2, count_include_pad=False), a)
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
    """The emoji images and names. `styles`: the art styles loaded (micro-CLIP: three; the stages built on
    the shipped micro-diffusion: two). `validation`: carve the validation emoji out of `train`
    (`val`); without it `val` is empty and `train` is every non-held-out emoji."""

    def __init__(self, cache_dir: str, seed: int, limit: int | None = None,
                 styles: tuple[str, ...] = D.TWO_STYLES, validation: bool = False):
        self.emoji = D.load_emoji(styles)
        arrays = D.build_arrays(self.emoji, cache_dir, limit)
        self.rgba = torch.from_numpy(arrays["rgba"]).permute(0, 3, 1, 2).contiguous()  # uint8 [N,4,64,64]
        self.eidx, self.style, self.tone = arrays["emoji_index"], arrays["style"], arrays["tone"]
        n_emoji = int(self.eidx.max()) + 1
        self.emoji = self.emoji[:n_emoji]
        self.styles = styles
        train, held = D.split_emoji(self.emoji, seed=0)  # split fixed across seeds, so metrics compare
        self.val: list[int] = []
        if validation:
            train, self.val = D.split_validation(self.emoji, train)
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
def evaluate(model: MicroClip, tok: WordPiece, ds: ClipData, splits: tuple[str, ...] = ("train", "val")) -> dict:
    """Top-1/top-5 per art style on the emoji of `splits` ("train", "val", "held_out"), each image ranked
    against the names of *all* emoji (zero-shot for val and held_out). Base images (no skin-tone
    variants). Only the final test step asks for "held_out"."""
    model.eval()
    txt = embed_texts(model, tok, ds.names)
    res: dict = {"n_names": len(ds.names), "chance_top1": 1 / len(ds.names), "chance_top5": 5 / len(ds.names)}
    members_of = {"train": ds.train, "val": ds.val, "held_out": ds.held}
    for split in splits:
        for sname in ds.styles:
            style = D.STYLE_IDS[sname]
            idx = [(e, ds.base_image(e, style)) for e in members_of[split]]
            idx = [(e, i) for e, i in idx if i is not None]
            if not idx:
                continue
            rank = rank_of(model, txt, ds, idx)
            res[f"{split}_{sname}_top1"] = float((rank < 1).float().mean())
            res[f"{split}_{sname}_top5"] = float((rank < 5).float().mean())
            res[f"{split}_{sname}_n"] = len(idx)
        for k in ("top1", "top5"):
            vals = [res[f"{split}_{s}_{k}"] for s in ds.styles if f"{split}_{s}_{k}" in res]
            if vals:
                res[f"{split}_{k}"] = sum(vals) / len(vals)
    model.train()
    return res


@torch.no_grad()
def rank_of(model: MicroClip, txt: torch.Tensor, ds: ClipData, idx: list[tuple[int, int]]) -> torch.Tensor:
    """For (emoji, image) pairs: how many names score above the right one (0 = top-1)."""
    pix = to_pixels(ds.images([i for _, i in idx]))
    img = torch.cat([F.normalize(model.encode_image(pix[j : j + 512]), dim=-1) for j in range(0, len(pix), 512)])
    sims = img @ txt.t()
    target = torch.tensor([e for e, _ in idx])
    return (sims > sims[torch.arange(len(idx)), target][:, None]).sum(1)


def train(run_dir: str, cache_dir: str, steps: int, batch: int, seed: int, limit: int | None = None,
          lr: float = 1.5e-3, log_every: int = 50, ckpt_every: int = 250,
          on_step=None, styles: tuple[str, ...] = D.ALL_STYLES) -> tuple[MicroClip, WordPiece, ClipData, dict]:
    """Trains (or resumes) micro-CLIP on the art `styles`. `on_step(step)` is called after each step (tests
    use it to interrupt a run)."""
    torch.manual_seed(seed)
    ds = ClipData(cache_dir, seed, limit, styles=styles, validation=True)
    tok = build_tokenizer(ds)
    cfg = ClipConfig(vocab_size=len(tok.vocab))
    model = MicroClip(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.02, betas=(0.9, 0.98))
    warm = max(1, min(150, steps // 10))
    sched = lambda s: cosine_lr(s, steps, warm)
    g = torch.Generator().manual_seed(seed)
    meta = {"steps": steps, "batch": batch, "seed": seed, "limit": limit, "lr": lr, "cfg": cfg.to_dict(),
            "styles": list(ds.styles), "vocab": tok.vocab}
    loop = TrainLoop("clip", os.path.join(run_dir, "clip.ckpt"), meta, steps, state={"curve": [], "best": {}},
                     torch_rng=True, log_every=log_every, ckpt_every=ckpt_every, on_step=on_step,
                     note=lambda: f"scale {model.logit_scale.exp().item():.1f}")
    loop.restore(model=model, opt=opt, gen=g)
    curve = loop.state["curve"]
    log(f"clip: {count_params(model):,} parameters ({count_params(model.image):,} image, "
        f"{count_params(model.text):,} text), vocab {len(tok.vocab)}, {len(ds.train)} train / {len(ds.val)} validation / "
        f"{len(ds.held)} held-out emoji, styles {', '.join(ds.styles)}")
    train_emoji = np.array(ds.train)
    model.train()

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 1_000_003 + step)
        chosen = rng.sample(list(train_emoji), k=min(batch, len(train_emoji)))
        idx = [rng.choice(ds.by_emoji[int(e)]) for e in chosen]
        caps = [word_dropout(D.caption(ds.emoji[int(e)], int(ds.tone[i]), rng), rng) for e, i in zip(chosen, idx)]
        pix = augment(ds.images(idx), g, drawing=True)
        ids, mask = tok.batch(caps)
        loss = optimizer_step(opt, model, model.loss(pix, ids, mask), lr * sched(step))
        if (step + 1) % ckpt_every == 0 or step + 1 == steps:
            # The learning curve on training and validation emoji; the snapshot with the best validation
            # top-5 is the one kept (early stopping on validation; the held-out emoji are not looked at).
            m = evaluate(model, tok, ds)
            curve.append([step + 1, round(m.get("val_top5", 0.0), 4), round(m.get("train_top1", 0.0), 4)])
            log(f"clip: step {step + 1} validation top-5 {curve[-1][1]:.1%}, training top-1 {curve[-1][2]:.1%}")
            best = loop.state["best"]
            if not best or curve[-1][1] >= best["val_top5"]:
                loop.state["best"] = {"step": step + 1, "val_top5": curve[-1][1],
                                      "model": {k: v.clone() for k, v in model.state_dict().items()}}
        return loss

    loop.run(step_fn)
    best = loop.state["best"]
    if best.get("model"):
        model.load_state_dict(best["model"])
    hist = loop.hist
    metrics = evaluate(model, tok, ds)
    metrics.update({"chosen_step": best.get("step", steps), "train_seconds_this_run": round(loop.elapsed - loop.elapsed0, 1),
                    "train_seconds_total": round(loop.elapsed, 1),
                    "steps": steps, "batch": batch, "seed": seed,
                    "final_loss": float(np.mean(hist[-50:])) if hist else None, "params": count_params(model),
                    "curve": curve})
    loop.finish(best={k: v for k, v in best.items() if k != "model"})
    with open(os.path.join(run_dir, "clip_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return model, tok, ds, metrics


# ------------------------------------------------------------------------------------ phase 2
def training_words(ds: ClipData) -> set[str]:
    """Every word any training caption can contain."""
    from tokenizer import pre_tokenize

    texts = [t for i in ds.train for t in [ds.emoji[i].name] + ds.emoji[i].keywords] + list(D.TONES.values())
    return {w for t in texts for w in pre_tokenize(t)}


def lexicon_words(ds: ClipData, common: int = 0) -> list[str]:
    """The words phase 2 looks up: every word of the training emoji's names and keywords, the projector's
    film words, and (`common` > 0) WordNet's `common` most frequent words. No validation or held-out name
    contributes: the zero-shot tests then measure what a new name gets."""
    import lexicon as L
    from tokenizer import EXTRA_WORDS

    texts = [t for i in ds.train for t in [ds.emoji[i].name] + ds.emoji[i].keywords] + EXTRA_WORDS
    words = L.words_of(texts)
    if common:
        words += [w for w in L.common_words(L.WordNet(), common) if w not in set(words)]
    return words


def build_dictionary_tokenizer(ds: ClipData, lex, old: list[str]) -> WordPiece:
    """Phase 1's vocabulary (`old`) plus a whole-word token for each dictionary headword and each word the
    entries use at least three times, keeping every training caption's tokenization exactly as it was.

    Leaving out the words the captions use is not enough: WordPiece matches the longest token at the start
    of a word, so a new token "base" would turn "baseball" (phase 1: b ##a ##s …) into "base ##b …". Every
    new token that changes how some training word tokenizes is dropped, until none does."""
    from collections import Counter

    import lexicon as L
    from tokenizer import pre_tokenize

    counts: Counter[str] = Counter()
    for e in lex:
        for t in e.synonyms + e.kinds + e.definitions:
            counts.update(w for w in pre_tokenize(t) if w.isalpha())
    seen = training_words(ds)
    added = ({e.word for e in lex} | {w for w, c in counts.items() if c >= 3 and w not in L.STOP}) - seen - set(old)
    before = WordPiece(old)
    spelled = {w: before.word_ids(w) for w in seen}
    while True:
        tok = WordPiece(old + sorted(added))
        capture = {tok.vocab[i] for w in seen if tok.word_ids(w) != spelled[w] for i in tok.word_ids(w) if i >= len(old)}
        if not capture:
            return tok
        added -= capture


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
              lr: float = 2e-3, common: int = 0, log_every: int = 50, ckpt_every: int = 250,
              on_step=None) -> tuple[MicroClip, WordPiece, dict]:
    """Phase 2: vectors for words no training caption uses, learned from a dictionary.

    Phase 1 can only spell such words letter by letter, so "rooster" lands wherever its letters lead.
    Here each of them gets a token of its own, and only those new token vectors are trained — every
    weight of phase 1 stays frozen — so that a word lands where the frozen text encoder puts its
    WordNet entry ("cock chicken adult male chicken"). This is learning word vectors from definitions
    (Hill et al. 2016; Bahdanau et al. 2017). Every caption made of phase-1 tokens (every training
    caption) keeps exactly the embedding it had. No image is involved. `common`: how many of WordNet's
    frequent words join the word list. Evaluated on training and validation emoji only. Resumable from
    `clip_text-<lr>-<common>.ckpt` (one file per setting, so a sweep keeps every run)."""
    import lexicon as L

    lex = L.build_lexicon(L.WordNet(), lexicon_words(ds, common))
    new_tok = build_dictionary_tokenizer(ds, lex, tok.vocab)
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
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "common": common, "vocab": len(new_tok.vocab),
            "entries": len(lex), "base": base}
    loop = TrainLoop("clip words", text_checkpoint(run_dir, lr, common), meta, steps, log_every=log_every,
                     ckpt_every=ckpt_every, on_step=on_step)
    loop.restore(table=table, opt=opt)
    log(f"clip words: {len(lex)} dictionary entries, {len(new_tok.vocab) - n_old} new words "
        f"(vocab {n_old} -> {len(new_tok.vocab)}); every other weight frozen")
    net.eval()  # no dropout anywhere; the frozen tower behaves exactly as at inference
    scale = net.logit_scale.detach().clamp(max=math.log(100)).exp()

    def step_fn(step: int) -> float:
        rng = random.Random(seed * 7_000_003 + step)
        entries = rng.sample(lex, k=min(batch, len(lex)))
        a = F.normalize(net.encode_text(*new_tok.batch([e.word for e in entries]))[0], dim=-1)
        b = F.normalize(net.encode_text(*new_tok.batch([L.describe(e, rng) for e in entries]))[0], dim=-1)
        logits = scale * a @ b.t()
        t = torch.arange(len(entries))
        loss = (F.cross_entropy(logits, t) + F.cross_entropy(logits.t(), t)) / 2
        return optimizer_step(opt, net.text.tok, loss, lr * sched(step))

    loop.run(step_fn)
    net.requires_grad_(False)
    metrics = evaluate(net, new_tok, ds)
    net.eval()
    metrics.update({"words_seconds": round(loop.elapsed, 1), "words_steps": steps,
                    "dictionary_entries": len(lex), "new_words": len(new_tok.vocab) - n_old})
    metrics.update({"lr": lr, "common": common})
    loop.finish(vocab=new_tok.vocab, metrics=metrics)
    return net, new_tok, metrics


def fingerprint(model: MicroClip) -> str:
    """A short hash of the weights, so a later phase notices when the one before it was retrained."""
    import hashlib

    h = hashlib.sha1()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@torch.no_grad()
def test_once(run_dir: str, model: MicroClip, tok: WordPiece, ds: ClipData, known: set[str]) -> dict:
    """The held-out emoji, looked at once for the shipped model (kept in `clip_test.json`, keyed by the
    model's fingerprint, so re-running the stage or re-exporting never measures again). Zero-shot top-1
    and top-5 among all names, per art style, per category and for names whose words all appear in
    training captions (`known`) vs names with a new word, each with a 95 % Wilson interval."""
    from tokenizer import pre_tokenize

    def work() -> dict:
        model.eval()
        txt = embed_texts(model, tok, ds.names)
        rows = []  # (style, category, known words, rank)
        for sname in ds.styles:
            idx = [(e, ds.base_image(e, D.STYLE_IDS[sname])) for e in ds.held]
            idx = [(e, i) for e, i in idx if i is not None]
            for (e, _), r in zip(idx, rank_of(model, txt, ds, idx).tolist()):
                words = [w for w in pre_tokenize(ds.emoji[e].name) if w.isalnum()]
                rows.append((sname, ds.emoji[e].category, all(w in known for w in words), r))

        def rate(sel) -> dict:
            n = len(sel)
            k1, k5 = sum(r < 1 for r in sel), sum(r < 5 for r in sel)
            return {"n": n, "top1": round(k1 / n, 4) if n else 0.0, "top5": round(k5 / n, 4) if n else 0.0,
                    "top1_ci95": wilson(k1, n), "top5_ci95": wilson(k5, n)}

        out = {"emoji": len(ds.held), "all": rate([r for *_, r in rows]),
               "style": {s: rate([r for st, _, _, r in rows if st == s]) for s in ds.styles},
               "category": {c: rate([r for _, cat, _, r in rows if cat == c]) for c in sorted({row[1] for row in rows})},
               "words": {"known": rate([r for _, _, k, r in rows if k]), "new": rate([r for _, _, k, r in rows if not k])}}
        log(f"clip: TEST (once) held-out top-5 {out['all']['top5']:.1%} {out['all']['top5_ci95']}")
        return out

    return cached_json(os.path.join(run_dir, "clip_test.json"), {"model": fingerprint(model), "vocab": len(tok.vocab)}, work)


def leave_one_style_out(run_dir: str, cache_dir: str, left_out: str, steps: int, batch: int, seed: int,
                        limit: int | None = None) -> dict:
    """How well micro-CLIP's recipe carries over to a drawing style it never saw: phase 1 trained on the two
    other styles (its snapshot chosen on their validation emoji; `left_out`'s art is not loaded), then every
    emoji drawn in `left_out` ranked against all names: the training emoji (names it learned, drawn in a new
    way), the validation emoji, and the test emoji (new names and a new style: measured once, kept in
    loso.json keyed by the model's fingerprint). Phase 2 (new words from the dictionary) is left out: it
    changes only the text tower."""
    kept = tuple(s for s in D.ALL_STYLES if s != left_out)
    if len(kept) != len(D.ALL_STYLES) - 1:
        raise ValueError(f"unknown art style {left_out!r}: the styles are {', '.join(D.ALL_STYLES)}")
    sub = os.path.join(run_dir, f"loso-{left_out}")
    os.makedirs(sub, exist_ok=True)
    model, tok, ds, first = train(sub, cache_dir, steps, batch, seed, limit, styles=kept)
    full = ClipData(cache_dir, seed, limit, styles=D.ALL_STYLES, validation=True)
    if full.names != ds.names or full.held != ds.held or full.val != ds.val:
        raise ValueError("the emoji of the two-style and three-style data differ; the measure would compare other emoji")

    def work() -> dict:
        model.eval()
        txt = embed_texts(model, tok, full.names)
        out = {"trained_on": list(kept), "chosen_step": first["chosen_step"], "steps": steps,
               "train_seconds": first["train_seconds_total"], "val_top5_trained_styles": round(first.get("val_top5", 0.0), 4),
               "git_commit": provenance()["git_commit"]}  # each style is measured in its own run, perhaps at another commit
        for split, members in (("train", full.train), ("val", full.val), ("test", full.held)):
            idx = [(e, full.base_image(e, D.STYLE_IDS[left_out])) for e in members]
            idx = [(e, i) for e, i in idx if i is not None]
            rank = rank_of(model, txt, full, idx)
            n, k1, k5 = len(idx), int((rank < 1).sum()), int((rank < 5).sum())
            out[split] = {"n": n, "top1": round(k1 / n, 4) if n else 0.0, "top5": round(k5 / n, 4) if n else 0.0,
                          "top1_ci95": wilson(k1, n), "top5_ci95": wilson(k5, n)}
        log(f"clip without {left_out}: its drawings of training emoji top-5 {out['train']['top5']:.1%}, validation "
            f"{out['val']['top5']:.1%}, test (once) {out['test']['top5']:.1%} {out['test']['top5_ci95']}")
        return out

    return cached_json(os.path.join(sub, "loso.json"), {"model": fingerprint(model), "left_out": left_out}, work)


def text_checkpoint(run_dir: str, lr: float, common: int) -> str:
    return os.path.join(run_dir, f"clip_text-{lr:g}-{common}.ckpt")


def parity_mismatch(model: MicroClip, tok: WordPiece, parity: str) -> str | None:
    """What of an exported micro-CLIP's parity file (token ids, text embeddings and, where it has one, the
    image embedding, within 1e-4) this model and tokenizer do not give; None when they give all of it."""
    with open(parity) as f:
        ref = json.load(f)
    with torch.no_grad():
        for text, r in zip(ref["texts"], ref["text"]):
            ids = tok.encode(text)
            emb = model.encode_text(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))[0][0]
            if ids != r["ids"] or (emb - torch.tensor(r["text_embeds"])).abs().max() > 1e-4:
                return repr(text)
        if "image_embeds" in ref:
            img = model.encode_image(torch.tensor(ref["pixel_values"]).reshape(ref["pixel_shape"]))[0]
            if (img - torch.tensor(ref["image_embeds"])).abs().max() > 1e-4:
                return "its image embedding"
    return None


def load_exported(folder: str) -> tuple[MicroClip, WordPiece]:
    """The micro-CLIP exported in `folder`, rebuilt from its files (config, tokenizer, onnx/model.onnx):
    what a later stage is conditioned on when this machine has no clip checkpoint. It must give the
    folder's parity outputs (token ids, text and image embeddings within 1e-4); ValueError says what differs."""
    from util import state_from_onnx

    with open(os.path.join(folder, "config.json")) as f:
        cfg = dict(json.load(f)["micro_clip"]["architecture"])
    cfg["channels"] = tuple(cfg["channels"])
    model = MicroClip(ClipConfig(**cfg))
    model.load_state_dict(state_from_onnx(os.path.join(folder, "onnx", "model.onnx"), model, "m."))
    model.eval()
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        ids = json.load(f)["model"]["vocab"]
    tok = WordPiece(sorted(ids, key=ids.get))
    wrong = parity_mismatch(model, tok, os.path.join(folder, "parity.json"))
    if wrong:
        raise ValueError(f"the micro-CLIP rebuilt from {folder} does not give its parity output for {wrong}")
    return model, tok


def load_trained(run_dir: str) -> tuple[MicroClip, WordPiece]:
    """The finished micro-CLIP of a run: phase 1's checkpoint, with the phase-2 text tower chosen on
    validation (`clip_text.json`) when that phase has run on top of it. The vocabulary
    comes from the checkpoints. Raises FileNotFoundError when phase 1 has not run."""
    path = os.path.join(run_dir, "clip.ckpt")
    st = torch.load(path)
    cfg = dict(st["meta"]["cfg"])
    cfg["channels"] = tuple(cfg["channels"])
    model = MicroClip(ClipConfig(**cfg))
    model.load_state_dict(st["model"])
    tok = WordPiece(st["meta"]["vocab"])
    chosen = os.path.join(run_dir, "clip_text.json")
    if os.path.exists(chosen):
        with open(chosen) as f:
            c = json.load(f)
        path2 = text_checkpoint(run_dir, c["lr"], c["common"])
        st2 = torch.load(path2) if os.path.exists(path2) else {}
        if st2.get("done") and st2["meta"].get("base") == fingerprint(model):
            new_tok = WordPiece(st2["vocab"])
            model = _extend_text_tower(model, tok, new_tok)
            with torch.no_grad():
                model.text.tok.weight.copy_(st2["table"])
            tok = new_tok
    return model.eval(), tok


def write_metrics(run_dir: str, first: dict, final: dict, sweep: list[dict], test: dict) -> dict:
    """clip_metrics.json: the finished model's metrics (training and validation), phase 1's beside them
    (`phase1`), every phase-2 setting tried with its validation figures (`phase2_runs`), the test
    (`test`, measured once), the goals, and what made the model (git commit, torch and onnx versions)."""
    keep = ("val_top1", "val_top5", "train_top1", "train_top5", "chosen_step", "train_seconds_total", "steps", "batch",
            "params", "curve", "final_loss") + tuple(f"{sp}_{st}_top{k}" for sp in ("train", "val") for st in D.ALL_STYLES for k in (1, 5))
    out = {**final, "phase1": {k: first[k] for k in keep if k in first},
           "phase2_runs": [{k: m.get(k) for k in ("lr", "common", "new_words", "dictionary_entries", "val_top1", "val_top5", "words_seconds")}
                           for m in sweep],
           "test": test,
           "goals": {"test_top5": 0.35, "leave_one_style_out_top5": 0.35, "train_top1_per_style": 0.90},
           **provenance()}
    for k in ("train_seconds_total", "steps", "batch", "seed", "curve", "chosen_step"):
        if k in first:
            out[k] = first[k]
    with open(os.path.join(run_dir, "clip_metrics.json"), "w") as f:
        json.dump(out, f, indent=2)
    return out
