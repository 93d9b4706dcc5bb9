"""micro-GAN: a small DCGAN (Radford et al. 2016) that learns to draw emoji faces from noise.

The generator turns 32 random numbers into a 32x32 picture in one pass, through transposed
convolutions (4x4 -> 8x8 -> 16x16 -> 32x32); the discriminator is the mirror image (strided
convolutions) and says "real" or "made". Both train against each other with the non-saturating
loss of Goodfellow et al. (2014). Snapshots of the generator, taken through training, ship as ONNX so
the deck can scrub through training and watch faces emerge.

Data: the face emoji of the training split only (Noto and Twemoji art), composited on the same grey
as the other models, downsampled to 32x32; random left-right flips. No held-out emoji is used.
Checkpoints make the stage resumable; snapshots are kept beside them.
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import data as D
from loop import TrainLoop
from util import MODEL_DATA, StagingDir, log, provenance, write_licences

NZ = 32
NGF = 32
NDF = 32
OPSET = 17
# Snapshot steps as fractions of the recipe's steps (0 = the untrained generator).
SNAPSHOT_FRACTIONS = [0.0, 0.01, 0.03, 0.07, 0.15, 0.3, 0.6, 1.0]


class PipelineError(RuntimeError):
    pass


class Generator(nn.Module):
    def __init__(self, nz: int = NZ, ngf: int = NGF):
        super().__init__()
        self.body = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),  # 4x4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),  # 8x8
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),  # 16x16
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1), nn.Tanh(),  # 32x32
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z[:, :, None, None])


class Discriminator(nn.Module):
    def __init__(self, ndf: int = NDF):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),  # 16x16
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),  # 8x8
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),  # 4x4
            nn.Conv2d(ndf * 4, 1, 4, 1, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten()


def _init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def face_images(cache_dir: str) -> tuple[torch.Tensor, list[str]]:
    """The training split's face emoji as RGB [-1,1] 32x32 tensors, and their names."""
    em = D.load_emoji()
    arrays = D.build_arrays(em, cache_dir)
    train, _ = D.split_emoji(em)
    keep = {i for i in train if em[i].subcategory.startswith("face-") or em[i].name.endswith(" face")}
    rows = np.nonzero(np.isin(arrays["emoji_index"], sorted(keep)))[0]
    if len(rows) == 0:
        raise PipelineError("no face emoji found in the training split; run `npm run train -- data` first")
    rgba = torch.from_numpy(arrays["rgba"][rows]).float().div(255).permute(0, 3, 1, 2)
    a = rgba[:, 3:]
    rgb = rgba[:, :3] * a + (D.BACKGROUND / 255) * (1 - a)
    rgb = F.avg_pool2d(rgb, 2)
    names = [em[int(i)].name for i in arrays["emoji_index"][rows]]
    return rgb * 2 - 1, names


def snapshot_steps(steps: int) -> list[int]:
    return sorted({round(f * steps) for f in SNAPSHOT_FRACTIONS})


def train(run_dir: str, cache_dir: str, steps: int, batch: int, seed: int, lr: float = 2e-4,
          log_every: int = 200, ckpt_every: int = 500) -> tuple[Generator, dict, torch.Tensor]:
    real, names = face_images(cache_dir)
    torch.manual_seed(seed)
    g_rng = torch.Generator().manual_seed(seed)
    G, Dn = Generator(), Discriminator()
    G.apply(_init)
    Dn.apply(_init)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(Dn.parameters(), lr=lr, betas=(0.5, 0.999))
    meta = {"steps": steps, "batch": batch, "seed": seed, "lr": lr, "nz": NZ, "ngf": NGF, "ndf": NDF, "n_images": len(real)}
    path = os.path.join(run_dir, "gan.ckpt")
    loop = TrainLoop("gan", path, meta, steps, keep=snapshot_steps(steps), state={"history": []},
                     snapshot=lambda: {k: v.clone() for k, v in G.state_dict().items()},
                     log_every=log_every, ckpt_every=ckpt_every, error=PipelineError)
    loop.restore(G=G, D=Dn, opt_g=opt_g, opt_d=opt_d, gen=g_rng)
    history = loop.state["history"]
    bce = nn.BCEWithLogitsLoss()

    def step_fn(step: int) -> dict[str, float]:
        idx = torch.randint(0, len(real), (batch,), generator=g_rng)
        x = real[idx]
        flip = torch.rand(batch, generator=g_rng) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        z = torch.randn((batch, NZ), generator=g_rng)
        fake = G(z)
        # discriminator: log D(x) + log(1 - D(G(z)))
        d_real, d_fake = Dn(x), Dn(fake.detach())
        loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # generator, non-saturating: maximise log D(G(z))
        d_gen = Dn(fake)
        loss_g = bce(d_gen, torch.ones_like(d_gen))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if not (torch.isfinite(loss_d) and torch.isfinite(loss_g)):
            raise PipelineError(f"gan: the losses became NaN at step {step}; delete {path} and lower the learning rate")
        if step % log_every == 0 or step == steps - 1:
            history.append({"step": step, "loss_d": round(float(loss_d), 4), "loss_g": round(float(loss_g), 4)})
        return {"D": float(loss_d), "G": float(loss_g)}

    loop.run(step_fn).finish()
    info = {"seconds": round(loop.elapsed, 1), "snapshots": loop.snaps, "history": history, "names": names, "meta": meta}
    return G, info, real


