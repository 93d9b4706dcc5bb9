"""micro latent diffusion, built the way Stable Diffusion is built (Rombach et al. 2022, "High-Resolution
Image Synthesis with Latent Diffusion Models"), only small:

- an autoencoder (a VAE with a tiny KL weight, as SD's) that turns a 32×32×3 image into an 8×8×4 latent
  and back — 12 times fewer numbers, the same ratio idea as SD's 512×512×3 → 64×64×4 (48 times);
- a UNet that predicts the noise ε in a noisy latent, told the step t (sinusoidal embedding) and the
  prompt: cross-attention over the frozen micro-CLIP text encoder's token states, and the pooled CLIP text
  embedding added to the time embedding (as SDXL does).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


def norm(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(16, c // 4), c)


# ---------------------------------------------------------------------------------------------- VAE
@dataclass
class VaeConfig:
    channels: tuple = (32, 64, 128)
    latent_channels: int = 4

    def to_dict(self) -> dict:
        return {"channels": list(self.channels), "latent_channels": self.latent_channels}


class Res(nn.Module):
    """Residual block; with `emb_dim` the embedding sets a per-channel scale and shift (FiLM)."""

    def __init__(self, cin: int, cout: int, emb_dim: int = 0):
        super().__init__()
        self.n1, self.c1 = norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.n2, self.c2 = norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout) if emb_dim else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb=None):
        h = self.c1(F.silu(self.n1(x)))
        h = self.n2(h)
        if self.emb is not None:
            scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
            h = h * (1 + scale) + shift
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class Encoder(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        c = cfg.channels
        layers: list[nn.Module] = [nn.Conv2d(3, c[0], 3, padding=1), Res(c[0], c[0])]
        for a, b in zip(c[:-1], c[1:]):
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1), Res(b, b)]
        layers += [norm(c[-1]), nn.SiLU(), nn.Conv2d(c[-1], 2 * cfg.latent_channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        mean, logvar = self.body(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30, 20)


class Decoder(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        c = cfg.channels[::-1]
        layers: list[nn.Module] = [nn.Conv2d(cfg.latent_channels, c[0], 3, padding=1), Res(c[0], c[0])]
        for a, b in zip(c[:-1], c[1:]):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(a, b, 3, padding=1), Res(b, b)]
        layers += [norm(c[-1]), nn.SiLU(), nn.Conv2d(c[-1], 3, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(z)


class Vae(nn.Module):
    def __init__(self, cfg: VaeConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder, self.decoder = Encoder(cfg), Decoder(cfg)

    def loss(self, x, g: torch.Generator | None = None, kl_weight: float = 1e-6):
        mean, logvar = self.encoder(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
        rec = self.decoder(z)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=(1, 2, 3)).mean()
        return F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x) + kl_weight * kl


# --------------------------------------------------------------------------------------------- UNet
@dataclass
class UNetConfig:
    latent_channels: int = 4
    channels: tuple = (64, 112)
    emb_dim: int = 256
    context_dim: int = 128  # micro-CLIP text width
    pooled_dim: int = 128  # micro-CLIP projection
    heads: int = 4
    ff_mult: int = 2
    top_attention: bool = True  # transformer blocks at the full resolution too (False: only at the half)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        if self.top_attention:
            del d["top_attention"]  # the image model's settings read as they always have
        return d


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the step t (float tensor [b]), as in the Transformer and DDPM."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class MHA(nn.Module):
    """Multi-head attention written out (clean ONNX export); `mask` [b, m] marks real keys with 1."""

    def __init__(self, dim: int, ctx_dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(ctx_dim, dim, bias=False)
        self.v = nn.Linear(ctx_dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx, mask=None):
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.k(ctx).reshape(b, -1, h, d // h).transpose(1, 2)
        v = self.v(ctx).reshape(b, -1, h, d // h).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        if mask is not None:
            s = s + (1.0 - mask[:, None, None, :].to(s.dtype)) * -1e9
        y = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        return self.out(y)


class SpatialTransformer(nn.Module):
    """SD's transformer block on the feature map: self-attention, cross-attention to the prompt, MLP."""

    def __init__(self, c: int, cfg: UNetConfig):
        super().__init__()
        self.norm = norm(c)
        self.proj_in = nn.Linear(c, c)
        self.ln1, self.self_attn = nn.LayerNorm(c), MHA(c, c, cfg.heads)
        self.ln2, self.cross_attn = nn.LayerNorm(c), MHA(c, cfg.context_dim, cfg.heads)
        self.ln3 = nn.LayerNorm(c)
        self.ff = nn.Sequential(nn.Linear(c, c * cfg.ff_mult), nn.GELU(), nn.Linear(c * cfg.ff_mult, c))
        self.proj_out = nn.Linear(c, c)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x, ctx, mask):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x).reshape(b, c, hh * ww).transpose(1, 2))
        y = self.ln1(h)
        h = h + self.self_attn(y, y)
        h = h + self.cross_attn(self.ln2(h), ctx, mask)
        h = h + self.ff(self.ln3(h))
        h = self.proj_out(h).transpose(1, 2).reshape(b, c, hh, ww)
        return x + h


