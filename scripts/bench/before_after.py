#!/usr/bin/env python3
"""Two attackdb binaries side by side in one run: whole-process times of the same commands on
the same data, interleaved, with the ratio after/before. For checking that a change (such as a
restructuring) leaves performance unchanged within noise.

Usage: python3 scripts/bench/before_after.py BEFORE_BIN AFTER_BIN [--data DIR] [--runs N]

The 17.1 and 18.1 bundles of every domain are decompressed into a temporary folder (plain .json,
as MITRE serves them); each binary gets its own data home, and a first run writes its prebuilt
indexes. Timed: cold load (`--no-index show`), warm `show`, warm `stats` (every domain), a whole
relation map, `matrix --json`, coverage of the Sigma corpus, and the 17.1 -> 18.1 diff; and the
peak RSS of a cold `stats`.
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

COMMANDS = [
    ("cold show T1059.001 (enterprise JSON)", ["--no-index", "show", "T1059.001"]),
    ("warm show T1059.001", ["show", "T1059.001"]),
    ("warm stats (6 datasets)", ["stats"]),
    ("warm relation groups_using_technique --json",
     ["relation", "groups_using_technique", "--json"]),
    ("warm matrix --subtechniques --json", ["matrix", "--subtechniques", "--json"]),
    ("warm coverage sigma --json", ["coverage", "{sigma}", "--json"]),
    ("warm diff 17.1 -> 18.1 --json", ["diff", "--from", "17.1", "--to", "18.1", "--json"]),
]


def run(binary, args, env):
    start = time.perf_counter()
    subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, env=env)
    return (time.perf_counter() - start) * 1000


def peak_rss_mb(binary, args, env):
    out = subprocess.run(["/usr/bin/time", "-f", "%M", binary] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True, env=env)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    parser.add_argument("--sigma", default=os.path.join(REPO, "..", "shared", "corpora", "sigma"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="attackdb-before-after-")
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        for domain in ["enterprise-attack", "mobile-attack", "ics-attack"]:
            for release in ["17.1", "18.1"]:
                name = f"{domain}-{release}.json"
                with gzip.open(os.path.join(args.data, domain, name + ".gz")) as src, \
                        open(os.path.join(data, name), "wb") as dst:
                    shutil.copyfileobj(src, dst)
        envs = {}
        for label, binary in [("before", args.before), ("after", args.after)]:
            env = dict(os.environ)
            env.pop("ATTACKDB_DATA", None)
            env["ATTACKDB_HOME"] = os.path.join(work, "home-" + label)
            envs[label] = env
        # Each binary writes its own prebuilt indexes into a copy of the data.
        for label in envs:
            copy = os.path.join(work, "data-" + label)
            shutil.copytree(data, copy)
            envs[label]["DATA"] = copy
            subprocess.run([getattr(args, label), "--data", copy, "stats"],
                           stdout=subprocess.DEVNULL, check=True, env=envs[label])
        print(f"{'command':48} {'before ms':>10} {'after ms':>10} {'after/before':>13}")
        for name, command in COMMANDS:
            times = {"before": [], "after": []}
            for _ in range(args.runs):
                for label in ["before", "after"]:
                    env = envs[label]
                    full = ["--data", env["DATA"]] + [c.replace("{sigma}", args.sigma)
                                                      for c in command]
                    times[label].append(run(getattr(args, label), full, env))
            b = statistics.median(times["before"])
            a = statistics.median(times["after"])
            print(f"{name:48} {b:10.1f} {a:10.1f} {a / b:13.2f}")
        for label in ["before", "after"]:
            env = envs[label]
            rss = peak_rss_mb(getattr(args, label), ["--data", env["DATA"], "--no-index", "stats"],
                              env)
            print(f"peak RSS cold stats, {label}: {rss:.1f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