@torch.no_grad()
def evaluate(snaps: dict[int, dict], real: torch.Tensor, seed: int, n: int = 256) -> list[dict]:
    """Per snapshot, independent of the discriminator: the mean distance (RMS over pixels, 0..2 scale)
    of generated images to their nearest training image, and their diversity (mean pairwise RMS)."""
    z = torch.randn((n, NZ), generator=torch.Generator().manual_seed(seed + 7))
    flat_real = real.flatten(1)
    out = []
    for step, sd in sorted(snaps.items()):
        G = Generator()
        G.load_state_dict(sd)
        x = G.eval()(z).flatten(1)
        d = torch.cdist(x, flat_real) / np.sqrt(x.shape[1])
        nearest = d.min(1).values
        pair = torch.cdist(x, x) / np.sqrt(x.shape[1])
        div = pair.sum() / (n * (n - 1))
        out.append({"step": step, "nearest_train_rms": round(float(nearest.mean()), 4),
                    "diversity_rms": round(float(div), 4)})
    return out


@torch.no_grad()
def baselines(real: torch.Tensor, seed: int) -> dict:
    """Reference points for the figures above: training images to their nearest *other* training
    image, and uniform noise images to their nearest training image."""
    flat = real.flatten(1)
    d = torch.cdist(flat, flat) / np.sqrt(flat.shape[1])
    d.fill_diagonal_(float("inf"))
    noise = torch.rand((256, flat.shape[1]), generator=torch.Generator().manual_seed(seed)) * 2 - 1
    dn = torch.cdist(noise, flat) / np.sqrt(flat.shape[1])
    pair = torch.cdist(flat, flat) / np.sqrt(flat.shape[1])
    n = len(flat)
    return {"train_nearest_other_rms": round(float(d.min(1).values.mean()), 4),
            "noise_nearest_train_rms": round(float(dn.min(1).values.mean()), 4),
            "train_diversity_rms": round(float(pair.sum() / (n * (n - 1))), 4)}


def _img(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1).permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()


@torch.no_grad()
def export(info: dict, real: torch.Tensor, folder: str, train_cmd: str, seed: int) -> dict:
    import onnx
    from PIL import Image

    snaps = info["snapshots"]
    steps = info["meta"]["steps"]
    evals = evaluate(snaps, real, seed)
    metrics = {"train_seconds": info["seconds"], **info["meta"], "n_emoji": len(set(info["names"])),
               "params_generator": sum(p.numel() for p in Generator().parameters()),
               "params_discriminator": sum(p.numel() for p in Discriminator().parameters()),
               "snapshots": evals, **baselines(real, seed), "loss_history": info["history"],
               **provenance()}
    parity_z = torch.randn((2, NZ), generator=torch.Generator().manual_seed(99))
    parity = {"about": "Fixed noise and what torch's generator drew from it, per snapshot; tests check the ONNX files.",
              "z": parity_z.flatten().tolist(), "snapshots": {}}
    grid_z = torch.randn((8, NZ), generator=torch.Generator().manual_seed(3))
    cells = []
    with StagingDir(folder) as tmp:
        os.makedirs(os.path.join(tmp, "onnx"))
        for step, sd in sorted(snaps.items()):
            G = Generator()
            G.load_state_dict(sd)
            G.eval()
            name = f"generator-{step:05d}.onnx"
            path = os.path.join(tmp, "onnx", name)
            torch.onnx.export(G, (parity_z,), path, input_names=["z"], output_names=["image"],
                              dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}}, opset_version=OPSET,
                              do_constant_folding=True)
            onnx.checker.check_model(onnx.load(path))
            parity["snapshots"][str(step)] = G(parity_z).flatten().tolist()
            cells.append([_img(x) for x in G(grid_z)])
        cfg = {"model_type": "dcgan", "nz": NZ, "image_size": 32, "output_range": [-1, 1], "steps": steps,
               "snapshots": [{"step": s, "fraction": round(s / steps, 3), "file": f"onnx/generator-{s:05d}.onnx"}
                             for s in sorted(snaps)]}
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(tmp, "parity.json"), "w") as f:
            json.dump(parity, f)
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2)
        grid = np.concatenate([np.concatenate(row, 1) for row in cells], 0)
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(os.path.join(tmp, "snapshots.png"))
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(card(metrics, train_cmd))
        write_licences(tmp, MODEL_DATA["micro-gan"])
    return metrics


