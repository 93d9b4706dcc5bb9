"""Emoji data set: images and captions from npm packages the project installs.

Sources (see training/DATA.md for licences and the data card):
  - emoji-datasource-google  : Noto Emoji art (Apache-2.0), names and categories (MIT metadata)
  - emoji-datasource-twitter : Twemoji art (CC-BY 4.0)
  - @iconify-json/fluent-emoji-flat : Microsoft's Fluent Emoji, flat style (MIT), SVG rendered to PNG
                               by training/fluent.mjs (micro-CLIP's third style; other stages use two)
  - emojilib                 : keywords per emoji (MIT)

Every emoji appears in two or three art styles; people emoji also in five skin tones. The split is made
per emoji (base code point sequence): all styles and skin tones of one emoji land on the same side.
Three splits: training, validation (carved out of training, for every choice) and held-out (the test).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sys
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# UTH_NODE_MODULES lets tests point the pipeline at a prepared (broken) copy of the packages.
NODE_MODULES = os.environ.get("UTH_NODE_MODULES") or os.path.join(ROOT, "node_modules")
STYLES = {"noto": "emoji-datasource-google/img/google/64", "twemoji": "emoji-datasource-twitter/img/twitter/64"}
FLUENT = "@iconify-json/fluent-emoji-flat"
STYLE_IDS = {"noto": 0, "twemoji": 1, "fluent": 2}  # the `style` array's values
TWO_STYLES = ("noto", "twemoji")
ALL_STYLES = ("noto", "twemoji", "fluent")
META = "emoji-datasource-google/emoji.json"
KEYWORDS = "emojilib/dist/emoji-en-US.json"
TONES = {
    "1F3FB": "light skin tone",
    "1F3FC": "medium-light skin tone",
    "1F3FD": "medium skin tone",
    "1F3FE": "medium-dark skin tone",
    "1F3FF": "dark skin tone",
}
# Neutral light-grey background on which the transparent emoji art is composited (RGB 0..255).
BACKGROUND = 230
HELD_OUT_FRACTION = 0.10
VALIDATION_FRACTION = 0.10  # of the training emoji


class DataError(RuntimeError):
    """A problem with the package data that a person can fix (message says how)."""


@dataclass
class Emoji:
    code: str  # unified code of the base emoji, e.g. "1F34E"
    name: str  # lower-case name, e.g. "red apple"
    category: str
    subcategory: str
    keywords: list[str]
    # (style, tone or "", image file name)
    images: list[tuple[str, str, str]] = field(default_factory=list)


def clean_name(name: str) -> str:
    name = name.lower().replace("_", " ")
    name = re.sub(r"\s+", " ", name).strip()
    return name


def _require(path: str) -> str:
    full = os.path.join(NODE_MODULES, path)
    if not os.path.exists(full):
        pkg = path.split("/")[0]
        raise DataError(
            f"missing package data: {full}\n  The training data comes from the npm package '{pkg}'. "
            f"Run `npm install` in {ROOT} first."
        )
    return full


def _char(unified: str) -> str:
    return "".join(chr(int(c, 16)) for c in unified.split("-"))


def _fluent_codes() -> set[str]:
    """The code point sequences the Fluent set draws, in emoji-datasource's spelling (upper case)."""
    with open(_require(f"{FLUENT}/chars.json"), encoding="utf-8") as f:
        return {k.upper() for k in json.load(f)}


def _fluent_key(unified: str) -> str:
    return "-".join(c for c in unified.upper().split("-") if c != "FE0F")


