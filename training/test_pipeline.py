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
            os.symlink(os.path.join(src, "@iconify-json"), os.path.join(nm, "@iconify-json"))  # Fluent, intact
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


class CardLicences(unittest.TestCase):
    def test_the_data_licences_part_is_replaced_not_repeated(self):
        from util import LICENCES, write_licences

        with tempfile.TemporaryDirectory() as d:
            card = os.path.join(d, "README.md")
            with open(card, "w") as f:
                f.write("# m\n\n## Licence\nWeights: MIT. Text: old words.\n\n## Limits\nsmall.\n")
            write_licences(d, ["noto"])
            write_licences(d, ["noto", "twemoji"])
            with open(card) as f:
                text = f.read()
            self.assertNotIn("old words", text)
            self.assertEqual(text.count("## Data licences"), 1)
            self.assertIn(LICENCES["twemoji"], text)
            self.assertIn("## Limits\nsmall.", text)


class OneTrainingLoop(unittest.TestCase):
    """TrainLoop, the loop every phase runs: an interrupted run resumes to the very weights, losses and
    snapshots of an uninterrupted one; a finished phase is not trained again; a checkpoint from other
    settings is set aside, and an unreadable one stops with a message."""

    @staticmethod
    def phase(path, meta=None, on_step=None, steps=7):
        import torch

        from loop import TrainLoop
        from util import optimizer_step

        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        g = torch.Generator().manual_seed(1)
        calls = []
        loop = TrainLoop("toy", path, meta or {"lr": 0.05}, steps, keep=[0, 3, steps], ckpt_every=2, on_step=on_step,
                         state={"seen": []}, torch_rng=True,
                         snapshot=lambda: {"w": net.weight.detach().clone()})
        loop.restore(model=net, opt=opt, gen=g)

        def step_fn(step):
            calls.append(step)
            x = torch.randn((8, 3), generator=g) + torch.randn(8, 3) * 0.01  # both generators are state
            loop.state["seen"].append(step)
            return optimizer_step(opt, net, (net(x) - x.sum(1, keepdim=True)).pow(2).mean(), 0.05)

        loop.run(step_fn).finish()
        return net, loop, calls

    def test_resume_finish_and_bad_checkpoints(self):
        import torch

        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.ckpt"), os.path.join(d, "b.ckpt")
            ref, ref_loop, _ = self.phase(a)

            def stop(step):
                if step == 5:
                    raise KeyboardInterrupt

            with self.assertRaises(KeyboardInterrupt):
                self.phase(b, on_step=stop)
            self.assertEqual(torch.load(b)["step"], 4)
            net, loop, calls = self.phase(b)
            self.assertEqual(calls, [4, 5, 6])
            self.assertTrue(torch.equal(ref.weight, net.weight))
            self.assertEqual(loop.hist, ref_loop.hist)
            self.assertEqual(loop.state["seen"], list(range(7)))
            self.assertEqual(sorted(loop.snaps), [0, 3, 7])
            for k in (0, 3, 7):
                self.assertTrue(torch.equal(loop.snaps[k]["w"], ref_loop.snaps[k]["w"]), k)
            self.assertFalse(torch.equal(loop.snaps[0]["w"], loop.snaps[7]["w"]))
            self.assertTrue(torch.load(b)["done"])
            # finished: nothing is trained again, and the weights come back
            net, loop, calls = self.phase(b)
            self.assertEqual(calls, [])
            self.assertTrue(torch.equal(ref.weight, net.weight))
            # other settings: set aside, trained afresh
            _, _, calls = self.phase(b, meta={"lr": 0.1})
            self.assertEqual(calls, list(range(7)))
            # a half-written checkpoint: a message naming the file and what to do
            with open(b, "rb") as f:
                head = f.read(200)
            with open(b, "wb") as f:
                f.write(head)
            with self.assertRaisesRegex(RuntimeError, r"b\.ckpt is unreadable .*delete it"):
                self.phase(b)


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
            # the learning curve survives the interruption: one point per checkpoint and at the end
            st = torch.load(os.path.join(b, "clip.ckpt"))
            self.assertEqual([p[0] for p in st["curve"]], [2, 4, 6])
            # the kept snapshot is the one with the best validation top-5
            self.assertEqual(st["best"]["val_top5"], max(p[1] for p in st["curve"]))