def card(m: dict, train_cmd: str) -> str:
    rows = "\n".join(
        f"| {s['step']:,} | {s['step'] / m['steps']:.0%} | {s['nearest_train_rms']:.3f} | {s['diversity_rms']:.3f} |"
        for s in m["snapshots"])
    size_kb = 4 * m["params_generator"] / 1024
    return f"""# micro-GAN (DCGAN generator snapshots)

Made by this project's pipeline (`training/gan.py`); the deck runs the snapshots with onnxruntime-web.
Every figure on this page is written from `metrics.json` by the pipeline.

| | |
|---|---|
| Architecture | DCGAN (Radford et al., 2016): generator of transposed convolutions 1→4→8→16→32 px with batch norm and ReLU, tanh output; discriminator of strided convolutions with LeakyReLU |
| Input | {m['nz']} numbers drawn from a standard normal distribution |
| Output | one 32×32 RGB image in [-1, 1], in **one pass** (no denoising steps) |
| Parameters | generator {m['params_generator']:,} (≈ {size_kb:.0f} KB per snapshot), discriminator {m['params_discriminator']:,} (not shipped) |
| Loss | non-saturating GAN loss (Goodfellow et al., 2014), Adam lr {m['lr']}, β₁ 0.5 |
| Training | {m['steps']:,} steps of {m['batch']} images, {m['train_seconds'] / 60:.1f} minutes on 2 CPU cores |
| Snapshots | {len(m['snapshots'])} generators, `onnx/generator-<step>.onnx`, listed in `config.json` |

## Data

The face emoji of the training split of the emoji data set (see `training/DATA.md`): {m['n_emoji']} emoji,
{m['n_images']} images in the Noto Emoji (Apache-2.0) and Twemoji (CC-BY 4.0, © Twitter, Inc. and other
contributors) styles. Changes: composited on a grey background, downsampled to 32×32, flipped left-right at
random during training. No held-out emoji is used.

## What the snapshots show

Measured on 256 samples per snapshot, with no help from the discriminator. *Nearest training RMS*: the
root-mean-square pixel difference (0 = identical, scale 0..2) between a sample and the training image
closest to it. *Diversity*: the mean RMS difference between two samples.

| step | of training | nearest training RMS | diversity RMS |
|---:|---:|---:|---:|
{rows}

References: a training image to its nearest *other* training image {m['train_nearest_other_rms']:.3f};
uniform noise to its nearest training image {m['noise_nearest_train_rms']:.3f}; diversity of the training
images {m['train_diversity_rms']:.3f}.

`snapshots.png`: eight fixed noise vectors (columns) through the snapshots (rows, top = untrained).

## Limits

- Faces only, 32×32, two art styles: it cannot be asked for anything (no text input).
- With this few images a GAN copies parts of its training art; the nearest-training figure shows how close.
- GANs can collapse onto a few outputs (mode collapse); the diversity column is there to show it.

Rebuild: `{train_cmd}` (stage `gan`). Versions: torch {m['torch']}, onnx {m['onnx']}.
"""


def run(run_dir: str, cache_dir: str, models_dir: str, recipe: dict, seed: int, train_cmd: str) -> dict:
    G, info, real = train(run_dir, cache_dir, recipe["steps"], recipe["batch"], seed)
    metrics = export(info, real, os.path.join(models_dir, "micro-gan"), train_cmd, seed)
    last = metrics["snapshots"][-1]
    log(f"gan: exported {len(metrics['snapshots'])} snapshots; final nearest-train RMS {last['nearest_train_rms']:.3f}, "
        f"diversity {last['diversity_rms']:.3f}")
    return metrics
