"""An independent judge for micro-diffusion's pictures, and the memorisation probe's training images.

micro-diffusion is conditioned on micro-CLIP's text encoder, so micro-CLIP must not be the one that says
whether a picture shows its prompt. This judge uses no learned model at all: it compares pixels. A picture
"shows" an emoji when, among the art of all 1,905 emoji (both styles of micro-diffusion's training, base
images), the nearest picture in pixel space (RMS over the 32×32 RGB image, [0, 1]) is that emoji's. That is
a strict test (a new drawing of an apple far from both apple drawings fails) and it is exactly the
measure of memorisation: how close a sample is to a training image.

`npm run train -- judge` (only when named) reads the shipped micro-diffusion, draws
  - a 6×6 grid of 36 common training prompts (seed 1; goal: at least 32 recognisable), and 4 seeds of each
    for diversity,
  - every training name and every held-out name (one seed each),
  - the baselines: the same pictures judged against a shuffled prompt, and pictures drawn at guidance 0,
and writes the figures into micro-diffusion's metrics.json (`judge`), the grid (`judge_grid.png`), the card,
and `training-images.png` / `training-images.json`: the training art the deck's memorisation probe
searches (base images, both styles, as the model saw them).
"""
from __future__ import annotations

import json
import os
import random

import numpy as np
import torch

import data as D
from diffusion import EVAL_GUIDANCE, EVAL_STEPS, sample, seeded_noise
from train_clip import ClipData, to_pixels
from util import MODEL_DATA, log, provenance, wilson, write_licences

# Everyday emoji a presenter would type, in this order; the first 36 that are training names make the grid
# (the list was written before any picture was judged).
COMMON = ["red apple", "banana", "pizza", "hamburger", "birthday cake", "hot beverage", "grapes", "carrot",
          "cat face", "dog face", "panda face", "frog face", "pig face", "monkey face", "penguin", "spouting whale",
          "grinning face", "smiling face with heart-eyes", "face with tears of joy", "pile of poo", "ghost", "alien",
          "sun", "crescent moon", "snowman", "rainbow", "fire", "high voltage", "rocket", "automobile", "bicycle",
          "house", "castle", "movie camera", "guitar", "soccer ball", "red heart", "light bulb", "books", "umbrella",
          "t-rex", "octopus", "four leaf clover", "sunflower", "christmas tree", "crown", "gem stone", "robot face",
          "tiger face", "rabbit face", "unicorn face", "butterfly", "strawberry", "watermelon", "doughnut", "airplane"]
GRID = 36
BASELINE = 200  # prompts per split drawn again at guidance 0
TRAIN_EVERY = 3  # every third training name (about 580; the held-out names are judged all)
SEED_BASE = 1000  # prompt k of a list draws from noise seed SEED_BASE + k (the baselines use the same noise)
DIVERSITY_SEEDS = (1, 2, 3, 4)
# Validation prompts, for choices made while training (micro-diffusion's refine phase): every third training
# name starting from the second (so none the report judges), leaving out the grid's common prompts, then every
# third of those; drawn from seeds the report does not use.
VALIDATION = 150
VALIDATION_SEED_BASE = 7000


def validation_names(ds: ClipData) -> list[int]:
    common = set(COMMON)
    picks = [e for k, e in enumerate(ds.train) if k % TRAIN_EVERY == 1 and ds.names[e] not in common]
    return picks[::3][:VALIDATION]


def validation_top1(unet, vae, scale, text, ds: ClipData, x0_clip: float, steps: int = EVAL_STEPS,
                    refs: tuple | None = None, guidance: float = EVAL_GUIDANCE) -> float:
    """The share of validation prompts whose picture's nearest art (pixel space) is their own emoji's;
    `refs` is `reference(ds)` when the caller judges several snapshots."""
    ref, ref_emoji, _ = refs or reference(ds)
    train_set = set(ds.train)
    mask = np.asarray([e in train_set for e in ref_emoji])
    targets = validation_names(ds)
    pix = draw(unet, vae, scale, text, [ds.names[e] for e in targets],
               [VALIDATION_SEED_BASE + k for k in range(len(targets))], x0_clip, guidance, steps=steps)
    ranks, _, _ = emoji_ranks(pix, ref, ref_emoji, targets, len(ds.emoji), mask)
    return sum(r == 0 for r in ranks) / max(1, len(ranks))