class ResumeGptAndDiffusion(unittest.TestCase):
    """An interrupted micro-GPT or micro-diffusion UNet run resumes to the very weights of an uninterrupted
    one; a UNet checkpoint made on another text encoder stops the run with a message."""

    @staticmethod
    def stop_at(n):
        def stop(step, *_):
            if step == n:
                raise KeyboardInterrupt
        return stop

    def test_gpt_resumes_exactly(self):
        import torch

        import gpt as G

        torch.set_num_threads(1)
        kw = dict(steps=5, batch=5, seed=3, log_every=100, ckpt_every=2, limit_chapters=4)
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ref, *_ = G.train(a, **kw)
            with self.assertRaises(KeyboardInterrupt):
                G.train(b, on_step=self.stop_at(3), **kw)
            self.assertEqual(torch.load(os.path.join(b, "gpt.ckpt"))["step"], 2)
            resumed, *_ = G.train(b, **kw)
            for (k, v), (_, w) in zip(ref.state_dict().items(), resumed.state_dict().items()):
                self.assertTrue(torch.equal(v, w), k)

    @staticmethod
    def tiny_diffusion(cache):
        """Tiny data, an untrained micro-CLIP and VAE: what a UNet phase needs, in seconds."""
        import torch

        from clip_model import ClipConfig, MicroClip
        from diffusion_model import Vae, VaeConfig
        from train_clip import ClipData, build_tokenizer

        torch.set_num_threads(1)
        torch.manual_seed(0)
        ds = ClipData(cache, 1, limit=40)
        tok = build_tokenizer(ds)
        clip = MicroClip(ClipConfig(vocab_size=len(tok.vocab))).eval().requires_grad_(False)
        return ds, tok, clip, Vae(VaeConfig()).eval().requires_grad_(False)

    def test_unet_refine_continues_the_first_phase_resumes_exactly_and_is_chosen_on_validation(self):
        import torch

        import diffusion as DF
        import judge as J

        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ds, tok, clip, vae = self.tiny_diffusion(cache)
            kw = dict(steps=3, batch=4, seed=3, log_every=100, ckpt_every=2)
            refine = [{"steps": 4, "lr": 4e-4, "keep": [2, 4]}, {"steps": 3, "lr": 2e-4, "keep": [3]}]
            with self.assertRaises(DF.PipelineError) as err:  # no first phase yet
                DF.train_unet(a, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, **kw)
            self.assertIn("is missing", str(err.exception))
            for d in (a, b):
                base, _ = DF.train_unet(d, ds, vae, 1.0, DF.TextCache(clip, tok), **kw)
            ref, m = DF.train_unet(a, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, **kw)
            self.assertEqual(sorted(m["refine_snaps"]), [0, 2, 4, 7])  # numbered over both refine phases
            for k, v in base.state_dict().items():  # step 0 is the first phase's end
                self.assertTrue(torch.equal(v, m["refine_snaps"][0][k]), k)
            self.assertFalse(all(torch.equal(v, ref.state_dict()[k]) for k, v in base.state_dict().items()))
            with self.assertRaises(KeyboardInterrupt):
                DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, on_step=self.stop_at(3), **kw)
            with self.assertRaises(KeyboardInterrupt):  # the second refine phase, interrupted too
                DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, on_step=self.stop_at(2), **kw)
            resumed, mb = DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, **kw)
            for (k, v), (_, w) in zip(ref.state_dict().items(), resumed.state_dict().items()):
                self.assertTrue(torch.equal(v, w), k)
            chosen, mc = DF.choose_refined(resumed, mb["refine_snaps"], vae, 1.0, DF.TextCache(clip, tok), ds, 5.0, steps=2)
            self.assertEqual([c[0] for c in mc["refine_curve"]], [0, 2, 4, 7])
            # the second phase starts where the first ended: a one-phase run's last snapshot is its step 0
            one, m1 = DF.train_unet(a, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine[:1], **kw)
            for k, v in m1["refine_snaps"][4].items():
                self.assertTrue(torch.equal(v, m["refine_snaps"][4][k]), k)
            self.assertEqual(m["refine_phases"], [{"steps": 4, "lr": 4e-4}, {"steps": 3, "lr": 2e-4}])
            self.assertIn("2 refine phases", DF.refine_text({**m, **mc, "refine_validation_prompts": 150}))
            for k, v in chosen.state_dict().items():
                self.assertTrue(torch.equal(v, mb["refine_snaps"][mc["refine_chosen_step"]][k]), k)
            names = J.validation_names(ds)
            self.assertTrue(names)
            reported = set([e for e in ds.train][::J.TRAIN_EVERY]) | {e for e in ds.train if ds.names[e] in J.COMMON}
            self.assertFalse(set(names) & reported)  # validation prompts are none the judge reports on
            with torch.no_grad():
                clip.text_proj.weight.add_(0.01)  # another text encoder: the first phase's checkpoint refuses it
            with self.assertRaises(DF.PipelineError):
                DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), refine=refine, **kw)

    def test_the_default_guidance_is_the_gentlest_validation_cannot_tell_from_the_best(self):
        from unittest import mock

        import diffusion as DF
        import judge as J

        ds = mock.Mock()
        with mock.patch.object(J, "validation_names", return_value=list(range(150))), \
                mock.patch.object(J, "reference", return_value=None):
            def sweep(scores: dict) -> dict:
                with mock.patch.object(J, "validation_top1", side_effect=lambda *a, guidance, **k: scores[guidance]):
                    return J.choose_guidance(None, None, 1.0, None, ds, 4.0, list(scores))
            # best 0.90 at 8 and 10; one standard error is 0.0245, so 6 (0.8667) is out and 8 is kept
            r = sweep({12.0: 0.8933, 2.0: 0.78, 4.0: 0.8333, 6.0: 0.8667, 8.0: 0.9, 10.0: 0.9})
            self.assertEqual(r["guidance_chosen"], 8.0)
            self.assertEqual([w for w, _ in r["guidance_sweep"]], [2.0, 4.0, 6.0, 8.0, 10.0, 12.0])
            self.assertEqual(r["guidance_validation_prompts"], 150)
            # a lower weight within one standard error of the best wins over the best itself
            self.assertEqual(sweep({4.0: 0.88, 6.0: 0.9067, 10.0: 0.9133})["guidance_chosen"], 6.0)
            self.assertEqual(sweep({3.0: 0.5, 5.0: 0.7})["guidance_chosen"], 5.0)
        text = DF.guidance_text(r)
        self.assertIn("**8**", text)
        self.assertIn("8: 90.0 %", text)
        self.assertIn("not chosen on validation", DF.guidance_text({}))

    def test_unet_resumes_exactly_and_refuses_another_text_encoder(self):
        import torch

        import diffusion as DF

        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            ds, tok, clip, vae = self.tiny_diffusion(cache)
            kw = dict(steps=5, batch=4, seed=3, log_every=100, ckpt_every=2)
            ref, _ = DF.train_unet(a, ds, vae, 1.0, DF.TextCache(clip, tok), **kw)
            with self.assertRaises(KeyboardInterrupt):
                DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), on_step=self.stop_at(3), **kw)
            resumed, _ = DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), **kw)
            for (k, v), (_, w) in zip(ref.state_dict().items(), resumed.state_dict().items()):
                self.assertTrue(torch.equal(v, w), k)
            with torch.no_grad():
                clip.text_proj.weight.add_(0.01)  # another text encoder
            with self.assertRaises(DF.PipelineError) as err:
                DF.train_unet(b, ds, vae, 1.0, DF.TextCache(clip, tok), **kw)
            self.assertIn("was trained on text encoder", str(err.exception))

    def test_a_warm_start_begins_at_its_weights_and_is_recorded(self):
        import torch

        import diffusion as DF

        with self.assertRaises(DF.PipelineError) as err:
            DF.load_init("training/init/no-such-model")
        self.assertIn("has no onnx/unet.onnx", str(err.exception))
        vae, m, (weights, sha) = DF.load_init("training/init/micro-diffusion-d1a5ca8")  # checked against its parity file
        self.assertEqual(m["init"]["unet_sha256"], sha)
        self.assertEqual(m["init"]["text_encoder"], "d1a5ca84f206ee10")
        self.assertGreater(m["scaling_factor"], 0)  # the autoencoder's own scale, not a new one
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as a:
            ds, tok, clip, _ = self.tiny_diffusion(cache)
            kw = dict(steps=2, batch=4, seed=3, log_every=100, ckpt_every=1)
            warm, _ = DF.train_unet(a, ds, vae, m["scaling_factor"], DF.TextCache(clip, tok), init=(weights, sha), **kw)
            # two small steps from the start: every weight is still near the one it started from
            drift = max(float((v - weights[k]).abs().max()) for k, v in warm.state_dict().items())
            self.assertLess(drift, 1e-2)
            self.assertEqual(torch.load(os.path.join(a, "unet.ckpt"))["meta"]["init_unet_sha256"], sha)
            cold, _ = DF.train_unet(a, ds, vae, m["scaling_factor"], DF.TextCache(clip, tok), **kw)  # no start: not resumed
            self.assertNotIn("init_unet_sha256", torch.load(os.path.join(a, "unet.ckpt"))["meta"])
            self.assertGreater(max(float((v - weights[k]).abs().max()) for k, v in cold.state_dict().items()), 0.1)

    def test_the_embeddings_context_widens_exports_and_rebuilds(self):
        import torch

        import diffusion as DF
        from diffusion_model import UNet, UNetConfig
        from twin import text_from_onnx

        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
            ds, tok, clip, _ = self.tiny_diffusion(cache)
            plain, both = DF.TextCache(clip, tok), DF.TextCache(clip, tok, "states+embeddings")
            ctx, mask, pooled = plain(["red apple", "cat face"])
            ctx2, mask2, pooled2 = both(["red apple", "cat face"])
            self.assertEqual(ctx2.shape[-1], 256)
            self.assertTrue(torch.equal(ctx2[..., :128], ctx) and torch.equal(mask2, mask) and torch.equal(pooled2, pooled))
            # two prompts that share a first word get different input vectors beside their states
            self.assertGreater(float((ctx2[0, :, 128:] - ctx2[1, :, 128:]).abs().max()), 0.1)
            with self.assertRaises(DF.PipelineError):
                DF.TextCache(clip, tok, "states+pixels")
            # a UNet widened to the new context computes what the old one did until it is trained
            torch.manual_seed(1)
            old = UNet(UNetConfig())
            for p in old.parameters():  # trained-looking weights (a fresh UNet's output layer is zero)
                p.data.normal_(0, 0.05)
            wide = UNet(UNetConfig(context_dim=256))
            wide.load_state_dict(DF.widen_context(old.state_dict(), wide))
            x, t = torch.randn(2, 4, 8, 8), torch.tensor([500.0, 20.0])
            with torch.no_grad():
                self.assertLess(float((old(x, t, ctx, mask, pooled) - wide(x, t, ctx2, mask2, pooled2)).abs().max()), 1e-5)
            with self.assertRaises(DF.PipelineError):
                DF.widen_context(wide.state_dict(), UNet(UNetConfig()))  # narrowing would drop what it learned
            # the exported text encoder names its context; rebuilt from its files it conditions as the cache did
            DF.write_text_encoder(out, clip, tok, "states+embeddings")
            again = text_from_onnx(out)
            self.assertEqual(again.context, "states+embeddings")
            ctx3, _, _ = again(["red apple", "cat face"])
            self.assertLess(float((ctx3 - ctx2).abs().max()), 1e-5)


