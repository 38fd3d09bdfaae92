"""Benchmark: ``clonebot prepare`` vs the fixed reference pipeline, paired runs.

The reference is the seed article's own pandas pipeline and its synthetic export, kept
outside this project in ``../shared/bench/`` (its README) and called there by path, never
copied: ``gen_export.py 300000`` writes a 300k-message (~147 MB) tdesktop-shaped full export,
``seed_baseline.py`` turns it into a dataset (``read_json`` of the whole file, disjoint
5-message chunks; no merging by sender, no PII scrub, no sessions, no windows). Each command
runs in its own subprocess, alternating (reference, prepare, reference, prepare, ...) so both
see the same load, ``--repeat`` times:

- prepare: the real ``clonebot prepare`` (streaming, PII scrub, sessions, sliding windows,
  Arrow output, stats), with ``--workers`` (default: the config's auto);
- prepare in one process (``--workers 0``) and without the PII pass, to show their share;
- prepare on a ``--scale``x export (the same generator): peak memory should stay flat;
- with ``--naive``, also this project's reading of the article's steps (owner by display
  name, ``read_json(typ="series")``, one DataFrame per chat), the baseline of issue 10.

Per run: wall seconds, CPU seconds (user + sys of the process and every child it reaped,
from wait4), peak memory of the whole process tree (RSS and PSS summed over the processes,
sampled every 200 ms: workers share pages, so PSS is the honest sum), and the load average
around it. Reading PSS (smaps_rollup) is not free: one sample costs ~6 ms of CPU for
prepare's 4 processes and ~13 ms for a 1.3 GB one; sampled every 20 ms, as this script once
did, the sampler took ~30% of a core from a run that keeps both cores busy. Ratios are
medians of the per-pair ratios to the reference. On a shared machine wall time swings with
the neighbours' load: read the load column.

``--timeline`` adds one more prepare run, sampled every 50 ms for the CPU time of each of its
processes, and says where its wall time went: the start, with the reading process alone
until the workers start; the reading, with the workers alive; the tail, once they have
exited (the split, the stats, the token report). The start and the tail use one core; an
idle core there (cores x wall - CPU, the "idle core-s" column: the neighbours' share too on a
loaded machine) is what overlapping them could win. ``--repeat 0 --timeline``: that run
alone.

    python bench/bench_prepare.py [--messages 300000] [--scale 4] [--repeat 3]
                                  [--workers N] [--naive] [--keep DIR] [--reference DIR]
                                  [--timeline]
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

# The fixed reference: ../shared/bench/ beside the project (see its README); from a worktree
# one level deeper (/work/wt/<name>), the nearest shared/bench above it.
_PROJECT = Path(__file__).resolve().parents[1]
REFERENCE = next((d / "shared" / "bench" for d in _PROJECT.parents
                  if (d / "shared" / "bench" / "seed_baseline.py").is_file()),
                 _PROJECT.parent / "shared" / "bench")
OWNER_FROM_ID = "user1000001"  # gen_export.py's owner

# This project's reading of the article's steps (issue 10's baseline; --naive only).
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


class Timeline(threading.Thread):
    """CPU seconds of each process of a tree over time: (seconds since start, {pid: CPU s})
    every ``every`` seconds, from ``/proc/<pid>/stat`` (user + system of all its threads)."""

    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.t0 = time.perf_counter()
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.done = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")

    def _cpu(self, pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self._tick
        except (OSError, IndexError, ValueError):
            return None

    def run(self) -> None:
        while not self.done.is_set():
            cpu = {p: c for p in _tree(self.pid) if (c := self._cpu(p)) is not None}
            self.samples.append((time.perf_counter() - self.t0, cpu))
            self.done.wait(self.every)


def phases(samples: list[tuple[float, dict[int, float]]], root: int, wall: float,
           cpu_total: float, cores: int, min_cpu: float = 0.1) -> list[dict]:
    """A sampled run (``Timeline.samples``) cut into start (``root`` alone, until a worker
    appears), reading (a worker alive) and tail (after the last worker left): per phase its
    wall seconds, the CPU seconds of ``root`` and of the workers (its children that used at
    least ``min_cpu``: not the resource tracker), and the idle core-seconds (``cores`` x
    wall - CPU). ``wall`` and ``cpu_total`` are the run's own: the tail's reader CPU is what
    they leave (the root's after the last sample, the resource tracker's few ms)."""
    seen: dict[int, float] = {}
    for _, cpu in samples:
        seen.update(cpu)
    workers = {p for p, c in seen.items() if p != root and c >= min_cpu}
    alive = [t for t, cpu in samples if workers & cpu.keys()]
    start, end = (alive[0], alive[-1]) if alive else (wall, wall)

    def cpu_at(t: float) -> tuple[float, float]:
        """(root's, the workers') CPU seconds at the last sample at or before ``t``."""
        got: dict[int, float] = {}
        for ts, cpu in samples:
            if ts > t:
                break
            got.update(cpu)  # a worker that left keeps its last figure
        return got.get(root, 0.0), sum(got.get(p, 0.0) for p in workers)

    (r0, w0), (r1, w1) = cpu_at(start), cpu_at(end)
    w_all = sum(seen[p] for p in workers)
    out = [
        {"phase": "start", "wall": start, "root": r0, "workers": w0},
        {"phase": "reading", "wall": end - start, "root": r1 - r0, "workers": w1 - w0},
        {"phase": "tail", "wall": max(0.0, wall - end), "root": max(0.0, cpu_total - r1 - w_all),
         "workers": w_all - w1},
    ]
    for p in out:
        p["idle"] = max(0.0, cores * p["wall"] - p["root"] - p["workers"])
    return out


def measure(cmd: list[str], env: dict | None = None, timeline: bool = False) -> dict:
    """One subprocess: wall, CPU (incl. reaped children), peak tree RSS/PSS, load."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, **(env or {})})
    mem = TreeMemory(p.pid)
    mem.start()
    sampler = Timeline(p.pid) if timeline else None
    if sampler is not None:
        sampler.start()
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
    if sampler is not None:
        sampler.done.set()
        sampler.join()
    for r in readers:
        r.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{b''.join(err_chunks).decode()[-2000:]}")
    lines = b"".join(out_chunks).decode().strip().splitlines()
    cpu = ru.ru_utime + ru.ru_stime
    out = {"wall": wall, "cpu": cpu, "rss": mem.rss / 1024,
           "pss": mem.pss / 1024, "maxrss1": ru.ru_maxrss / 1024, "procs": mem.procs,
           "load": (load0 + os.getloadavg()[0]) / 2, "line": lines[0] if lines else ""}
    if sampler is not None:
        out["phases"] = phases(sampler.samples, p.pid, wall, cpu, _cores())
    return out


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def print_phases(r: dict) -> None:
    print(f"\nwhere one prepare's wall time went ({r['wall']:.1f} s, CPU {r['cpu']:.1f} s, "
          f"{_cores()} cores, load {r['load']:.1f}; CPU of each process sampled every 50 ms):")
    print(f"{'phase':40} {'wall s':>7} {'reader CPU':>10} {'workers CPU':>11} {'idle core-s':>11}")
    what = {"start": "start: the reading process alone",
            "reading": "reading: the workers alive",
            "tail": "tail: split, stats, token report"}
    for p in r["phases"]:
        print(f"{what[p['phase']]:40} {p['wall']:7.2f} {p['root']:10.2f} {p['workers']:11.2f} "
              f"{p['idle']:11.2f}")