def load_emoji(styles: tuple[str, ...] = TWO_STYLES) -> list[Emoji]:
    """Reads the package metadata; returns one Emoji per base emoji (1,910 names), with its images in
    `styles`."""
    with open(_require(META), encoding="utf-8") as f:
        meta = json.load(f)
    kw_path = os.path.join(NODE_MODULES, KEYWORDS)
    keywords: dict[str, list[str]] = {}
    if os.path.exists(kw_path):
        with open(kw_path, encoding="utf-8") as f:
            keywords = json.load(f)
    else:
        print(f"note: {kw_path} not found; training without emojilib keywords", file=sys.stderr)
    for style in styles:
        if style != "fluent":
            _require(STYLES[style])
    fluent = _fluent_codes() if "fluent" in styles else set()

    out: list[Emoji] = []
    seen: set[str] = set()
    for e in sorted(meta, key=lambda x: x["sort_order"]):
        if e["category"] == "Component":  # bare skin-tone swatches and hair components
            continue
        name = clean_name(e["name"] or e["short_name"])
        if name in seen:
            continue
        seen.add(name)
        kws = keywords.get(_char(e["unified"])) or keywords.get(_char(e["unified"]).replace("\ufe0f", "")) or []
        kws = [clean_name(k) for k in kws if clean_name(k) and clean_name(k) != name.replace(" ", "_")]
        em = Emoji(e["unified"], name, e["category"], e["subcategory"], kws)
        for style in styles:
            if style == "fluent":
                has = lambda v: _fluent_key(v["unified"]) in fluent
                file = lambda v: v["unified"].upper() + ".png"
            else:
                has = lambda v, k=f"has_img_{'google' if style == 'noto' else 'twitter'}": v.get(k)
                file = lambda v: v["image"]
            if has(e):
                em.images.append((style, "", file(e)))
            for tone_code, var in (e.get("skin_variations") or {}).items():
                if has(var):
                    tone = ", ".join(TONES[t] for t in tone_code.split("-") if t in TONES)
                    em.images.append((style, tone, file(var)))
        out.append(em)
    return out


