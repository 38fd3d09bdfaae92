"""What the clone score costs inside `clonebot eval`: CPU time of eval with it and without
it, on the same run, dataset, seed and samples (generations are seeded: both evals sample
the same replies, so the difference is the score).

    python bench/bench_clone_score.py --adapter runs/demo [--dataset DIR] [--samples 40]
        [--rounds 2] [--no-quantize]

Default dataset: the one the adapter was trained on (the demo's: runs/demo-dataset). The
goal (issue 25): eval with the score <= 1.2x eval without it on the demo. Rounds alternate
without / with, and the median of each is printed; CPU time (this process, all threads), so
other jobs on a shared machine do not count. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, default=None)
    ap.add_argument("--samples", type=int, default=40, help="as the demo's eval (40)")
    ap.add_argument("--ppl-rows", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-quantize", action="store_true",
                    help="base model in full precision (fp32 on CPU) instead of 4-bit NF4")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.no_quantize:
        import clonebot.model.load as load_mod

        load_mod.quantization_config = lambda dtype: None

    from clonebot.config import load_settings
    from clonebot.model.load import load_model
    from clonebot.versions import read_manifest_lenient
    from training.commands.demo import demo_settings
    from training.eval import EvalOptions, run_eval

    settings = demo_settings(load_settings())
    dataset = args.dataset or Path(read_manifest_lenient(args.adapter)["dataset_dir"])
    loaded = load_model(settings, args.adapter)
    cpu: dict[bool, list[float]] = {False: [], True: []}
    last = None
    for _ in range(args.rounds):
        for with_score in (False, True):
            t = time.process_time()
            last = run_eval(settings, args.adapter, dataset, EvalOptions(
                samples=args.samples, ppl_rows=args.ppl_rows, clone_score=with_score),
                loaded=loaded)
            cpu[with_score].append(time.process_time() - t)
            print(f"eval {'with' if with_score else 'without'} the clone score: "
                  f"{cpu[with_score][-1]:.1f} s CPU", flush=True)
    without, with_ = statistics.median(cpu[False]), statistics.median(cpu[True])
    cs = last.clone_score if last else {}
    scored = (f"AUC {cs['auc']:.2f} on {cs['contexts']} contexts" if cs.get("judged")
              else cs.get("note", "-"))
    print(f"\n{args.adapter} on {dataset}: {last.settings['samples'] if last else '?'} generations, "
          f"clone score: {scored}")
    print(f"eval CPU time: without {without:.1f} s, with {with_:.1f} s -> {with_ / without:.3f}x "
          f"(goal <= 1.2x); medians of {args.rounds} rounds")


if __name__ == "__main__":
    main()
