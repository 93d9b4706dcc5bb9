"""micro-CLIP: a small conv image encoder and a small transformer text encoder, each with a linear
projection into a shared 128-d space, trained with CLIP's symmetric contrastive loss and a learned
temperature (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language Supervision").
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ClipConfig:
    vocab_size: int = 5400
    max_len: int = 32
    text_width: int = 128
    text_layers: int = 2
    text_heads: int = 4
    text_ff: int = 384
    image_size: int = 32
    channels: tuple = (32, 64, 128, 192)
    embed_dim: int = 128

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(8, c), nn.Conv2d(c, c, 3, padding=1)
        self.n2, self.c2 = nn.GroupNorm(8, c), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.c1(F.gelu(self.n1(x)))
        h = self.c2(F.gelu(self.n2(h)))
        return x + h


class ImageEncoder(nn.Module):
    """32x32 RGB in [-1, 1] -> feature vector. Conv stem, then three stride-2 stages."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        c = cfg.channels
        layers: list[nn.Module] = [nn.Conv2d(3, c[0], 3, padding=1), ResBlock(c[0])]
        for a, b in zip(c[:-1], c[1:]):
            layers += [nn.GroupNorm(8, a), nn.GELU(), nn.Conv2d(a, b, 3, stride=2, padding=1)]
            if b != c[-1]:
                layers.append(ResBlock(b))
        layers += [nn.GroupNorm(8, c[-1]), nn.GELU()]
        self.body = nn.Sequential(*layers)
        self.norm = nn.LayerNorm(c[-1])
        self.width = c[-1]

    def forward(self, x):
        h = self.body(x).mean(dim=(2, 3))
        return self.norm(h)


class Attention(nn.Module):
    """Multi-head self-attention written out (exports cleanly to ONNX opset 14 with a padding mask)."""

    def __init__(self, width: int, heads: int, causal: bool = False):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, key_mask=None, return_weights: bool = False):
        b, n, w = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(w // self.heads)
        if key_mask is not None:  # [b, n] with 1 = real token
            scores = scores + (1.0 - key_mask[:, None, None, :].to(scores.dtype)) * -1e9
        if self.causal:
            future = torch.ones(n, n, device=x.device).triu(1)
            scores = scores + future * -1e9
        weights = scores.softmax(dim=-1)
        y = (weights @ v).transpose(1, 2).reshape(b, n, w)
        y = self.out(y)
        return (y, weights) if return_weights else y


class Block(nn.Module):
    def __init__(self, width: int, heads: int, ff: int, causal: bool = False):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(width), Attention(width, heads, causal)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, ff), nn.GELU(), nn.Linear(ff, width))

    def forward(self, x, key_mask=None):
        x = x + self.attn(self.ln1(x), key_mask)
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.tok = nn.Embedding(cfg.vocab_size, cfg.text_width)
        nn.init.normal_(self.tok.weight, std=0.02)  # as CLIP and GPT-2: rare tokens start near zero
        self.pos = nn.Parameter(torch.randn(cfg.max_len, cfg.text_width) * 0.01)
        self.blocks = nn.ModuleList(Block(cfg.text_width, cfg.text_heads, cfg.text_ff) for _ in range(cfg.text_layers))
        self.norm = nn.LayerNorm(cfg.text_width)

    def forward(self, ids, mask):
        """Returns (token states [b, n, w], pooled [b, w]): pooled is the mean over real tokens."""
        n = ids.shape[1]
        x = self.tok(ids) + self.pos[:n]
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.norm(x)
        m = mask.to(x.dtype)[..., None]
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
        return x, pooled


class MicroClip(nn.Module):
    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.cfg = cfg
        self.image = ImageEncoder(cfg)
        self.text = TextEncoder(cfg)
        self.image_proj = nn.Linear(self.image.width, cfg.embed_dim, bias=False)
        self.text_proj = nn.Linear(cfg.text_width, cfg.embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, pixels):
        return self.image_proj(self.image(pixels))

    def encode_text(self, ids, mask):
        states, pooled = self.text(ids, mask)
        return self.text_proj(pooled), states

    def loss(self, pixels, ids, mask):
        img = F.normalize(self.encode_image(pixels), dim=-1)
        txt = F.normalize(self.encode_text(ids, mask)[0], dim=-1)
        scale = self.logit_scale.clamp(max=math.log(100)).exp()
        logits = scale * img @ txt.t()
        target = torch.arange(len(img), device=img.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