class Dictionary(unittest.TestCase):
    def test_wordnet_lookups(self):
        import lexicon as L

        wn = L.WordNet()
        self.assertIn("grin", wn.base_forms("grinning", "verb"))  # doubled consonant
        self.assertEqual(wn.base_forms("roosters", "noun"), ["rooster"])
        entry = {e.word: e for e in L.build_lexicon(wn, ["rooster", "zzqx"])}
        self.assertNotIn("zzqx", entry)
        self.assertIn("chicken", " ".join(entry["rooster"].synonyms + entry["rooster"].kinds + entry["rooster"].definitions))
        with tempfile.TemporaryDirectory() as empty, self.assertRaises(L.LexiconError):
            L.WordNet(empty)

    def test_phase2_learns_new_words_only_and_resumes(self):
        import torch

        from train_clip import embed_texts, load_trained, train, training_words, tune_text

        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            model, tok, ds, _ = train(a, cache, steps=2, batch=8, seed=7, limit=60, log_every=100)
            shutil.copy(os.path.join(a, "clip.ckpt"), os.path.join(b, "clip.ckpt"))
            captions = [ds.names[i] for i in ds.train[:6]] + [ds.names[ds.train[0]] + ", dark skin tone"]
            before = embed_texts(model, tok, captions)
            net, tok2, m2 = tune_text(a, model, tok, ds, steps=4, batch=16, seed=7, ckpt_every=2)
            self.assertNotIn("held_out_top5", m2, "phase 2 is measured on validation, never on the test emoji")
            new = [w for w in tok2.vocab[len(tok.vocab):]]
            self.assertTrue(new and not set(new) & training_words(ds), "new tokens are words no training caption uses")
            self.assertEqual(tok2.vocab[: len(tok.vocab)], tok.vocab)
            self.assertTrue(torch.equal(net.text.tok.weight[: len(tok.vocab)], model.text.tok.weight))
            self.assertTrue(torch.allclose(embed_texts(net, tok2, captions), before, atol=1e-6), "phase-1 captions keep their embedding")
            moved = net.text.tok.weight[len(tok.vocab):]
            self.assertGreater(float(moved.std()), 0.0)

            def stop(step):
                if step == 3:
                    raise KeyboardInterrupt

            with self.assertRaises(KeyboardInterrupt):
                tune_text(b, model, tok, ds, steps=4, batch=16, seed=7, ckpt_every=2, on_step=stop)
            resumed, _, _ = tune_text(b, model, tok, ds, steps=4, batch=16, seed=7, ckpt_every=2)
            self.assertTrue(torch.equal(resumed.text.tok.weight, net.text.tok.weight))
            with open(os.path.join(b, "clip_text.json"), "w") as f:
                f.write('{"lr": 0.002, "common": 0}')
            loaded, tok3 = load_trained(b)  # what the diffusion stage and a re-export load
            self.assertEqual(tok3.vocab, tok2.vocab)
            self.assertTrue(torch.equal(loaded.text.tok.weight, net.text.tok.weight))