class NoAttention(nn.Module):
    """Stands in for a transformer block where a design has none (the feature map passes unchanged)."""

    def forward(self, x, ctx, mask):
        return x


class UNet(nn.Module):
    """8×8 latent → two resolutions (8×8 with c0 channels, 4×4 with c1), attention at both."""

    def __init__(self, cfg: UNetConfig):
        super().__init__()
        self.cfg = cfg
        c0, c1 = cfg.channels
        e = cfg.emb_dim
        self.time = nn.Sequential(nn.Linear(c0, e), nn.SiLU(), nn.Linear(e, e))
        self.pooled = nn.Linear(cfg.pooled_dim, e)
        self.conv_in = nn.Conv2d(cfg.latent_channels, c0, 3, padding=1)
        self.d0 = Res(c0, c0, e)
        self.a0 = SpatialTransformer(c0, cfg) if cfg.top_attention else NoAttention()
        self.down = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1a, self.a1a = Res(c0, c1, e), SpatialTransformer(c1, cfg)
        self.d1b, self.a1b = Res(c1, c1, e), SpatialTransformer(c1, cfg)
        self.m1, self.ma, self.m2 = Res(c1, c1, e), SpatialTransformer(c1, cfg), Res(c1, c1, e)
        self.u1a, self.ua1a = Res(2 * c1, c1, e), SpatialTransformer(c1, cfg)
        self.u1b, self.ua1b = Res(c1 + c0, c1, e), SpatialTransformer(c1, cfg)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c1, c0, 3, padding=1))
        self.u0a, self.ua0a = Res(2 * c0, c0, e), SpatialTransformer(c0, cfg) if cfg.top_attention else NoAttention()
        self.u0b = Res(2 * c0, c0, e)
        self.out = nn.Sequential(norm(c0), nn.SiLU(), nn.Conv2d(c0, cfg.latent_channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, sample, timestep, context, mask, pooled):
        emb = self.time(timestep_embedding(timestep, self.cfg.channels[0])) + self.pooled(pooled)
        h0 = self.conv_in(sample)  # 8×8, c0
        h1 = self.a0(self.d0(h0, emb), context, mask)  # 8×8, c0
        h2 = self.down(h1)  # 4×4, c0
        h3 = self.a1a(self.d1a(h2, emb), context, mask)  # 4×4, c1
        h4 = self.a1b(self.d1b(h3, emb), context, mask)
        h = self.m2(self.ma(self.m1(h4, emb), context, mask), emb)
        h = self.ua1a(self.u1a(torch.cat([h, h4], 1), emb), context, mask)
        h = self.ua1b(self.u1b(torch.cat([h, h2], 1), emb), context, mask)
        h = self.up(h)  # 8×8, c0
        h = self.ua0a(self.u0a(torch.cat([h, h1], 1), emb), context, mask)
        h = self.u0b(torch.cat([h, h0], 1), emb)
        return self.out(h)


# ----------------------------------------------------------------------------------------- schedule
def cosine_alpha_bar(T: int = 1000, s: float = 0.008) -> torch.Tensor:
    """ᾱ_0 … ᾱ_T of Nichol & Dhariwal's cosine schedule, β clipped at 0.999 — the same numbers as
    demos/diffusion/schedule.ts computes (index 0 is the clean image)."""
    f = lambda t: math.cos(((t / T + s) / (1 + s)) * math.pi / 2) ** 2
    ab = [1.0]
    for t in range(1, T + 1):
        beta = min(1 - f(t) / f(t - 1), 0.999)
        ab.append(ab[-1] * (1 - beta))
    return torch.tensor(ab, dtype=torch.float64)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