REF_NAME = "reference (seed_baseline.py)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None,
                    help="prepare --workers (default: the config's auto)")
    ap.add_argument("--naive", action="store_true",
                    help="also run this project's reading of the article's steps (issue 10's baseline)")
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep exports in this dir")
    ap.add_argument("--reference", type=Path, default=REFERENCE,
                    help="the folder with gen_export.py and seed_baseline.py (../shared/bench)")
    ap.add_argument("--only-prepare", action="store_true",
                    help="reference and prepare only (no 1-process / PII-off / scaled runs)")
    ap.add_argument("--timeline", action="store_true",
                    help="one more prepare run: where its wall time went (start, reading, tail)")
    args = ap.parse_args()
    gen, seed = args.reference / "gen_export.py", args.reference / "seed_baseline.py"
    if not (gen.is_file() and seed.is_file()):
        sys.exit(f"the reference is not at {args.reference} (gen_export.py, seed_baseline.py): "
                 "pass --reference DIR")

    work = args.keep or Path(tempfile.mkdtemp(prefix="clonebot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    try:
        small = work / f"big{args.messages // 1000}k.json"
        big = work / f"big{args.messages * args.scale // 1000}k.json"
        for path, n in ((small, args.messages), (big, args.messages * args.scale)):
            if path == big and (args.only_prepare or not args.repeat):
                continue
            if not path.exists():
                t = time.perf_counter()
                subprocess.run([py, str(gen), str(n), str(path)], check=True)
                print(f"built {path.name} with {gen}: {path.stat().st_size / 1e6:.0f} MB in "
                      f"{time.perf_counter() - t:.0f} s", file=sys.stderr)
        prep = [py, "-m", "clonebot", "prepare"]
        jobs = [f"--workers={args.workers}"] if args.workers is not None else []
        runs: list[tuple[str, list[str], dict | None]] = [
            (REF_NAME, [py, str(seed), str(small), str(work / "base_out"), OWNER_FROM_ID], None),
            ("clonebot prepare", [*prep, str(small), "--out", str(work / "ds"), *jobs], None),
        ]
        if not args.only_prepare:
            runs += [
                ("clonebot prepare, 1 process",
                 [*prep, str(small), "--out", str(work / "ds"), "--workers=0"], None),
                ("clonebot prepare, PII off", [*prep, str(small), "--out", str(work / "ds"), *jobs],
                 {"CLONEBOT_PII__SCRUB": "false"}),
            ]
        if args.naive:
            runs.append(("naive pandas (issue 10's)",
                         [py, "-c", NAIVE, str(small), str(work / "naive.jsonl")], None))
        results: dict[str, list[dict]] = {name: [] for name, *_ in runs}
        for rep in range(args.repeat):
            for name, cmd, env in runs:
                for d in ("ds", "base_out"):
                    shutil.rmtree(work / d, ignore_errors=True)
                r = measure(cmd, env)
                results[name].append(r)
                print(f"  [{rep + 1}/{args.repeat}] {name}: {r['wall']:.1f} s wall, "
                      f"{r['cpu']:.1f} s CPU, RSS {r['rss']:.0f} MiB, PSS {r['pss']:.0f} MiB, "
                      f"load {r['load']:.1f} ({r['line']})", file=sys.stderr)
        for d in ("ds", "base_out"):
            shutil.rmtree(work / d, ignore_errors=True)
        if not args.only_prepare and args.repeat:
            big_name = f"clonebot prepare, {args.scale}x export"
            results[big_name] = [measure([*prep, str(big), "--out", str(work / "ds"), *jobs])]
            shutil.rmtree(work / "ds", ignore_errors=True)
        sampled = None
        if args.timeline:
            sampled = measure([*prep, str(small), "--out", str(work / "ds"), *jobs],
                              timeline=True)
            shutil.rmtree(work / "ds", ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.repeat:
        report(results, args, small, big)
    if sampled is not None:
        print_phases(sampled)


def report(results: dict[str, list[dict]], args, small: Path, big: Path) -> None:
    ref = results[REF_NAME]

    def med(rs: list[dict], k: str) -> float:
        return statistics.median(r[k] for r in rs)

    def pair_ratio(rs: list[dict], k: str) -> float:
        if len(rs) != len(ref):  # not paired (the scaled run): against the reference's median
            return med(rs, k) / med(ref, k)
        return statistics.median(r[k] / n[k] for r, n in zip(rs, ref))

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; reference: {args.reference / 'seed_baseline.py'} on "
          f"gen_export.py {args.messages}; {args.repeat} paired runs, medians; "
          "x = median of per-pair ratios to the reference")
    print(f"{'run':34} {'wall s':>7} {'x':>5} {'CPU s':>7} {'x':>5} {'RSS MiB':>8} {'x':>5} "
          f"{'PSS MiB':>8} {'x':>5} {'procs':>5} {'load':>5}")
    for name, rs in results.items():
        print(f"{name:34} {med(rs, 'wall'):7.1f} {pair_ratio(rs, 'wall'):5.2f} "
              f"{med(rs, 'cpu'):7.1f} {pair_ratio(rs, 'cpu'):5.2f} {med(rs, 'rss'):8.0f} "
              f"{pair_ratio(rs, 'rss'):5.2f} {med(rs, 'pss'):8.0f} {pair_ratio(rs, 'pss'):5.2f} "
              f"{max(r['procs'] for r in rs):5d} {med(rs, 'load'):5.1f}")
    ours = results["clonebot prepare"]
    wall, cpu = pair_ratio(ours, "wall"), pair_ratio(ours, "cpu")
    rss, pss = pair_ratio(ours, "rss"), pair_ratio(ours, "pss")
    print(f"\nexport: {small.stat().st_size / 1e6:.0f} MB" if small.exists() else "")
    print(f"goals: wall <= 1.0x the reference: {wall:.2f}x {'OK' if wall <= 1.0 else 'MISSED'} "
          f"(toward 0.5x; CPU {cpu:.2f}x); peak memory <= 0.2x the reference: RSS {rss:.2f}x, "
          f"PSS {pss:.2f}x {'OK' if max(rss, pss) <= 0.2 else 'MISSED'}", end="")
    scaled = results.get(f"clonebot prepare, {args.scale}x export")
    if scaled:
        flat = med(scaled, "pss") / med(ours, "pss")
        print(f"; at {args.scale}x the export: {flat:.2f}x the memory "
              f"{'(flat)' if flat <= 1.15 else '(NOT flat)'}")
    else:
        print()


if __name__ == "__main__":
    main()