class TokenizerKeepsItsWord(unittest.TestCase):
    """New dictionary words never change how a training caption tokenizes: checked over every training
    name, keyword and tone caption, for the word lists phase 2 can choose from and for the shipped files."""

    def captions(self, em, train):
        import data as D

        out = []
        for i in train:
            e = em[i]
            out += [e.name] + e.keywords + [f"{e.name}, {t}" for t in D.TONES.values()]
        return out

    def assertKeeps(self, old, new, captions, label):
        changed = [c for c in captions if new.encode(c) != old.encode(c)]
        self.assertEqual(changed[:10], [], f"{label}: {len(changed)} training captions tokenize differently")

    def test_every_training_caption_keeps_its_tokens(self):
        import json
        import types

        import data as D
        import lexicon as L
        from tokenizer import WordPiece
        from train_clip import build_dictionary_tokenizer, build_tokenizer, lexicon_words

        em = D.load_emoji(D.ALL_STYLES)
        train, held = D.split_emoji(em)
        fit, val = D.split_validation(em, train)
        ds = types.SimpleNamespace(emoji=em, train=fit)
        old = build_tokenizer(ds)
        captions = self.captions(em, fit)
        self.assertGreater(len(captions), 10_000)
        wn = L.WordNet()
        for common in (0, 3000):
            words = lexicon_words(ds, common)
            # the same list when every validation and test emoji is renamed: no such name builds it
            blind = [D.Emoji(e.code, f"hidden {k}", e.category, e.subcategory, []) if k in set(val + held) else e
                     for k, e in enumerate(em)]
            self.assertEqual(lexicon_words(types.SimpleNamespace(emoji=blind, train=fit), common), words)
            new = build_dictionary_tokenizer(ds, L.build_lexicon(wn, words), old.vocab)
            self.assertGreater(len(new.vocab) - len(old.vocab), 1000)
            self.assertKeeps(old, new, captions, f"word list with {common} common words")
        # the shipped micro-CLIP: its vocabulary starts with phase 1's, and its additions change no training caption
        models = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
        with open(os.path.join(models, "micro-clip", "tokenizer.json"), encoding="utf-8") as f:
            shipped = WordPiece([t for t, _ in sorted(json.load(f)["model"]["vocab"].items(), key=lambda kv: kv[1])])
        self.assertEqual(shipped.vocab[: len(old.vocab)], old.vocab)
        self.assertKeeps(old, shipped, captions, "shipped micro-CLIP")
        # micro-diffusion's own text encoder: the captions its UNet was trained on (two styles, no validation
        # split then) tokenize as they did in training
        em2 = D.load_emoji()
        train2, _ = D.split_emoji(em2)
        old2 = build_tokenizer(types.SimpleNamespace(emoji=em2, train=train2))
        with open(os.path.join(models, "micro-diffusion", "text_encoder", "tokenizer.json"), encoding="utf-8") as f:
            own = WordPiece([t for t, _ in sorted(json.load(f)["model"]["vocab"].items(), key=lambda kv: kv[1])])
        self.assertEqual(own.vocab[: len(old2.vocab)], old2.vocab)
        self.assertKeeps(old2, own, self.captions(em2, train2), "micro-diffusion's text encoder")