def choose_guidance(unet, vae, scale, text, ds: ClipData, x0_clip: float, weights: list[float],
                    steps: int = EVAL_STEPS, refs: tuple | None = None) -> dict:
    """The sampler's default guidance weight, chosen on the validation prompts: the pixel judge's top-1 at each
    weight, then the lowest weight within one standard error of the best (the one-standard-error rule:
    stronger guidance narrows what different seeds give, so among weights validation cannot tell apart the
    gentlest is kept)."""
    refs = refs or reference(ds)
    n = len(validation_names(ds))
    sweep = []
    for w in sorted(weights):
        sweep.append((w, validation_top1(unet, vae, scale, text, ds, x0_clip, steps, refs, guidance=w)))
        log(f"guidance {w:g}: validation top-1 (pixel judge) {sweep[-1][1]:.1%}")
    best = max(v for _, v in sweep)
    se = (best * (1 - best) / max(1, n)) ** 0.5
    chosen = min(w for w, v in sweep if v >= best - se - 1e-9)
    return {"guidance_chosen": chosen, "guidance_sweep": [[w, round(v, 4)] for w, v in sweep],
            "guidance_validation_prompts": n, "guidance_rule": "lowest weight within one standard error of the best"}


def _write_json(path: str, obj: dict) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(path + ".tmp", path)


