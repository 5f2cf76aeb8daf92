#!/usr/bin/env python3
"""Side by side, in one run: mitreattack-python's diff_stix and `attackdb diff` on the same releases.

Usage: python3 scripts/bench/diff_compare.py [--data DIR] [--python PY] [--from 17.1] [--to 18.1]

Times both on all three domains (diff_stix through scripts/reference/diff_reference.py, which
also records its peak memory; attackdb cold, with --no-index, so it parses the JSON like
diff_stix does) and prints the ratio. Target: attackdb at least 20 times faster.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    parser.add_argument("--python", default="/work/venv-mitre/bin/python")
    parser.add_argument("--from", dest="old", default="17.1")
    parser.add_argument("--to", dest="new", default="18.1")
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "attackdb"], cwd=REPO, check=True)
    binary = os.path.join(REPO, "target", "release", "attackdb")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ref.json.gz")
        proc = subprocess.run(
            [args.python, os.path.join(REPO, "scripts", "reference", "diff_reference.py"),
             args.old, args.new, args.data, out],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            sys.exit("diff_stix failed (is mitreattack-python==6.3.1 installed for --python?):\n" + proc.stderr[-2000:])
        library = json.loads(proc.stdout.strip().splitlines()[-1])

        runs = []
        rss = 0.0
        env = dict(os.environ, ATTACKDB_HOME=os.path.join(tmp, "home"))
        for _ in range(3):
            start = time.perf_counter()
            timed = subprocess.run(
                ["/usr/bin/time", "-f", "%M", binary, "--no-index", "--data", args.data,
                 "diff", "--from", args.old, "--to", args.new, "--json"],
                capture_output=True, text=True, env=env,
            )
            runs.append(time.perf_counter() - start)
            if timed.returncode != 0:
                sys.exit("attackdb diff failed:\n" + timed.stderr)
            rss = max(rss, int(timed.stderr.strip().splitlines()[-1]) / 1024)
        ours = min(runs)

    ratio = library["seconds"] / ours
    print(f"diff {args.old} -> {args.new}, all three domains")
    print(f"  diff_stix (mitreattack-python)  {library['seconds']:8.2f} s   peak {library['peak_rss_mb']:7.1f} MB")
    print(f"  attackdb diff --no-index        {ours:8.3f} s   peak {rss:7.1f} MB   (best of 3, whole process)")
    print(f"  speed-up {ratio:.0f}x (target >= 20x): {'PASS' if ratio >= 20 else 'FAIL'}")
    print(f"  memory {library['peak_rss_mb'] / rss:.1f}x smaller")


if __name__ == "__main__":
    main()