class VideoMeasure(unittest.TestCase):
    """micro-video's clips and the measure its card's figures come from (training/video.py)."""

    def test_prompt_parsing(self):
        import video as V

        self.assertEqual(V.parse_prompt("Rocket  moving UP"), ("rocket", 3))
        self.assertEqual(V.parse_prompt("cat face spinning"), ("cat face", 7))
        self.assertEqual(V.parse_prompt("rocket flying"), ("rocket flying", 0))

    def test_measure_names_every_made_motion_and_not_its_reverse(self):
        import torch
        import video as V

        # a plain disc, so only the motion (not the picture) can tell the clips apart; a notch makes turns visible
        rgba = torch.zeros(4, 64, 64)
        yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        disc = ((xx - 32) ** 2 + (yy - 32) ** 2 < 26 ** 2) & ~((xx > 34) & (yy < 30) & (yy > 18))
        rgba[0], rgba[3] = disc.float() * 0.8, disc.float()
        for m in range(1, len(V.MOTIONS)):
            clip = V.render_clip(rgba, V.motion_path(m, V.FRAMES))
            self.assertTrue(V.judged(m, V.motion_of(clip)), V.MOTIONS[m])
            if m < 7:  # a clip played backwards moves the other way (spinning backwards turns the other way too)
                self.assertFalse(V.judged(m, V.motion_of(clip.flip(0))), V.MOTIONS[m] + " reversed")
        still = V.render_clip(rgba, V.motion_path(0, V.FRAMES))
        self.assertTrue(V.judged(0, V.motion_of(still)))
        self.assertLess(V.frame_change(still), 1e-6)
        spin = V.render_clip(rgba, V.motion_path(7, V.FRAMES))
        self.assertLess(V.motion_of(spin.flip(0))["turn"], -0.2)


    def test_clip_noise_shares_the_asked_part(self):
        import torch
        import video as V

        own = V.clip_noise(5)
        self.assertTrue(torch.equal(own, torch.randn((1, V.FRAMES, 4, 8, 8), generator=torch.Generator().manual_seed(5))))
        for rho in (0.5, 0.9):
            x = torch.cat([V.clip_noise(s, shared=rho) for s in range(40)]).flatten(2)  # [40 clips, F, 256]
            self.assertLess(abs(float(x.var()) - 1), 0.1)
            a, b = x[:, :-1].flatten(), x[:, 1:].flatten()
            self.assertLess(abs(float(torch.corrcoef(torch.stack([a, b]))[0, 1]) - rho), 0.05)

    def test_an_adapter_checkpoint_made_on_another_base_is_not_resumed(self):
        import lora as L
        from loop import TrainLoop
        from util import load_checkpoint

        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, "r1.pt")
            snaps = {2: {"lora": {}, "seconds": 1.0, "loss": 0.5}}
            loop = TrainLoop("lora", ckpt, L.adapter_meta(1, 3e-4, 2, 4, 1, "a" * 64), 2, keep=[2])
            loop.snaps = snaps
            loop.finish(parts=False)
            # the same base: the finished adapter comes back without training (no UNet or data needed)
            got = L.train_adapter(None, None, None, None, 1, 3e-4, 2, 4, 1, [2], ckpt, "a" * 64)
            self.assertEqual(got, snaps)
            # a retrained base: the checkpoint is not taken
            self.assertIsNone(load_checkpoint(ckpt, L.adapter_meta(1, 3e-4, 2, 4, 1, "b" * 64), "lora"))
            with self.assertRaises(Exception):  # and training starts afresh (here: with no UNet to train)
                L.train_adapter(None, None, None, None, 1, 3e-4, 2, 4, 1, [2], ckpt, "b" * 64)

    def test_shipped_video_model_rebuilds_from_its_onnx_file(self):
        import video as V
        from lora import shipped_base

        models = os.path.join(os.path.dirname(HERE), "packages", "slidev-addon-under-the-hood", "models")
        text, _, unet, *_ = shipped_base(models)
        model = V.video_from_onnx(os.path.join(models, "micro-video"), unet, text)  # raises unless it matches parity.json
        # trained layers, not fresh ones (a fresh temporal layer's output projection is zero)
        self.assertTrue(all(float(t.proj_out.weight.abs().max()) > 0 for t in model.temporal.values()))