def run_guidance(cache_dir: str, models_dir: str, seed: int, weights: list[float], steps: int = EVAL_STEPS) -> dict:
    """Chooses the shipped micro-diffusion's default guidance weight on validation (`choose_guidance`) and
    writes it into its config.json, metrics.json, sample grid and card. Nothing is trained; the judge's figures
    are for the weight they record, so run `judge` after this."""
    from diffusion import write_card, write_grid
    from lora import shipped_base

    text, vae, unet, scale, x0_clip, _, diff_dir = shipped_base(models_dir)
    ds = ClipData(cache_dir, seed)
    res = {**choose_guidance(unet, vae, scale, text, ds, x0_clip, weights, steps),
           "guidance_git_commit": provenance()["git_commit"]}  # the code that chose it (the model's own commit is older)
    log(f"guidance: {res['guidance_chosen']:g} ({res['guidance_rule']})")
    path = os.path.join(diff_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["sampling"]["default_guidance"] = res["guidance_chosen"]
    _write_json(path, config)
    path = os.path.join(diff_dir, "metrics.json")
    with open(path) as f:
        metrics = json.load(f)
    metrics.update(res)
    _write_json(path, metrics)
    write_grid(unet, vae, scale, text, diff_dir, x0_clip, res["guidance_chosen"])
    write_card(metrics, diff_dir, metrics.get("train_cmd", "npm run train -- diffusion"), metrics["scaling_factor"])
    write_licences(diff_dir, MODEL_DATA["micro-diffusion"])
    return res


def reference(ds: ClipData) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Base images (no skin tone) of every emoji in both styles, as the model sees them: [n, 3·32·32] in
    [0, 1], the emoji index and the style of each."""
    idx, em, st = [], [], []
    for e in range(len(ds.emoji)):
        for s in (0, 1):
            i = ds.base_image(e, s)
            if i is not None:
                idx.append(i)
                em.append(e)
                st.append(s)
    pix = (to_pixels(ds.images(idx)) + 1) / 2
    return pix.flatten(1), np.asarray(em), np.asarray(st)


def emoji_ranks(pix: torch.Tensor, ref: torch.Tensor, ref_emoji: np.ndarray, targets: list[int], n_emoji: int,
                train_mask: np.ndarray) -> tuple[list[int], list[float], list[int]]:
    """For each picture: the rank of its target among all emoji (by each emoji's nearest image; 0 = the
    nearest image is the target's), its RMS distance to the nearest *training* image, and that image's row."""
    flat = ((pix + 1) / 2).clamp(0, 1).flatten(1)
    d = torch.cdist(flat, ref) / np.sqrt(ref.shape[1])  # RMS per pixel value
    per_emoji = torch.full((len(flat), n_emoji), float("inf"))
    per_emoji.scatter_reduce_(1, torch.from_numpy(ref_emoji).long().expand(len(flat), -1), d, reduce="amin")
    ranks = [(per_emoji[k] < per_emoji[k, t]).sum().item() for k, t in enumerate(targets)]
    dt = d.masked_fill(~torch.from_numpy(train_mask)[None], float("inf"))
    near = dt.min(1)
    return ranks, near.values.tolist(), near.indices.tolist()


@torch.no_grad()
def draw(unet, vae, scale, text, prompts: list[str], seeds: list[int], x0_clip: float, guidance: float = EVAL_GUIDANCE,
         batch: int = 48, steps: int = EVAL_STEPS) -> torch.Tensor:
    out = []
    for i in range(0, len(prompts), batch):
        noise = torch.cat([seeded_noise(s) for s in seeds[i:i + batch]])
        lat = sample(unet, text, prompts[i:i + batch], noise, steps=steps, guidance=guidance, x0_clip=x0_clip)
        out.append(vae.decoder(lat / scale).clamp(-1, 1))
    return torch.cat(out)


def rate(ranks: list[int], k: int) -> dict:
    hits = sum(r < k for r in ranks)
    return {"right": hits, "n": len(ranks), "rate": round(hits / len(ranks), 4) if ranks else 0.0, "ci95": wilson(hits, len(ranks))}


def write_atlas(ds: ClipData, folder: str) -> dict:
    """training-images.png: the art micro-diffusion was trained on (base images of its training emoji, both
    styles, composited and downsampled as the model saw them), 64 per row; training-images.json: the name,
    style and credit of each tile."""
    from PIL import Image

    tiles = [(e, s, ds.base_image(e, s)) for e in ds.train for s in (0, 1)]
    tiles = [(e, s, i) for e, s, i in tiles if i is not None]
    pix = ((to_pixels(ds.images([i for _, _, i in tiles])) + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    cols = 64
    rows = (len(tiles) + cols - 1) // cols
    atlas = np.full((rows * 32, cols * 32, 3), D.BACKGROUND, np.uint8)
    for k, p in enumerate(pix):
        atlas[(k // cols) * 32:(k // cols + 1) * 32, (k % cols) * 32:(k % cols + 1) * 32] = p
    Image.fromarray(atlas).save(os.path.join(folder, "training-images.png"), optimize=True)
    meta = {"about": "The art micro-diffusion was trained on: base images of its training emoji (skin-tone variants "
                     "left out), composited on grey and area-downsampled to 32 px as the model saw them; tiles of 32 px, "
                     "64 per row, in this order.",
            "tile": 32, "columns": cols,
            "styles": {"noto": "Noto Emoji (Google, Apache-2.0)",
                       "twemoji": "Twemoji (© Twitter/X and contributors, CC-BY 4.0, https://github.com/twitter/twemoji); "
                                  "modified: composited on grey and resized"},
            "images": [{"name": ds.names[e], "style": "noto" if s == 0 else "twemoji"} for e, s, _ in tiles]}
    with open(os.path.join(folder, "training-images.json"), "w") as f:
        json.dump(meta, f)
    return {"images": len(tiles)}


def write_grid(pix: torch.Tensor, prompts: list[str], ranks: list[int], path: str) -> None:
    from PIL import Image, ImageDraw

    cell = 96
    im = Image.new("RGB", (6 * cell, 6 * cell), "white")
    dr = ImageDraw.Draw(im)
    for k, p in enumerate(prompts):
        x, y = (k % 6) * cell, (k // 6) * cell
        img = ((pix[k].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
        im.paste(Image.fromarray(img).resize((64, 64), Image.NEAREST), (x + 16, y + 4))
        dr.text((x + 4, y + 70), p[:15], fill="black" if ranks[k] == 0 else "red")
    im.save(path)


def run(cache_dir: str, models_dir: str, seed: int, limit: int | None = None, steps: int = EVAL_STEPS) -> dict:
    """Judges the micro-diffusion in `models_dir` and writes into its folder. `limit` and `steps` make the
    smoke run small."""
    from diffusion import write_card
    from lora import config_guidance, shipped_base

    text, vae, unet, scale, x0_clip, _, diff_dir = shipped_base(models_dir)
    ds = ClipData(cache_dir, seed)  # micro-diffusion's data: two styles, its training / held-out split
    ref, ref_emoji, ref_style = reference(ds)
    train_set = set(ds.train)
    train_mask = np.asarray([e in train_set for e in ref_emoji])
    n = len(ds.emoji)
    names = {ds.names[e]: e for e in ds.train}
    common = [p for p in COMMON if p in names][:GRID]
    if len(common) < GRID:
        raise RuntimeError(f"only {len(common)} of the common prompts are training names")
    train_names = [ds.names[e] for e in ds.train][::TRAIN_EVERY][:limit]
    held_names = [ds.names[e] for e in ds.held][:limit]
    weight = config_guidance(diff_dir)  # the sampler's default, as the deck draws
    res: dict = {"judge": "nearest emoji art in pixel space (RMS, 32×32 RGB), among all emoji's base images in both styles",
                 "steps": steps, "guidance": weight}

    def judge(prompts, targets, guidance=weight, base=SEED_BASE):
        pix = draw(unet, vae, scale, text, prompts, [base + k for k in range(len(prompts))], x0_clip, guidance, steps=steps)
        return pix, emoji_ranks(pix, ref, ref_emoji, targets, n, train_mask)

    log(f"judge: 6×6 grid of common prompts, {len(train_names)} training and {len(held_names)} held-out names")
    pix, (ranks, dist, _) = judge(common, [names[p] for p in common], base=1)
    res["grid"] = {"prompts": common, "recognisable": sum(r == 0 for r in ranks), "n": len(common), "goal": 32,
                   "misses": [p for p, r in zip(common, ranks) if r != 0]}
    write_grid(pix, common, ranks, os.path.join(diff_dir, "judge_grid.png"))
    # diversity: 4 seeds of each common prompt; RMS between seeds vs between different training images
    div = draw(unet, vae, scale, text, [p for p in common for _ in DIVERSITY_SEEDS], [s for _ in common for s in DIVERSITY_SEEDS],
               x0_clip, weight, steps=steps)
    flat = ((div + 1) / 2).flatten(1).view(len(common), len(DIVERSITY_SEEDS), -1)
    pair = [float((torch.cdist(f, f) / np.sqrt(f.shape[1])).sum() / (len(DIVERSITY_SEEDS) * (len(DIVERSITY_SEEDS) - 1))) for f in flat]
    rng = random.Random(seed)
    tr_rows = np.flatnonzero(train_mask)
    a, b = rng.sample(list(tr_rows), 400), rng.sample(list(tr_rows), 400)
    between = [float((ref[i] - ref[j]).pow(2).mean().sqrt()) for i, j in zip(a, b) if ref_emoji[i] != ref_emoji[j]]
    res["diversity"] = {"rms_between_seeds": round(float(np.mean(pair)), 4), "rms_between_training_images": round(float(np.mean(between)), 4)}
    for label, prompts in (("train", train_names), ("held_out", held_names)):
        targets = [ds.names.index(p) for p in prompts]
        pix, (ranks, dist, _) = judge(prompts, targets)
        shuffled = targets[1:] + targets[:1]  # each picture judged against the next prompt's emoji
        sranks, _, _ = emoji_ranks(pix, ref, ref_emoji, shuffled, n, train_mask)
        m = min(len(prompts), BASELINE)  # guidance 0: the same noise, no prompt at all
        _, (granks, _, _) = judge(prompts[:m], targets[:m], guidance=0.0)
        res[label] = {"top1": rate(ranks, 1), "top5": rate(ranks, 5),
                      "shuffled_prompt": {"top1": rate(sranks, 1), "top5": rate(sranks, 5)},
                      "guidance_0": {"top1": rate(granks, 1), "top5": rate(granks, 5)},
                      "nearest_training_rms": {q: round(float(np.quantile(dist, v)), 4) for q, v in (("p10", 0.1), ("median", 0.5), ("p90", 0.9))}}
        log(f"judge: {label} top-1 {res[label]['top1']['rate']:.1%} top-5 {res[label]['top5']['rate']:.1%} "
            f"(shuffled {res[label]['shuffled_prompt']['top1']['rate']:.1%}, guidance 0 {res[label]['guidance_0']['top1']['rate']:.1%})")
    res["atlas"] = write_atlas(ds, diff_dir)
    path = os.path.join(diff_dir, "metrics.json")
    with open(path) as f:
        metrics = json.load(f)
    metrics["judge"] = res
    _write_json(path, metrics)
    write_card(metrics, diff_dir, metrics.get("train_cmd", "npm run train -- diffusion"), metrics["scaling_factor"])
    write_licences(diff_dir, MODEL_DATA["micro-diffusion"])  # the card is written whole again, so its licence part too
    return res
