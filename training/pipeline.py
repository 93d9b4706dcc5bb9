"""Under the Hood model pipeline: `npm run train -- [stage] [--smoke] [--seed N]`.

Stages (run in this order by `all`):
  data   read the emoji packages, build and cache the image arrays, print the data summary
  clip   train micro-CLIP on three art styles (phase 1: both towers from scratch, the snapshot with the best
         validation top-5 kept; phase 2: vectors for words no caption uses, from WordNet, all else frozen, one
         run per learning rate and word list, the best on validation kept), test once on the held-out emoji,
         export ONNX + tokenizer + embeddings + card
  gpt    train micro-GPT on Moby-Dick (+ generated pronoun sentences), export ONNX + tokenizer + card
  diffusion  train the autoencoder (or take a warm start's, the recipe's `init`), then the latent UNet conditioned
         on micro-CLIP's text encoder (the recipe's `context`), then refine phases, each continuing the one before
         (the snapshot kept is the pixel judge's best on validation prompts), then the sampler's default guidance
         weight on the same prompts; evaluate, export ONNX + sample grid + card (needs the clip stage's checkpoint
         or export)
  gan    train micro-GAN (a DCGAN on the training split's face emoji), export ONNX generator snapshots + card
  twin   the talk's apple twin: one UNet run with snapshots at 1/5/20/50/100 %, "red apple" drawn by each
         (frozen parts from the shipped ONNX files; writes public/images/apple-training/, exports no model)
  lora   LoRA adapters (two ranks) that teach the shipped micro-diffusion one held-out emoji under a
         made-up trigger word; choices on validation seeds, test seeds once; writes
         models/micro-diffusion/lora/<name>/ (adapter.safetensors, config, parity, card)
  video  micro-video: temporal layers (attention across frames) on the frozen micro-diffusion UNet,
         trained on clips made from the emoji art (seven motions); writes models/micro-video/
  audio  micro-audio: text -> picture of sound by diffusion, on sounds the pipeline synthesises (notes,
         chords, sweeps, drums, noise, sung vowels; words spoken by espeak-ng); chooses the snapshot, then
         the guidance weight, on validation; writes models/micro-audio/ (`--from-shipped`: continue from the
         shipped model, rebuilt from its ONNX files, instead of training its runs again)
  loso   leave one style out: micro-CLIP's phase 1 trained on two art styles and measured on the third, for
         each style in turn (resumable; `--style noto` runs one, about 45 min on a 2-core CPU, and the card keeps
         the styles measured before); writes the figures into micro-CLIP's metrics and card
  guidance  the shipped micro-diffusion's default guidance weight, chosen on validation prompts as the diffusion
         stage chooses it; writes its config, metrics, sample grid and card (nothing is trained; run judge, then
         lora, after it: their figures are for the weight the model gives)
  judge  an independent judge (pixel-space nearest emoji art, no learned model) of the shipped micro-diffusion:
         the 6×6 grid of common prompts, every training and held-out name, shuffled-prompt and guidance-0
         baselines, diversity and distance to the nearest training image; writes them into its metrics and card,
         with the training art the deck's memorisation probe searches
  cards  the "Data licences" part of every shipped model card, from util.LICENCES (nothing is trained)
  tfjs   the VAE decoder and the CLIP image encoder as TensorFlow.js graphs, from their ONNX files
         (CLIP-guided generation differentiates through them in the browser; nothing is retrained)

`--smoke` runs every stage for a few steps and exports into training/runs/smoke/ (never the shipped models).
Checkpoints in training/runs/<run>/ make a stage resumable: run the same command again after an
interruption and it continues where it stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(HERE)

STAGES = ["data", "clip", "gpt", "diffusion", "gan", "tfjs"]
EXTRA = ["twin", "lora", "video", "audio", "guidance", "judge", "loso", "cards"]  # run only when named
FULL = {"clip": {"steps": 2400, "batch": 256, "text_steps": 600,
                 "text_runs": [{"lr": 1e-3, "common": 0}, {"lr": 3e-3, "common": 0}, {"lr": 1e-3, "common": 3000}, {"lr": 3e-3, "common": 3000}]}, "gpt": {"steps": 3000, "batch": 48},
        # micro-diffusion on the final text encoder: it starts from the one trained from scratch on it (training/init/:
        # 9,000 + 7,000 steps), its UNet widened to read each token's input vector beside its state. Not shipped yet: it
        # missed the grid goal (training/init/…/made.json); the shipped model is the one made for micro-CLIP v1
        "diffusion": {"init": "training/init/micro-diffusion-d1a5ca8", "context": "states+embeddings",
                      "unet": {"steps": 2400, "batch": 64, "lr": 3e-4},
                      "refine": [{"steps": 2400, "lr": 1.5e-4, "keep": [800, 1600, 2400]}],
                      "guidance": [2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0]}, "gan": {"steps": 6000, "batch": 64},
        "twin": {"steps": 4500, "batch": 64},
        "loso": {"styles": ["fluent", "noto", "twemoji"], "steps": 2400, "batch": 256},
        "lora": {"ranks": [1, 4], "lrs": [3e-4, 1e-3, 3e-3], "steps": 800, "keep": [200, 400, 800], "batch": 32, "val_seeds": 24, "test_seeds": 48},
        "video": {"clips_per_image": 1, "batch": 4, "val_seeds": [11], "test_seeds": [21],
                  "noise_shared": [0.0, 0.5, 0.75, 0.9, 0.95, 1.0],
                  "runs": [{"name": "lr0.001", "lr": 1e-3, "steps": 3000, "keep": [1500, 3000]},
                           {"name": "spacetime", "lr": 1e-3, "steps": 2000, "keep": [1000, 2000], "spacetime": True,
                            "from": ["lr0.001", 3000]}]},
        "audio": {"runs": [{"name": "base", "lr": 1e-3, "steps": 5000, "stop": 2500, "batch": 32, "channels": [64, 128], "keep": [2500]},
                           {"name": "positions", "lr": 5e-4, "steps": 3000, "stop": 1500, "batch": 32, "channels": [64, 128], "keep": [1500],
                            "positions": True, "from": ["base", 2500]},
                           {"name": "hint", "lr": 5e-4, "steps": 1600, "batch": 32, "channels": [64, 128], "keep": [800, 1600],
                            "positions": True, "hint": True, "from": ["positions", 1500]},
                           {"name": "hint-only", "lr": 5e-4, "steps": 1600, "batch": 32, "channels": [64, 128], "keep": [800, 1600],
                            "positions": True, "hint": True, "strip_notes": True, "from": ["hint", 1600]},
                           {"name": "hint-long", "lr": 5e-4, "steps": 3000, "batch": 32, "channels": [64, 128], "keep": [1000, 2000, 3000],
                            "positions": True, "hint": True, "from": ["hint", 1600], "salt": 7_000_019}],
                  "guidance": [2.0, 3.0, 5.0, 8.0, 12.0], "roughness_bound": 1.25,
                  "val_seeds": [11, 12, 13, 14], "test_seeds": [21, 22, 23, 24, 25, 26, 27, 28]}}
SMOKE = {"clip": {"steps": 15, "batch": 48, "text_steps": 4, "text_runs": [{"lr": 2e-3, "common": 0}, {"lr": 2e-3, "common": 50}]}, "gpt": {"steps": 20, "batch": 16, "limit_chapters": 8},
         "diffusion": {"vae": {"steps": 6, "batch": 16}, "unet": {"steps": 6, "batch": 16}, "context": "states+embeddings", "refine": [{"steps": 4, "lr": 4e-4, "keep": [2, 4]}, {"steps": 2, "lr": 2e-4, "keep": [2]}], "eval_steps": 4,
                       "guidance": [3.0, 5.0]}, "gan": {"steps": 12, "batch": 16},
         "twin": {"steps": 6, "batch": 8},
         "loso": {"styles": ["fluent"], "steps": 4, "batch": 16},
         "lora": {"ranks": [2], "lrs": [1e-3], "steps": 4, "keep": [2, 4], "batch": 4, "val_seeds": 2, "test_seeds": 2},
         "video": {"clips_per_image": 1, "batch": 2, "val_seeds": [11], "test_seeds": [21], "limit": 3, "eval_steps": 2, "noise_shared": [0.0, 0.5],
                   "runs": [{"name": "lr0.001", "lr": 1e-3, "steps": 2, "keep": [2]},
                            {"name": "spacetime", "lr": 1e-3, "steps": 2, "keep": [2], "spacetime": True, "from": ["lr0.001", 2]}]},
         "audio": {"runs": [{"name": "base", "lr": 1e-3, "steps": 3, "batch": 4, "channels": [16, 32], "keep": [2, 3]},
                            {"name": "positions", "lr": 1e-3, "steps": 2, "batch": 4, "channels": [16, 32], "keep": [2], "positions": True,
                             "from": ["base", 3]},
                            {"name": "hint", "lr": 1e-3, "steps": 2, "batch": 4, "channels": [16, 32], "keep": [2], "positions": True,
                             "hint": True, "from": ["positions", 2]},
                            {"name": "hint-only", "lr": 1e-3, "steps": 2, "batch": 4, "channels": [16, 32], "keep": [2], "positions": True,
                             "hint": True, "strip_notes": True, "from": ["hint", 2]},
                            {"name": "hint-long", "lr": 1e-3, "steps": 2, "batch": 4, "channels": [16, 32], "keep": [2], "positions": True,
                             "hint": True, "from": ["hint", 2], "salt": 7_000_019}], "limit": 2, "eval_steps": 2, "guidance": [3.0, 5.0], "roughness_bound": 1.25,
                   "val_seeds": [11], "test_seeds": [21]}}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="npm run train --", description=__doc__.split("\n")[0])
    ap.add_argument("stage", nargs="?", default="all", choices=STAGES + EXTRA + ["all"])
    ap.add_argument("--smoke", action="store_true", help="every stage for a few steps, output to training/runs/smoke")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--eval-only", action="store_true", help="diffusion: evaluate the finished checkpoints and print the metrics (no training, no export)")
    ap.add_argument("--sampler-only", action="store_true", help="video: keep the shipped temporal layers (rebuilt from their ONNX file) and choose only the sampler's noise sharing again, on validation")
    ap.add_argument("--from-shipped", action="store_true", help="audio: the runs the shipped model's record lists are not trained again; the shipped model (rebuilt from its ONNX files) is the snapshot the recipe's later runs continue from")
    ap.add_argument("--style", action="append", default=None, metavar="STYLE",
                    help="loso: only this left-out style (repeatable); the card keeps the styles measured before")
    ap.add_argument("--out", default=None, help="model output folder (default packages/slidev-addon-under-the-hood/models, or the smoke folder)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from util import log, provenance

    provenance()  # the code as this run found it (a commit made while it trains is not its code)
    import data as D

    from diffusion import PipelineError
    from gan import PipelineError as GanError
    from sounds import SoundError

    run = "smoke" if args.smoke else "full"
    run_dir = os.path.join(HERE, "runs", run)
    cache_dir = os.environ.get("UTH_CACHE_DIR") or os.path.join(HERE, ".cache")
    models_dir = args.out or (os.path.join(run_dir, "models") if args.smoke else os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models"))
    if args.smoke and args.stage == "all" and os.path.isdir(run_dir):
        import shutil

        shutil.rmtree(run_dir)  # a smoke run always trains from scratch, so it tests the training code
    os.makedirs(run_dir, exist_ok=True)
    todo = STAGES if args.stage == "all" else [args.stage]
    recipe = SMOKE if args.smoke else FULL
    cmd = "npm run train -- " + " ".join(argv) if argv else "npm run train"
    t0 = time.time()
    try:
        if "data" in todo:
            em = D.load_emoji(D.ALL_STYLES)
            arrays = D.build_arrays(em, cache_dir)
            tr, ho = D.split_emoji(em)
            log(f"data: {len(em)} emoji, {len(arrays['rgba'])} images, {len(tr)} train / {len(ho)} held-out emoji")
            card = os.path.join(run_dir if args.smoke else HERE, "DATA.md")
            with open(card + ".tmp", "w") as f:
                f.write(D.data_card(em, arrays))
            os.replace(card + ".tmp", card)
            log(f"data: wrote {os.path.relpath(card, ROOT)}")
        if "clip" in todo:
            from export_clip import export
            from train_clip import test_once, train, tune_text, write_metrics

            r = recipe["clip"]
            model, tok, ds, first = train(run_dir, cache_dir, r["steps"], r["batch"], args.seed)
            log(f"clip: phase 1 validation top-5 {first.get('val_top5', 0):.1%}; phase 2 learns vectors for new words from WordNet")
            runs = []  # phase 2 once per setting; the best validation top-5 is kept (ties: the first listed)
            for t in r["text_runs"]:
                net, tok2, m2 = tune_text(run_dir, model, tok, ds, r["text_steps"], r["batch"], args.seed, lr=t["lr"], common=t["common"])
                log(f"clip words lr {t['lr']:g} common {t['common']}: validation top-5 {m2.get('val_top5', 0):.1%}")
                runs.append((m2, net, tok2))
            best = max(range(len(runs)), key=lambda k: (runs[k][0].get("val_top5", 0), -k))
            metrics, model2, tok2 = runs[best]
            with open(os.path.join(run_dir, "clip_text.json"), "w") as f:
                json.dump({"lr": metrics["lr"], "common": metrics["common"]}, f)
            test = test_once(run_dir, model2, tok2, ds, known=set(tok.vocab))
            metrics = write_metrics(run_dir, first, metrics, [m for m, _, _ in runs], test)
            log(f"clip: top-1 training {metrics.get('train_top1', 0):.1%} | validation top-5 {metrics.get('val_top5', 0):.1%} "
                f"| test top-5 {test['all']['top5']:.1%} {test['all']['top5_ci95']} (chance {metrics['chance_top5']:.2%})")
            export(model2, tok2, ds, metrics, os.path.join(models_dir, "micro-clip"), cmd)
        if "gpt" in todo:
            import gpt as G

            r = recipe["gpt"]
            model, tok, metrics = G.train(run_dir, r["steps"], r["batch"], args.seed, limit_chapters=r.get("limit_chapters"))
            log("gpt metrics: " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}))
            log(f"gpt: validation perplexity {metrics['val_perplexity']:.1f} vs unigram baseline {metrics['val_unigram_perplexity']:.1f}")
            G.export(model, tok, metrics, os.path.join(models_dir, "micro-gpt"), cmd)
        if "diffusion" in todo:
            import diffusion as DF

            DF.run(run_dir, cache_dir, models_dir, recipe["diffusion"], args.seed, cmd, eval_only=args.eval_only)
        if "gan" in todo:
            import gan as GN

            GN.run(run_dir, cache_dir, models_dir, recipe["gan"], args.seed, cmd)
        if "twin" in todo:
            import twin

            out = os.path.join(run_dir, "apple-training") if args.smoke else os.path.join(ROOT, "public", "images", "apple-training")
            twin.run(run_dir, cache_dir, args.out or os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models"), out,
                     recipe["twin"]["steps"], recipe["twin"]["batch"], args.seed)
        if "lora" in todo:
            import lora

            shipped = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
            if args.smoke:
                import shutil

                shutil.rmtree(os.path.join(run_dir, "lora-checkpoints"), ignore_errors=True)
            out = os.path.join(run_dir, "lora") if args.smoke else os.path.join(shipped, "micro-diffusion", "lora")
            lora.run(run_dir, cache_dir, args.out or shipped, args.out and os.path.join(args.out, "micro-diffusion", "lora") or out,
                     recipe["lora"], args.seed, cmd)
        if "video" in todo:
            import video

            shipped = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
            if args.smoke:
                import shutil

                shutil.rmtree(os.path.join(run_dir, "video-checkpoints"), ignore_errors=True)
            out = os.path.join(run_dir, "micro-video") if args.smoke else os.path.join(args.out or shipped, "micro-video")
            video.run(run_dir, cache_dir, args.out or shipped, out, recipe["video"], args.seed, cmd, sampler_only=args.sampler_only)
        if "audio" in todo:
            import audio

            shipped = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
            if args.smoke:
                import shutil

                shutil.rmtree(os.path.join(run_dir, "audio-checkpoints"), ignore_errors=True)
            out = os.path.join(run_dir, "micro-audio") if args.smoke else os.path.join(args.out or shipped, "micro-audio")
            audio.run(run_dir, cache_dir, out, recipe["audio"], args.seed, cmd, from_shipped=args.from_shipped)
        if "loso" in todo:
            from export_clip import update_loso
            from train_clip import leave_one_style_out

            r = recipe["loso"]
            folder = os.path.join(models_dir, "micro-clip")
            if not os.path.exists(os.path.join(folder, "metrics.json")):
                raise PipelineError(f"loso puts its figures into micro-CLIP's card, and {folder} has none: run `npm run train -- clip` first")
            styles = args.style or r["styles"]
            unknown = [s for s in styles if s not in D.ALL_STYLES]
            if unknown:
                raise PipelineError(f"loso --style {unknown[0]}: the art styles are {', '.join(D.ALL_STYLES)}")
            for style in styles:  # each resumable and its own measurement: the card gets it as soon as it is done
                row = leave_one_style_out(run_dir, cache_dir, style, r["steps"], r["batch"], args.seed)
                try:
                    update_loso(folder, {style: row})
                except ValueError as exc:
                    raise PipelineError(str(exc)) from exc
        if "guidance" in todo:
            import judge

            judge.run_guidance(cache_dir, models_dir, args.seed, recipe["diffusion"]["guidance"],
                               recipe["diffusion"].get("eval_steps", judge.EVAL_STEPS))
        if "judge" in todo:
            import judge

            shipped = os.path.join(ROOT, "packages", "slidev-addon-under-the-hood", "models")
            if args.smoke:  # a copy of the shipped model, judged on a few prompts with a few sampler steps
                import shutil

                target = os.path.join(run_dir, "judge-models")
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(os.path.join(shipped, "micro-diffusion"), os.path.join(target, "micro-diffusion"))
                judge.run(cache_dir, target, args.seed, limit=4, steps=3)
            else:
                judge.run(cache_dir, args.out or shipped, args.seed)
        if "cards" in todo:
            from util import MODEL_DATA, write_licences

            lora_dir = os.path.join(models_dir, "micro-diffusion", "lora")
            adapters = [os.path.join(lora_dir, a) for a in sorted(os.listdir(lora_dir))] if os.path.isdir(lora_dir) else []
            for name, keys in MODEL_DATA.items():
                for folder in adapters if name == "lora" else [os.path.join(models_dir, name)]:
                    if os.path.exists(os.path.join(folder, "README.md")):
                        write_licences(folder, keys)
                        log(f"cards: data licences in {os.path.relpath(folder, ROOT)}/README.md")
        if "tfjs" in todo:
            import export_tfjs

            export_tfjs.run(models_dir, log)
    except (D.DataError, PipelineError, GanError, SoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume from the last checkpoint", file=sys.stderr)
        return 130
    log(f"done: {', '.join(todo)} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
