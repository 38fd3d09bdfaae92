"""Benchmark: ``clonebot prepare`` vs the article's naive pandas pipeline, same run.

Builds a synthetic 300k-message full export (~150 MB, tdesktop layout) in a temp dir and
runs, each in its own subprocess (wall time and peak RSS of that process via wait4):

- naive: ``pd.read_json`` of the whole file, consecutive messages merged, disjoint chunks
  of 5 messages (what the original article does; no PII scrub, no EOS, list-repr bugs);
- prepare: the real ``clonebot prepare`` (streaming, PII scrub, dialogues, rendering,
  Arrow output, stats);
- prepare without the PII pass (``CLONEBOT_PREPARE__SCRUB_PII=false``), to show its share;
- prepare on a 4x larger export: peak RSS should stay flat.

Goals (issue 2): time <= 1.5x naive, peak RSS <= 0.2x naive, RSS flat at 4x.

    python bench/bench_prepare.py [--messages 300000] [--scale 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_export import write_export  # noqa: E402

NAIVE = r'''
import sys
import pandas as pd

data = pd.read_json(sys.argv[1], typ="series")
owner = data["personal_information"]["user_id"]
samples = []
for chat in data["chats"]["list"]:
    df = pd.DataFrame(chat["messages"])
    if "from_id" not in df:
        continue
    df = df[df["type"] == "message"]
    df["text"] = df["text"].astype(str)
    df = df[df["text"] != ""]
    group = (df["from_id"] != df["from_id"].shift()).cumsum()
    merged = df.groupby(group).agg(from_id=("from_id", "first"), text=("text", "\n".join))
    for i in range(0, len(merged), 5):
        chunk = merged.iloc[i:i + 5]
        samples.append("\n".join(
            ("Clone: " if f == f"user{owner}" else "User: ") + t
            for f, t in zip(chunk["from_id"], chunk["text"])))
pd.DataFrame({"text": samples}).to_json(sys.argv[2], orient="records", lines=True)
print(len(samples), "samples")
'''


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, last output line) of one subprocess."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, **(env or {})})
    out, err = b"", b""
    # wait4 gives this child's own rusage (ru_maxrss in KiB on Linux).
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read(), p.stderr.read()  # type: ignore[union-attr]
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode()[-2000:]}")
    lines = out.decode().strip().splitlines()
    return wall, ru.ru_maxrss / 1024, lines[0] if lines else ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep exports in this dir")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="clonebot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        small = work / f"export-{args.messages}.json"
        big = work / f"export-{args.messages * args.scale}.json"
        for path, n in ((small, args.messages), (big, args.messages * args.scale)):
            if not path.exists():
                t = time.perf_counter()
                write_export(path, n, seed=1)
                print(f"built {path.name}: {path.stat().st_size / 1e6:.0f} MB in "
                      f"{time.perf_counter() - t:.0f} s", file=sys.stderr)
        py = sys.executable
        prep = [py, "-m", "clonebot", "prepare"]
        off = {"CLONEBOT_PREPARE__SCRUB_PII": "false"}
        runs = [
            ("naive pandas (article)", [py, "-c", NAIVE, str(small), str(work / "naive.jsonl")], None, small),
            ("clonebot prepare", [*prep, str(small), "--out", str(work / "ds1")], None, small),
            ("clonebot prepare, PII off", [*prep, str(small), "--out", str(work / "ds0")], off, small),
            (f"clonebot prepare, {args.scale}x export", [*prep, str(big), "--out", str(work / "ds4")], None, big),
        ]
        results = []
        for name, cmd, env, src in runs:
            shutil.rmtree(work / "ds1", ignore_errors=True)
            shutil.rmtree(work / "ds0", ignore_errors=True)
            shutil.rmtree(work / "ds4", ignore_errors=True)
            wall, rss, line = measure(cmd, env)
            results.append((name, src.stat().st_size / 1e6, wall, rss, line))
            print(f"  {name}: {wall:.1f} s, {rss:.0f} MiB ({line})", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    naive_t, naive_rss = results[0][2], results[0][3]
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load avg {os.getloadavg()[0]:.1f} at the end")
    print(f"{'run':34} {'export MB':>9} {'wall s':>7} {'x naive':>8} {'peak RSS MiB':>13} {'x naive':>8}")
    for name, mb, wall, rss, _ in results:
        print(f"{name:34} {mb:9.0f} {wall:7.1f} {wall / naive_t:8.2f} {rss:13.0f} {rss / naive_rss:8.2f}")
    ours, big_ = results[1], results[3]
    print(f"\ngoals: time <= 1.5x naive: {ours[2] / naive_t:.2f}x "
          f"{'OK' if ours[2] <= 1.5 * naive_t else 'MISSED'}; "
          f"peak RSS <= 0.2x naive: {ours[3] / naive_rss:.2f}x "
          f"{'OK' if ours[3] <= 0.2 * naive_rss else 'MISSED'}; "
          f"RSS at {args.scale}x export: {big_[3] / ours[3]:.2f}x of 1x "
          f"{'(flat)' if big_[3] <= 1.15 * ours[3] else '(NOT flat)'}")


if __name__ == "__main__":
    main()