class Provenance(unittest.TestCase):
    """util.provenance: the commit a model's metrics name, and whether the code had uncommitted edits."""

    def test_outputs_a_run_writes_are_not_code_changes(self):
        from util import provenance

        with tempfile.TemporaryDirectory() as d:
            def git(*a: str) -> str:
                return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=d, check=True,
                                      capture_output=True, text=True).stdout.strip()

            models = os.path.join(d, "packages", "slidev-addon-under-the-hood", "models")
            os.makedirs(models)
            os.makedirs(os.path.join(d, "training"))
            for path in (os.path.join(models, "card.md"), os.path.join(d, "training", "code.py")):
                with open(path, "w") as f:
                    f.write("a\n")
            git("init", "-q")
            git("add", "-A")
            git("commit", "-qm", "first")
            head = git("rev-parse", "HEAD")
            with open(os.path.join(models, "card.md"), "w") as f:
                f.write("retrained\n")
            self.assertEqual(provenance.__wrapped__(d)["git_commit"], head)
            with open(os.path.join(d, "training", "code.py"), "w") as f:
                f.write("edited\n")
            self.assertEqual(provenance.__wrapped__(d)["git_commit"], head + "+changes")
            self.assertIn("torch", provenance.__wrapped__(d))


class LeaveOneStyleOut(unittest.TestCase):
    """micro-CLIP measured on an art style it never trained on (train_clip.leave_one_style_out)."""

    def test_two_styles_hold_the_same_emoji_and_splits(self):
        import data as D
        from train_clip import ClipData

        cache = os.environ.get("UTH_CACHE_DIR") or os.path.join(HERE, ".cache")
        full = ClipData(cache, 1234, styles=D.ALL_STYLES, validation=True)
        two = ClipData(cache, 1234, styles=("noto", "twemoji"), validation=True)
        self.assertEqual((two.names, two.train, two.val, two.held), (full.names, full.train, full.val, full.held))
        fluent = D.STYLE_IDS["fluent"]
        self.assertFalse((two.style == fluent).any())  # the left-out style's art is not even loaded
        self.assertGreater(int((full.style == fluent).sum()), 3000)
        # every pair of styles holds exactly its two, whichever set was cached first
        for kept in (("twemoji", "fluent"), ("noto", "fluent")):
            pair = ClipData(cache, 1234, styles=kept, validation=True)
            self.assertEqual((pair.names, pair.train, pair.val, pair.held), (full.names, full.train, full.val, full.held))
            self.assertEqual(sorted(set(pair.style.tolist())), sorted(D.STYLE_IDS[s] for s in kept))
        self.assertEqual(sorted(set(ClipData(cache, 1234, styles=D.ALL_STYLES).style.tolist())), [0, 1, 2])

    def test_figures_go_into_the_card_and_nowhere_else(self):
        import json

        from export_clip import loso_text, update_loso

        row = {"trained_on": ["noto", "twemoji"], "chosen_step": 2000, "steps": 2400, "train_seconds": 1.0, "val_top5_trained_styles": 0.2,
               **{k: {"n": 100, "top1": 0.1, "top5": 0.4, "top1_ci95": [0.05, 0.2], "top5_ci95": [0.3, 0.5]} for k in ("train", "val", "test")}}
        with tempfile.TemporaryDirectory() as d:
            m = {"goals": {"leave_one_style_out_top5": 0.35}}
            card = "# card\n" + loso_text(m) + "\n## Credits\n"
            for name, text in (("metrics.json", json.dumps(m)), ("README.md", card)):
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            update_loso(d, {"fluent": row})
            with open(os.path.join(d, "README.md")) as f:
                new = f.read()
            self.assertIn("| Fluent | Noto + Twemoji | 40.0 % (30–50 %, n = 100) | met |", new)
            self.assertIn("Not measured yet: Noto, Twemoji left out.", new)
            self.assertTrue(new.startswith("# card\n") and new.endswith("\n## Credits\n"))
            with open(os.path.join(d, "metrics.json")) as f:
                self.assertEqual(json.load(f)["leave_one_style_out"]["fluent"]["train"]["top5"], 0.4)
            update_loso(d, {"fluent": row, "noto": row})  # the next style finished: the part is found again
            with open(os.path.join(d, "README.md")) as f:
                again = f.read()
            self.assertIn("| Noto | Noto + Twemoji |", again)
            self.assertIn("Not measured yet: Twemoji left out.", again)
            self.assertEqual(again.count("Leave one style out"), 1)
            # a run of one style (`loso --style twemoji`) keeps the styles measured before
            update_loso(d, {"twemoji": {**row, "trained_on": ["noto", "fluent"]}})
            with open(os.path.join(d, "README.md")) as f:
                third = f.read()
            self.assertIn("| Fluent | Noto + Twemoji |", third)
            self.assertIn("| Twemoji | Noto + Fluent |", third)
            self.assertNotIn("Not measured yet", third)
            with open(os.path.join(d, "metrics.json")) as f:
                self.assertEqual(list(json.load(f)["leave_one_style_out"]), ["fluent", "noto", "twemoji"])
            # a card exported before the part had markers: its "not measured" text is found
            with open(os.path.join(d, "metrics.json"), "w") as f:
                json.dump(m, f)
            with open(os.path.join(d, "README.md"), "w") as f:
                f.write(card.replace("<!-- leave-one-style-out -->", "").replace("<!-- /leave-one-style-out -->", "").replace("\n\n\n", "\n"))
            update_loso(d, {"fluent": row})
            with open(os.path.join(d, "README.md")) as f:
                self.assertIn("| Fluent | Noto + Twemoji |", f.read())
            with open(os.path.join(d, "README.md"), "w") as f:
                f.write("# a card written by hand\n")
            with self.assertRaisesRegex(ValueError, "export micro-CLIP again"):
                update_loso(d, {"fluent": row})


