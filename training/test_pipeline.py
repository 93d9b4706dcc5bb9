"""Tests of the training pipeline's robustness (run by tests/unit/training.test.ts when PyTorch is
present): bad package data, atomic model folders, and resuming an interrupted run exactly."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def run_pipeline(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, os.path.join(HERE, "pipeline.py"), *args], capture_output=True, text=True, env=e, timeout=600)


class BadData(unittest.TestCase):
    def test_missing_packages_say_what_to_do(self):
        with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as cache:
            r = run_pipeline("data", env={"UTH_NODE_MODULES": empty, "UTH_CACHE_DIR": cache})
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("missing package data", r.stderr)
        self.assertIn("npm install", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_corrupt_image_is_named(self):
        import data as D

        src = os.path.join(ROOT, "node_modules")
        with tempfile.TemporaryDirectory() as nm, tempfile.TemporaryDirectory() as cache:
            for pkg in ("emoji-datasource-google", "emoji-datasource-twitter"):
                os.makedirs(os.path.join(nm, pkg))
                os.symlink(os.path.join(src, pkg, "emoji.json"), os.path.join(nm, pkg, "emoji.json"))
            for style, rel in D.STYLES.items():
                os.makedirs(os.path.join(nm, rel))
                for f in os.listdir(os.path.join(src, rel)):
                    os.symlink(os.path.join(src, rel, f), os.path.join(nm, rel, f))
            bad = os.path.join(nm, D.STYLES["noto"], "1f34e.png")  # red apple
            os.remove(bad)
            with open(bad, "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n this is not a picture")
            r = run_pipeline("data", env={"UTH_NODE_MODULES": nm, "UTH_CACHE_DIR": cache})
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("cannot read image", r.stderr)
            self.assertIn("1f34e.png", r.stderr)
            self.assertEqual([f for f in os.listdir(cache) if f.endswith(".npz")], [], "no half-written cache")


class AtomicExport(unittest.TestCase):
    def test_failed_export_leaves_the_old_folder(self):
        from util import StagingDir

        with tempfile.TemporaryDirectory() as d:
            final = os.path.join(d, "micro-clip")
            os.makedirs(final)
            with open(os.path.join(final, "config.json"), "w") as f:
                f.write("old")
            with self.assertRaises(RuntimeError):
                with StagingDir(final) as tmp:
                    with open(os.path.join(tmp, "config.json"), "w") as f:
                        f.write("new, half written")
                    raise RuntimeError("export failed")
            self.assertEqual(open(os.path.join(final, "config.json")).read(), "old")
            self.assertEqual(sorted(os.listdir(d)), ["micro-clip"])
            with StagingDir(final) as tmp:
                with open(os.path.join(tmp, "config.json"), "w") as f:
                    f.write("new")
            self.assertEqual(open(os.path.join(final, "config.json")).read(), "new")
            self.assertEqual(sorted(os.listdir(d)), ["micro-clip"])


class Resume(unittest.TestCase):
    def test_interrupted_run_resumes_to_the_same_weights(self):
        import torch

        from train_clip import train

        torch.set_num_threads(1)
        kw = dict(steps=6, batch=8, seed=7, limit=60, log_every=100, ckpt_every=2)
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ref, *_ = train(a, cache, **kw)

            def stop(step):
                if step == 3:
                    raise KeyboardInterrupt

            with self.assertRaises(KeyboardInterrupt):
                train(b, cache, on_step=stop, **kw)
            self.assertEqual(torch.load(os.path.join(b, "clip.ckpt"))["step"], 2)
            resumed, *_ = train(b, cache, **kw)
            for (k, v), (_, w) in zip(ref.state_dict().items(), resumed.state_dict().items()):
                self.assertTrue(torch.equal(v, w), k)
            # the learning curve survives the interruption: one point per checkpoint (steps 2 and 4)
            self.assertEqual([p[0] for p in torch.load(os.path.join(b, "clip.ckpt"))["curve"]], [2, 4])


if __name__ == "__main__":
    unittest.main()
