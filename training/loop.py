"""The one training loop every phase runs: resume, checkpoint, log, keep snapshots, finish.

A phase describes one step (`step_fn(step) -> loss`) and what its state is made of; `TrainLoop` does the
rest the same way for all of them:

    loop = TrainLoop("vae", path, meta, steps, error=PipelineError)
    loop.restore(model=vae, opt=opt, gen=g)          # back to the checkpoint, when it has these settings
    loop.run(lambda step: optimizer_step(...))       # logs, keeps snapshots, checkpoints, calls on_step
    loop.finish()                                    # the checkpoint marked done

Checkpoints are written atomically. One made with other settings (`meta`) is set aside with a log line and
the phase starts afresh; an unreadable one stops with a message that says what to do.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import torch

from util import atomic_torch_save, load_checkpoint, log

Loss = float | dict[str, float]


def _get(obj: Any) -> Any:
    if isinstance(obj, torch.Generator):
        return obj.get_state()
    if isinstance(obj, np.random.Generator):
        return obj.bit_generator.state
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    return obj.state_dict()  # modules and optimisers


def _set(obj: Any, state: Any) -> None:
    if isinstance(obj, torch.Generator):
        obj.set_state(state)
    elif isinstance(obj, np.random.Generator):
        obj.bit_generator.state = state
    elif isinstance(obj, torch.Tensor):
        with torch.no_grad():
            obj.copy_(state)
    else:
        obj.load_state_dict(state)


def _mean(hist: list[Loss], n: int) -> Loss:
    tail = hist[-n:]
    if tail and isinstance(tail[0], dict):
        return {k: float(np.mean([h[k] for h in tail])) for k in tail[0]}
    return float(np.mean(tail)) if tail else float("nan")


class TrainLoop:
    """One phase's training: `steps` sets the schedule, `stop` (≤ steps) where this run ends.

    - `state`: the phase's own bookkeeping (learning curve, best snapshot so far, …), saved and restored
      with the checkpoint under its own keys.
    - `keep`: the steps whose snapshot (what `snapshot()` returns) is kept in `snaps`; step 0 is the state
      before any update.
    - `torch_rng`: the global torch generator is part of the state (phases that draw from it).
    - `on_step(step)` runs after every step (tests interrupt a run with it).
    """

    def __init__(self, name: str, path: str, meta: dict, steps: int, *, stop: int | None = None,
                 keep: list[int] | tuple[int, ...] = (), snapshot: Callable[[], dict] | None = None,
                 state: dict | None = None, torch_rng: bool = False, log_every: int = 100, ckpt_every: int = 250,
                 on_step: Callable[[int], None] | None = None,
                 note: Callable[[], str] | None = None, error: type[Exception] = RuntimeError):
        self.name, self.path, self.meta, self.steps = name, path, meta, steps
        self.stop = steps if stop is None else stop
        self.keep, self.snapshot, self.torch_rng = set(keep), snapshot, torch_rng
        self.log_every, self.ckpt_every = log_every, ckpt_every
        self.on_step, self.note, self.error = on_step, note, error
        self.state = dict(state or {})
        self.parts: dict[str, Any] = {}
        self.start, self.hist, self.snaps, self.elapsed0 = 0, [], {}, 0.0
        self.ran, self._spent = False, None
        self._ckpt = load_checkpoint(path, meta, name, error)
        if self._ckpt:
            self.start, self.hist = self._ckpt.get("step", 0), self._ckpt.get("hist", [])
            self.snaps, self.elapsed0 = self._ckpt.get("snaps", {}), self._ckpt.get("elapsed", 0.0)
            for k in self.state:
                if k in self._ckpt:
                    self.state[k] = self._ckpt[k]
        self._t0 = 0.0

    @property
    def done(self) -> bool:
        """The checkpoint holds this phase finished, with these settings."""
        return bool(self._ckpt and self._ckpt.get("done"))

    @property
    def elapsed(self) -> float:
        """Training seconds over every run of this phase."""
        if not self.ran:
            return self.elapsed0
        return self.elapsed0 + (self._spent if self._spent is not None else time.time() - self._t0)

    def restore(self, **parts: Any) -> "TrainLoop":
        """Names the phase's modules, optimisers, tensors and generators, and puts back what the checkpoint
        holds of them. A finished phase's checkpoint may hold only its snapshots."""
        self.parts = parts
        if self._ckpt:
            for k, obj in parts.items():
                if k in self._ckpt:
                    _set(obj, self._ckpt[k])
                elif not self.done:
                    raise self.error(f"checkpoint {self.path} has no {k!r}; delete it to start {self.name} afresh")
            if self.torch_rng and "torch_rng" in self._ckpt:
                torch.set_rng_state(self._ckpt["torch_rng"])
            if self.start and not self.done:
                log(f"{self.name}: resuming from step {self.start}")
        return self

    def recent(self, n: int = 50) -> Loss | None:
        """The mean loss of the last `n` steps."""
        return _mean(self.hist, n) if self.hist else None

    def _take(self, done: int) -> None:
        if done in self.keep and done not in self.snaps and self.snapshot is not None:
            self.snaps[done] = self.snapshot()

    def run(self, step_fn: Callable[[int], Loss]) -> "TrainLoop":
        """Steps `start` … `stop` − 1: `step_fn(step)` makes one update and returns its loss."""
        self._t0, self.ran, self._spent = time.time(), True, None
        if self.start == 0:
            self._take(0)
        for step in range(self.start, self.stop):
            self.hist.append(step_fn(step))
            done = step + 1
            self._take(done)
            if done % self.log_every == 0 or done == self.stop:
                m = _mean(self.hist, self.log_every)
                loss = " ".join(f"{k} {v:.4f}" for k, v in m.items()) if isinstance(m, dict) else f"{m:.4f}"
                extra = f" {self.note()}" if self.note else ""
                log(f"{self.name}: step {done}/{self.stop} loss {loss}{extra} "
                    f"({(time.time() - self._t0) / (done - self.start):.2f} s/step)")
            if done % self.ckpt_every == 0 and done < self.stop:
                self.save(done)
            if self.on_step is not None:
                self.on_step(done)
        self._spent = time.time() - self._t0
        return self

    def save(self, step: int, done: bool = False, parts: bool = True, **more: Any) -> None:
        """The checkpoint at `step`: settings, loss history, snapshots, seconds, state, and (`parts`) every
        named part; `more` adds or replaces entries."""
        st: dict[str, Any] = {"meta": self.meta, "step": step, "hist": self.hist, "elapsed": self.elapsed, **self.state}
        if self.snaps or self.keep:
            st["snaps"] = self.snaps
        if parts:
            st.update({k: _get(obj) for k, obj in self.parts.items()})
            if self.torch_rng:
                st["torch_rng"] = torch.get_rng_state()
        if done:
            st["done"] = True
        st.update(more)
        atomic_torch_save(st, self.path)

    def finish(self, parts: bool = True, **more: Any) -> "TrainLoop":
        """Marks the phase done in its checkpoint (rewritten only when this run trained, or it was not yet
        marked); `parts=False` keeps only the snapshots, for phases that return those."""
        if self.start < self.stop or not self.done or more:
            self.save(self.stop, done=True, parts=parts, **more)
        return self