class RebuildFromOnnx(unittest.TestCase):
    """A model read back from the ONNX file torch exported it into (util.state_from_onnx): what later
    stages continue from when the checkpoints are gone."""

    def test_weights_read_back_from_a_folded_export(self):
        import torch
        import torch.nn as nn
        from util import state_from_onnx

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3, padding=1)
                self.norm = nn.GroupNorm(2, 8)
                self.ff = nn.Sequential(nn.Linear(8, 16, bias=False), nn.GELU(), nn.Linear(16, 8))
                self.heads = nn.ModuleList([nn.Linear(8, 8, bias=False) for _ in range(2)])

            def forward(self, x):
                h = self.norm(self.conv(x)).mean((2, 3))
                h = self.ff(h)
                for m in self.heads:
                    h = h + m(h)
                return h

        class Wrap(nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net = net

            def forward(self, x):
                return self.net(x)

        torch.manual_seed(0)
        net = Net().eval()
        with torch.no_grad():  # a scale and shift that are not GroupNorm's defaults
            net.norm.weight.uniform_(0.5, 2)
            net.norm.bias.uniform_(-1, 1)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "net.onnx")
            torch.onnx.export(Wrap(net), (torch.randn(1, 3, 6, 6),), path, opset_version=17, do_constant_folding=True)
            fresh = Net()
            fresh.load_state_dict(state_from_onnx(path, fresh, "net."))
            for k, v in net.state_dict().items():
                self.assertTrue(torch.equal(v, fresh.state_dict()[k]), k)

            class Bigger(Net):
                def __init__(self):
                    super().__init__()
                    self.extra = nn.Linear(8, 8, bias=False)

            with self.assertRaisesRegex(ValueError, "lacks 1 of the model's weights.*extra.weight"):
                state_from_onnx(path, Bigger(), "net.")

    def test_shipped_audio_model_rebuilds_from_its_onnx_files(self):
        import json

        import audio as A
        import sounds as S

        folder = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models", "micro-audio")
        with open(os.path.join(folder, "metrics.json")) as f:
            run = json.load(f)["run"]
        tok = A.Tokens(S.vocabulary())
        model, _ = A.audio_from_onnx(folder, run, tok)  # raises unless it matches parity.json
        self.assertGreater(float(model.unet.conv_in.weight[:, 16:].abs().max()), 0)  # the pitch hint's trained weights
        with tempfile.TemporaryDirectory() as d:
            broken = os.path.join(d, "micro-audio")
            shutil.copytree(folder, broken)
            with open(os.path.join(broken, "onnx", "unet.onnx"), "r+b") as f:
                f.truncate(os.path.getsize(f.name) // 2)  # an interrupted copy
            with self.assertRaisesRegex(S.SoundError, "cannot be rebuilt"):
                A.audio_from_onnx(broken, run, tok)


    def test_shipped_micro_clip_rebuilds_and_a_broken_one_is_refused(self):
        import json

        import diffusion as DF

        models = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
        with tempfile.TemporaryDirectory() as run_dir:  # no clip checkpoint: rebuilt from the exported files
            clip, tok = DF.load_clip(run_dir, models)
            self.assertTrue(DF.matches_clip_parity(clip, tok, os.path.join(models, "micro-clip", "parity.json")))
            self.assertGreater(len(tok.vocab), 6000)  # phase 2's words are in
            with tempfile.TemporaryDirectory() as d:
                shutil.copytree(os.path.join(models, "micro-clip"), os.path.join(d, "micro-clip"))
                parity = os.path.join(d, "micro-clip", "parity.json")
                with open(parity) as f:
                    ref = json.load(f)
                ref["image_embeds"][0] += 0.01  # another model's output
                with open(parity, "w") as f:
                    json.dump(ref, f)
                with self.assertRaisesRegex(DF.PipelineError, "could not be rebuilt.*parity output for its image embedding.*npm run train -- clip"):
                    DF.load_clip(run_dir, d)

    def test_a_retrained_image_model_leaves_the_video_model_its_own(self):
        import hashlib
        import json

        import diffusion as DF

        models = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
        with tempfile.TemporaryDirectory() as d:
            diff, video = os.path.join(d, "micro-diffusion"), os.path.join(d, "micro-video")
            os.makedirs(os.path.join(diff, "onnx"))
            os.makedirs(os.path.join(diff, "text_encoder"))
            for name in ("config.json", "metrics.json", "parity.json"):
                shutil.copy2(os.path.join(models, "micro-diffusion", name), diff)
            with open(os.path.join(diff, "onnx", "unet.onnx"), "wb") as f:
                f.write(b"the UNet the video layers were trained on")
            os.makedirs(video)
            sha = hashlib.sha256(b"the UNet the video layers were trained on").hexdigest()
            cfg = {"model_type": "micro-video", "image_model": "micro-diffusion", "base_unet_sha256": "0" * 64}
            with open(os.path.join(video, "config.json"), "w") as f:
                json.dump(cfg, f)
            with open(os.path.join(video, "README.md"), "w") as f:
                f.write("# micro-video\n")
            self.assertFalse(DF.keep_video_base(d), "trained on another UNet: nothing to keep")
            cfg["base_unet_sha256"] = sha
            with open(os.path.join(video, "config.json"), "w") as f:
                json.dump(cfg, f)
            self.assertTrue(DF.keep_video_base(d))
            with open(os.path.join(video, "config.json")) as f:
                self.assertEqual(json.load(f)["image_model"], "micro-video/base")
            with open(os.path.join(video, "base", "onnx", "unet.onnx"), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), sha)
            with open(os.path.join(video, "base", "config.json")) as f:
                self.assertEqual(json.load(f)["text_encoder"]["model"], "micro-video/base/text_encoder")
            with open(os.path.join(video, "README.md")) as f:
                self.assertIn("kept in `base/`", f.read())
            self.assertFalse(DF.keep_video_base(d), "already on its own image model")


