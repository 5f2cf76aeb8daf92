#!/usr/bin/env python3
"""Warm start (prebuilt index) against cold start (JSON), side by side in one run.

Usage: python3 scripts/bench/warm_start.py [--data DIR] [--runs N] [--binary PATH]
                                           [--old PATH [--old-runs N]]

Decompresses the three 18.1 bundles (as MITRE serves them: plain .json) into a temporary data
folder, builds the release binary, then times whole processes of `attackdb show T1059.001`:
cold (`--no-index`: parse the JSON) and warm (the prebuilt index written by a first run).
Also reports peak RSS of loading all three domains (`attackdb stats`) both ways.
Targets: warm under 50 ms, and at least 10 times faster than cold.

--old PATH also times another attackdb binary (e.g. one built from an earlier commit) side by
side: each binary gets its own copy of the data folder (their prebuilt indexes may be of other
formats), and the two warm `show T1059.001` are run alternately, --old-runs times each (default
100), reporting both medians; the issue 27 target is a warm show within 10 ms.
"""
import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(args, env, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def peak_rss_mb(args, env):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True, env=env)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--binary", help="the attackdb binary to measure (default: build one)")
    parser.add_argument("--old", help="another attackdb binary, timed side by side")
    parser.add_argument("--old-runs", type=int, default=100)
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "attackdb"], cwd=REPO,
                       check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        binary = os.path.join(target, "release", "attackdb")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        for domain in ("enterprise-attack", "mobile-attack", "ics-attack"):
            with gzip.open(os.path.join(args.data, domain, f"{domain}-18.1.json.gz")) as src, \
                    open(os.path.join(data, f"{domain}-18.1.json"), "wb") as dst:
                shutil.copyfileobj(src, dst)
        env = dict(os.environ, ATTACKDB_HOME=os.path.join(tmp, "home"))
        show = [binary, "--data", data, "show", "T1059.001"]
        stats = [binary, "--data", data, "stats"]
        cold = timed([binary, "--no-index"] + show[1:], env, args.runs)
        subprocess.run(stats, stdout=subprocess.DEVNULL, check=True, env=env)  # writes the indexes
        warm = timed(show, env, args.runs)
        cold_stats = timed([binary, "--no-index"] + stats[1:], env, args.runs)
        warm_stats = timed(stats, env, args.runs)
        cold_rss = peak_rss_mb([binary, "--no-index"] + stats[1:], env)
        warm_rss = peak_rss_mb(stats, env)
        if args.old:
            side = side_by_side(binary, args.old, data, tmp, env, args.old_runs)
    ratio = cold[0] / warm[0]
    print("attackdb show T1059.001, whole process, data: enterprise + mobile + ics 18.1 (.json)")
    print(f"  cold (--no-index, parse JSON)   min {cold[0]:7.1f} ms   median {cold[1]:7.1f} ms")
    print(f"  warm (prebuilt index)           min {warm[0]:7.1f} ms   median {warm[1]:7.1f} ms")
    print(f"  warm < 50 ms: {'PASS' if warm[0] < 50 else 'FAIL'};  cold/warm {ratio:.1f}x (target >= 10x): "
          f"{'PASS' if ratio >= 10 else 'FAIL'};  medians {cold[1] / warm[1]:.1f}x")
    print("attackdb stats (every domain opened and counted), whole process, same data (info)")
    print(f"  cold min {cold_stats[0]:7.1f} ms   warm min {warm_stats[0]:7.1f} ms   "
          f"{cold_stats[0] / warm_stats[0]:.1f}x")
    print(f"  peak RSS, all three domains loaded: cold {cold_rss:.1f} MB, warm {warm_rss:.1f} MB (target < 150 MB)")
    if args.old:
        print(f"warm show T1059.001 side by side, alternately, {args.old_runs} runs each")
        for label, path in (("this", binary), ("old", args.old)):
            low, mid = side[path]
            print(f"  {label:<5} {path:<40} min {low:6.1f} ms   median {mid:6.1f} ms")
        mid = side[binary][1]
        print(f"  this binary's median within 10 ms: {'PASS' if mid <= 10 else 'FAIL'}")


def side_by_side(binary, old, data, tmp, env, runs):
    """Medians of warm `show T1059.001` of `binary` and `old`, each on its own copy of `data`,
    run alternately."""
    commands = {}
    for n, path in enumerate((binary, old)):
        copy = os.path.join(tmp, f"data-{n}")
        shutil.copytree(data, copy, ignore=shutil.ignore_patterns("*.attackdb-index"))
        subprocess.run([path, "--data", copy, "stats"], stdout=subprocess.DEVNULL, check=True,
                       env=env)
        commands[path] = [path, "--data", copy, "show", "T1059.001"]
    times = {path: [] for path in commands}
    for _ in range(runs):
        for path, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=env)
            times[path].append((time.perf_counter() - start) * 1000)
    return {path: (min(t), statistics.median(t)) for path, t in times.items()}


if __name__ == "__main__":
    main()