def split_emoji(emoji: list[Emoji], seed: int = 0) -> tuple[list[int], list[int]]:
    """Per-emoji split, stable under reordering: an emoji is held out when a hash of its name says so."""
    train, held = [], []
    for i, e in enumerate(emoji):
        h = int(hashlib.sha256(f"{seed}:{e.name}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (held if h < HELD_OUT_FRACTION else train).append(i)
    return train, held


def split_validation(emoji: list[Emoji], train: list[int]) -> tuple[list[int], list[int]]:
    """Validation emoji carved out of the training emoji by another hash of the name: every choice
    (recipe, learning rate, word list, when to stop) is made on them, so the held-out emoji stay a test
    that is looked at once."""
    fit, val = [], []
    for i in train:
        h = int(hashlib.sha256(f"validation:{emoji[i].name}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (val if h < VALIDATION_FRACTION else fit).append(i)
    return fit, val


def render_fluent(codes: list[str], cache_dir: str) -> str:
    """Renders the Fluent SVGs that are not rendered yet (training/fluent.mjs, Node and sharp); returns
    the folder of PNGs."""
    import subprocess

    out = os.path.join(cache_dir, "fluent64")
    todo = [c for c in codes if not os.path.exists(os.path.join(out, c + ".png"))]
    if todo:
        script = os.path.join(ROOT, "training", "fluent.mjs")
        try:
            subprocess.run(["node", script, NODE_MODULES, out], input="\n".join(todo), text=True, check=True,
                           capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise DataError(f"cannot render the Fluent Emoji art ({script}): {detail.strip()[:400]}") from exc
    return out


def _load_png(path: str) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("RGBA")
            if im.size != (64, 64):
                im = im.resize((64, 64), Image.LANCZOS)
            return np.asarray(im, dtype=np.uint8)
    except Exception as exc:  # corrupt or unreadable image: say which file
        raise DataError(f"cannot read image {path}: {exc}") from exc


def build_arrays(emoji: list[Emoji], cache_dir: str, limit: int | None = None) -> dict[str, np.ndarray]:
    """Loads every image as RGBA 64x64 uint8 (cached as .npz). Returns arrays:
    rgba [N,64,64,4], emoji_index [N], style [N] (STYLE_IDS), tone [N] (0 none, 1..5)."""
    os.makedirs(cache_dir, exist_ok=True)
    styles = sorted({st for e in emoji for st, _, _ in e.images}, key=lambda s: STYLE_IDS[s])
    # The name holds every style: two style sets must never share a file (a cache of Twemoji + Fluent read for
    # Noto + Fluent would train a leave-one-style-out run on the style it leaves out).
    tag = ("all" if limit is None else f"first{limit}") + "-" + "-".join(styles)
    cache = os.path.join(cache_dir, f"emoji64-{tag}.npz")
    if os.path.exists(cache):
        try:
            with np.load(cache) as z:
                return {k: z[k] for k in z.files}
        except Exception:
            print(f"note: cache {cache} is unreadable; rebuilding it", file=sys.stderr)
    rgba, idx, style, tone = [], [], [], []
    tone_ids = {"": 0, **{t: i + 1 for i, t in enumerate(TONES.values())}}
    subset = emoji if limit is None else emoji[:limit]
    fluent_dir = render_fluent([f for e in subset for st, _, f in e.images if st == "fluent"
                                for f in [f[:-4]]], cache_dir) if "fluent" in styles else ""
    for i, e in enumerate(subset):
        for st, tn, fname in e.images:
            folder = fluent_dir if st == "fluent" else os.path.join(NODE_MODULES, STYLES[st])
            rgba.append(_load_png(os.path.join(folder, fname)))
            idx.append(i)
            style.append(STYLE_IDS[st])
            tone.append(tone_ids.get(tn, 6))  # 6 = mixed tones (couples)
    arrays = {
        "rgba": np.stack(rgba),
        "emoji_index": np.asarray(idx, np.int32),
        "style": np.asarray(style, np.int8),
        "tone": np.asarray(tone, np.int8),
    }
    tmp = cache + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, cache)
    return arrays


def tone_name(tone_id: int) -> str:
    names = list(TONES.values())
    if 1 <= tone_id <= 5:
        return names[tone_id - 1]
    return "mixed skin tones" if tone_id == 6 else ""


def caption(e: Emoji, tone_id: int, rng: random.Random, train: bool = True) -> str:
    """Caption for one image. Evaluation uses the plain name; training mixes names and keywords."""
    base = e.name
    tn = tone_name(tone_id)
    if not train:
        return f"{base}, {tn}" if tn else base
    r = rng.random()
    if r < 0.6 or not e.keywords:
        text = base
    elif r < 0.85:
        kws = rng.sample(e.keywords, k=min(len(e.keywords), rng.randint(1, 2)))
        text = base + " " + " ".join(kws)
    else:
        text = " ".join(rng.sample(e.keywords, k=min(len(e.keywords), rng.randint(1, 3))))
    if tn and rng.random() < 0.8:
        text += f", {tn}"
    return text


def data_card(emoji: list[Emoji], arrays: dict[str, np.ndarray]) -> str:
    """training/DATA.md: sources, licences, counts, and what is over- or under-represented."""
    from collections import Counter

    train, held = split_emoji(emoji)
    fit, val = split_validation(emoji, train)
    cat_val = Counter(emoji[i].category for i in val)
    cat = Counter(e.category for e in emoji)
    cat_held = Counter(emoji[i].category for i in held)
    n_img = len(arrays["rgba"])
    style = Counter(int(s) for s in arrays["style"])
    tone = Counter(int(t) for t in arrays["tone"])
    toned = sum(1 for e in emoji if any(t for _, t, _ in e.images))
    flags = sum(1 for e in emoji if e.subcategory == "country-flag")
    with_kw = sum(1 for e in emoji if e.keywords)
    rows = "\n".join(f"| {c} | {n} | {n - cat_held[c] - cat_val[c]} | {cat_val[c]} | {cat_held[c]} |" for c, n in cat.most_common())
    no_fluent = Counter(e.subcategory for e in emoji if not any(st == "fluent" for st, _, _ in e.images))
    tone_rows = "\n".join(f"| {tone_name(t) or 'default (no tone / yellow)'} | {tone[t]} |" for t in sorted(tone))
    return f"""# Data card: emoji images and captions

Generated by `npm run train -- data` from the installed packages; numbers below are exact.

## Sources and licences
| what | package | licence |
|---|---|---|
| Noto Emoji art, 64×64 PNG | `emoji-datasource-google` 16.0.0 | Apache-2.0 (art by Google) |
| Twemoji art, 64×64 PNG | `emoji-datasource-twitter` 16.0.0 | CC-BY 4.0 (art © Twitter/X and contributors) — attribution required |
| Fluent Emoji art, flat style, SVG (rendered to 64×64 PNG by `training/fluent.mjs`) | `@iconify-json/fluent-emoji-flat` 1.2.6 | MIT (art © Microsoft Corporation) |
| names, categories, skin-tone variants | `emoji-datasource` metadata (Cal Henderson) | MIT |
| keywords | `emojilib` 4.0.3 (Mu-An Chiou) | MIT |

The packages' own LICENSE files (MIT) cover their code and metadata; the artwork keeps the licences above.

## What is in it
- {len(emoji)} emoji (the "Component" category — bare skin-tone swatches and hair parts — is left out),
  {n_img} images: {style[0]} Noto, {style[1]} Twemoji, {style[2]} Fluent. Fluent has no art for
  {sum(no_fluent.values())} of them ({", ".join(f"{n} {c}" for c, n in no_fluent.most_common(3))}, …). micro-CLIP trains on all three
  styles; micro-diffusion and the models built on it were trained on Noto and Twemoji. No other emoji
  artwork is used for training, validation or tuning.
- {toned} emoji come with skin-tone variants (five tones, and mixed tones for couples).
- {with_kw} emoji have emojilib keywords; captions mix the name (60 %), name + keywords, and keywords only,
  with the tone appended for tone variants.
- Images are composited on a light-grey background (RGB {BACKGROUND},{BACKGROUND},{BACKGROUND}) and
  area-downsampled to 32×32 for training.

## Split (by emoji: all styles and tones of one emoji on the same side)
{len(fit)} training emoji, {len(val)} validation emoji ({VALIDATION_FRACTION:.0%} of the training emoji, for every
choice: recipe, learning rates, word lists, when to stop) and {len(held)} held-out test emoji
({HELD_OUT_FRACTION:.0%}, measured once per shipped model), each chosen by a hash of the name, so the split is stable
whatever the order of the data. (micro-diffusion, trained before the validation split existed, used training
and validation emoji together for training.)

| category | emoji | train | validation | held out (test) |
|---|---|---|---|---|
{rows}

## Images per skin tone
| tone | images |
|---|---|
{tone_rows}

## What is over- and under-represented
- **Flags**: {flags} of {len(emoji)} emoji ({flags / len(emoji):.0%}) are country flags — more than all
  animals. A model trained on this set spends much of its capacity telling flags apart.
- **Skin tones**: tones exist only for people and hand emoji. The default yellow figure appears as often as
  each real tone, and every non-person emoji has no tone at all, so "a person" without a tone word is
  learned mostly from yellow figures.
- **Culture**: food, buildings, clothing and holidays lean Western and East Asian (the Unicode set's own
  history); many cultures appear only as a flag.
- **Gender**: many people emoji exist as man / woman / person variants, but professions were added in
  gendered pairs late, and older emoji default to one gender in their art.
- **Style**: three art styles, all flat or lightly shaded, cartoonish, front-facing, centred. The model has never seen a
  photograph: photos and other art styles are far outside its data.
- **Language**: all names and keywords are English.
"""