class AudioData(unittest.TestCase):
    """micro-audio's training sounds and the measures its card's figures come from (training/sounds.py)."""

    def test_every_caption_makes_its_sound(self):
        import random

        import numpy as np
        import sounds as S

        rng = random.Random(5)
        # a whistle lights its own row, and is heard at its pitch after the picture goes through Griffin–Lim
        for note in ("C3", "A4", "F#6"):
            pic = S.picture_of(S.synth(f"whistle at {note}", rng))
            self.assertEqual(int(np.argmax(pic.max(axis=1))), round(S.note_row(S.note_hz(note))))
            heard = S.pitch_of(S.griffin_lim(S.magnitudes_of(pic)))
            self.assertLess(abs(heard / S.note_hz(note) - 1), 0.03, note)
        # the fundamental of a harmonic sound, not its loudest harmonic
        self.assertLess(abs(S.pitch_of(S.synth("organ at G3", rng)) / S.note_hz("G3") - 1), 0.01)
        self.assertGreater(S.sweep_slope(S.picture_of(S.synth("rising brass", rng))), 2)
        self.assertLess(S.sweep_slope(S.picture_of(S.synth("falling whistle", rng))), -2)
        for kind, caps in S.all_captions().items():
            if kind == "spoken":
                continue
            x = S.synth(caps[0], rng)
            self.assertEqual(len(x), S.LENGTH)
            self.assertTrue(0.3 < float(np.abs(x).max()) <= 0.6, caps[0])
        # held-out pairs are real captions and never in the training captions' list
        notes = S.all_captions()["note"]
        for pair in S.VAL_PAIRS + S.TEST_PAIRS:
            self.assertIn(pair, notes)
        self.assertEqual(set(S.VAL_PAIRS) & set(S.TEST_PAIRS), set())

    def test_vocabulary_reads_prompts(self):
        import sounds as S

        self.assertEqual(S.tokens("Spoken: Quiet on set!"), ["spoken", "quiet", "on", "set"])
        v = S.vocabulary()
        self.assertEqual(v[:2], ["[pad]", "[start]"])
        for w in ("whistle", "a4", "c#5", "major", "action", "nine"):
            self.assertIn(w, v)


if __name__ == "__main__":
    unittest.main()
