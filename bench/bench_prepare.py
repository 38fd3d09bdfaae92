"""Benchmark: ``clonebot prepare`` vs the article's naive pandas pipeline, paired runs.

Builds a synthetic 300k-message full export (~146 MB, tdesktop layout) and a 4x one, then
runs each command in its own subprocess, alternating (naive, prepare, naive, prepare, ...)
so both see the same load, ``--repeat`` times:

- naive (the article's own steps): ``pandas.read_json`` of the whole file, the owner found
  by display name, disjoint chunks of 5 messages; no merging of consecutive messages, no
  PII scrub, no sessions, no EOS;
- prepare: the real ``clonebot prepare`` (streaming, PII scrub, sessions, sliding windows,
  rendering, Arrow output, stats), with ``--workers`` (default: the config's auto);
- prepare in one process (``--workers 0``) and without the PII pass, to show their share;
- prepare on the 4x export: peak memory should stay flat.

Per run: wall seconds, CPU seconds (user + sys of the process and every child it reaped,
from wait4), peak memory of the whole process tree (RSS and PSS summed over the processes,
sampled every 200 ms: workers share pages, so PSS is the honest sum), and the load average
around it. Reading PSS (smaps_rollup) is not free: one sample costs ~6 ms of CPU for
prepare's 4 processes and ~13 ms for the naive 1.3 GB one; sampled every 20 ms, as this
script once did, the sampler took ~30% of a core from a run that keeps both cores busy, and
its wall time with it. Ratios are medians of the per-pair ratios. On a shared machine wall time swings
with the neighbours' load: compare CPU seconds, and read the load column.

Why an earlier version of this script said 0.73x while a paired run said 1.94x: its naive
baseline was not the article's: it also merged consecutive messages with a pandas groupby
whose aggregation ran a Python join per group, and cut chunks with one ``.iloc`` per chunk
(together ~1.5x the CPU of the article's steps; see ``--old-naive``), and it compared
single, unpaired wall-clock runs on a shared 2-core machine.

    python bench/bench_prepare.py [--messages 300000] [--scale 4] [--repeat 3]
                                  [--workers N] [--old-naive] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_export import write_export  # noqa: E402

NAIVE = r'''
import sys
import pandas as pd

data = pd.read_json(sys.argv[1], typ="series")
me = data["personal_information"]
owner = " ".join(p for p in (me.get("first_name"), me.get("last_name")) if p)
samples = []
for chat in data["chats"]["list"]:
    df = pd.DataFrame(chat["messages"])
    if "from" not in df:
        continue
    df = df[df["type"] == "message"]
    senders = df["from"].tolist()
    texts = df["text"].astype(str).tolist()
    for i in range(0, len(texts), 5):
        samples.append("\n".join(("Clone: " if f == owner else "User: ") + t
                                 for f, t in zip(senders[i:i + 5], texts[i:i + 5])))
pd.DataFrame({"text": samples}).to_json(sys.argv[2], orient="records", lines=True)
print(len(samples), "samples")
'''

# The baseline an earlier version of this script used (for --old-naive only).
OLD_NAIVE = r'''
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


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            m = re.search(rf"^{key}:\s+(\d+)", f.read(), re.M)
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


class TreeMemory(threading.Thread):
    """Peak RSS and PSS summed over a process and its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.rss = self.pss = 0
        self.procs = 1
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = _tree(self.pid)
            self.procs = max(self.procs, len(pids))
            self.rss = max(self.rss, sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids))
            self.pss = max(self.pss, sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids))
            self.done.wait(self.every)


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """One subprocess: wall, CPU (incl. reaped children), peak tree RSS/PSS, load."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, **(env or {})})
    mem = TreeMemory(p.pid)
    mem.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)
               for s, c in ((p.stdout, out_chunks), (p.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, ru = os.wait4(p.pid, 0)  # this child's rusage, children it reaped included
    wall = time.perf_counter() - t0
    mem.done.set()
    mem.join()
    for r in readers:
        r.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{b''.join(err_chunks).decode()[-2000:]}")
    lines = b"".join(out_chunks).decode().strip().splitlines()
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": mem.rss / 1024,
            "pss": mem.pss / 1024, "maxrss1": ru.ru_maxrss / 1024, "procs": mem.procs,
            "load": (load0 + os.getloadavg()[0]) / 2, "line": lines[0] if lines else ""}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None,
                    help="prepare --workers (default: the config's auto)")
    ap.add_argument("--old-naive", action="store_true",
                    help="also run the baseline an earlier version of this script used")
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep exports in this dir")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="clonebot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    try:
        small = work / f"export-{args.messages}.json"
        big = work / f"export-{args.messages * args.scale}.json"
        for path, n in ((small, args.messages), (big, args.messages * args.scale)):
            if not path.exists():
                t = time.perf_counter()
                write_export(path, n, seed=1)
                print(f"built {path.name}: {path.stat().st_size / 1e6:.0f} MB in "
                      f"{time.perf_counter() - t:.0f} s", file=sys.stderr)
        prep = [py, "-m", "clonebot", "prepare"]
        jobs = [f"--workers={args.workers}"] if args.workers is not None else []
        runs: list[tuple[str, list[str], dict | None, Path]] = [
            ("naive pandas (article)", [py, "-c", NAIVE, str(small), str(work / "naive.jsonl")], None, small),
            ("clonebot prepare", [*prep, str(small), "--out", str(work / "ds"), *jobs], None, small),
            ("clonebot prepare, 1 process", [*prep, str(small), "--out", str(work / "ds"), "--workers=0"], None, small),
            ("clonebot prepare, PII off", [*prep, str(small), "--out", str(work / "ds"), *jobs],
             {"CLONEBOT_PREPARE__SCRUB_PII": "false"}, small),
        ]
        if args.old_naive:
            runs.append(("old bench's naive (merge+iloc)",
                         [py, "-c", OLD_NAIVE, str(small), str(work / "naive.jsonl")], None, small))
        results: dict[str, list[dict]] = {name: [] for name, *_ in runs}
        for rep in range(args.repeat):
            for name, cmd, env, _src in runs:
                shutil.rmtree(work / "ds", ignore_errors=True)
                r = measure(cmd, env)
                results[name].append(r)
                print(f"  [{rep + 1}/{args.repeat}] {name}: {r['wall']:.1f} s wall, "
                      f"{r['cpu']:.1f} s CPU, PSS {r['pss']:.0f} MiB, load {r['load']:.1f} "
                      f"({r['line']})", file=sys.stderr)
        shutil.rmtree(work / "ds", ignore_errors=True)
        big_name = f"clonebot prepare, {args.scale}x export"
        results[big_name] = [measure([*prep, str(big), "--out", str(work / "ds"), *jobs])]
        shutil.rmtree(work / "ds", ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report(results, args, small, big)


def report(results: dict[str, list[dict]], args, small: Path, big: Path) -> None:
    naive = results["naive pandas (article)"]

    def med(rs: list[dict], k: str) -> float:
        return statistics.median(r[k] for r in rs)

    def pair_ratio(rs: list[dict], k: str) -> float:
        if len(rs) != len(naive):  # not paired (the 4x run): against the naive median
            return med(rs, k) / med(naive, k)
        return statistics.median(r[k] / n[k] for r, n in zip(rs, naive))

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {args.repeat} paired runs, medians; "
          "ratios = median of per-pair ratios to naive")
    print(f"{'run':34} {'wall s':>7} {'x':>5} {'CPU s':>7} {'x':>5} {'PSS MiB':>8} {'x':>5} "
          f"{'RSS MiB':>8} {'procs':>5} {'load':>5}")
    for name, rs in results.items():
        print(f"{name:34} {med(rs, 'wall'):7.1f} {pair_ratio(rs, 'wall'):5.2f} "
              f"{med(rs, 'cpu'):7.1f} {pair_ratio(rs, 'cpu'):5.2f} {med(rs, 'pss'):8.0f} "
              f"{pair_ratio(rs, 'pss'):5.2f} {med(rs, 'rss'):8.0f} {max(r['procs'] for r in rs):5d} "
              f"{med(rs, 'load'):5.1f}")
    ours = results["clonebot prepare"]
    big_ = results[f"clonebot prepare, {args.scale}x export"]
    wall, cpu, pss = pair_ratio(ours, "wall"), pair_ratio(ours, "cpu"), pair_ratio(ours, "pss")
    flat = med(big_, "pss") / med(ours, "pss")
    print(f"\nexports: {small.stat().st_size / 1e6:.0f} MB and {big.stat().st_size / 1e6:.0f} MB"
          if small.exists() else "")
    print(f"goals: wall <= 1.0x naive: {wall:.2f}x {'OK' if wall <= 1.0 else 'MISSED'} "
          f"(CPU {cpu:.2f}x); peak memory <= 0.2x naive: {pss:.2f}x (PSS sums) "
          f"{'OK' if pss <= 0.2 else 'MISSED'}; at {args.scale}x the export: {flat:.2f}x the "
          f"memory {'(flat)' if flat <= 1.15 else '(NOT flat)'}")


if __name__ == "__main__":
    main()
