#!/usr/bin/env python3
"""Time `attackdb coverage` against `sigma analyze attack` (sigma-cli) on the same Sigma rules,
print the ratio, and explain every difference in the per-technique rule counts.

Both tools run end to end as a user runs them (process start to written output), each several
times; the best and median wall times are printed. sigma-cli is pointed at the same ATT&CK 18.1
bundle (it would otherwise download MITRE's newest), through pySigma's `set_url`, with its disk
cache in a temporary folder, warmed by one untimed run as it is in everyday use.

    python3 -m venv /work/venv-sigma && /work/venv-sigma/bin/pip install sigma-cli
    cargo build --release -p attackdb
    python3 scripts/bench/coverage_compare.py [--runs 5] [--rules ../shared/corpora/sigma]
"""

import argparse
import collections
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SIGMA_BOOTSTRAP = """
import sys
import sigma.data.mitre_attack as mitre
mitre.set_url(sys.argv.pop(1))
mitre.set_cache_dir(sys.argv.pop(1))
from sigma.cli.main import main
sys.argv[0] = "sigma"
main()
"""


def timed(command, runs, env=None):
    """Best and median wall time of `runs` runs of `command` (which must succeed)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode()[-2000:]}")
    return min(times), statistics.median(times)


def is_technique(key):
    head, _, tail = key.partition(".")
    return (
        len(head) == 5
        and head[0] == "T"
        and head[1:].isdigit()
        and (not tail or (len(tail) == 3 and tail.isdigit()))
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attackdb", default=ROOT / "target/release/attackdb", type=Path)
    parser.add_argument("--data", default=ROOT / "../shared/attack-stix-data", type=Path)
    parser.add_argument("--rules", default=ROOT / "../shared/corpora/sigma", type=Path)
    parser.add_argument("--python", default=Path("/work/venv-sigma/bin/python"), type=Path)
    parser.add_argument("--release", default="18.1")
    parser.add_argument("--runs", default=5, type=int)
    args = parser.parse_args()

    bundle = args.data / "enterprise-attack" / f"enterprise-attack-{args.release}.json"
    tmp = Path(tempfile.mkdtemp(prefix="coverage-compare-"))
    try:
        if not bundle.exists():
            packed = bundle.with_suffix(".json.gz")
            bundle = tmp / bundle.name
            with gzip.open(packed, "rb") as src, open(bundle, "wb") as dst:
                shutil.copyfileobj(src, dst)
        sigma_layer = tmp / "sigma-cli-layer.json"
        sigma_cmd = [
            str(args.python), "-c", SIGMA_BOOTSTRAP, str(bundle), str(tmp / "cache"),
            "analyze", "attack", "count", str(sigma_layer), str(args.rules),
        ]
        attackdb_json = tmp / "attackdb.json"
        attackdb_cmd = [
            str(args.attackdb), "--data", str(args.data), "--release", args.release,
            "coverage", str(args.rules), "--json",
            "--layer", str(tmp / "attackdb-layer.json"),
            "--report", str(tmp / "attackdb-report.html"),
        ]
        env = dict(os.environ)
        env.pop("ATTACKDB_DATA", None)
        # Warm-up: fills sigma-cli's ATT&CK cache and the OS file cache for both.
        timed(sigma_cmd, 1)
        timed(attackdb_cmd, 1, env)
        sigma_best, sigma_median = timed(sigma_cmd, args.runs)
        ours_best, ours_median = timed(attackdb_cmd, args.runs, env)
        with open(attackdb_json, "wb") as out:
            subprocess.run(attackdb_cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, check=True)

        print(f"rules: {args.rules} ({sum(1 for _ in args.rules.rglob('*.yml'))} .yml files), ATT&CK {args.release}, {args.runs} runs each")
        print(f"sigma analyze attack count   best {sigma_best:7.3f} s   median {sigma_median:7.3f} s")
        print(f"attackdb coverage (json+layer+html)   best {ours_best:7.3f} s   median {ours_median:7.3f} s")
        print(f"ratio (sigma-cli / attackdb, medians): {sigma_median / ours_median:.1f}x")

        compare(json.loads(sigma_layer.read_text()), json.loads(attackdb_json.read_text()), args.rules)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare(sigma_layer, ours, rules_dir):
    """Explains where the per-technique counts differ."""
    # sigma-cli writes one entry per technique and tactic, each with the technique's score.
    theirs = {}
    for entry in sigma_layer.get("techniques", []):
        theirs[entry["techniqueID"]] = max(theirs.get(entry["techniqueID"], 0), int(entry.get("score", 0)))
    mine = {key: value["rules"] for key, value in ours["techniques"].items()}
    not_techniques = sorted(k for k in theirs if not is_technique(k))
    print()
    print(f"sigma-cli layer entries: {len(theirs)}; of them not technique IDs: {len(not_techniques)}")
    if not_techniques:
        print("  (sigma-cli scores every attack.* tag: tactics, groups, software) e.g. "
              + ", ".join(f"{k}={theirs[k]}" for k in not_techniques[:8]))
    their_techniques = {k: v for k, v in theirs.items() if is_technique(k)}
    print(f"technique IDs: sigma-cli {len(their_techniques)}, attackdb {len(mine)}")
    same = sum(1 for k, v in their_techniques.items() if mine.get(k) == v)
    print(f"  identical rule counts: {same}")
    # Rules that repeat a technique tag are counted once per tag by sigma-cli, once by attackdb.
    repeats = collections.Counter()
    for path in rules_dir.rglob("*.yml"):
        tags = []
        in_tags = False
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if not line.startswith((" ", "\t", "-")):
                in_tags = line.startswith("tags:")
                continue
            if in_tags and stripped.startswith("- "):
                tag = stripped[2:].split("#")[0].strip().lower()
                if tag.startswith("attack.t") and tag[8:9].isdigit():
                    tags.append(tag[7:].upper())
        for tag, n in collections.Counter(tags).items():
            if n > 1:
                repeats[tag] += n - 1
    explained = 0
    for key in sorted(set(their_techniques) | set(mine)):
        a, b = their_techniques.get(key, 0), mine.get(key, 0)
        if a == b:
            continue
        reasons = []
        if repeats.get(key) and a - repeats[key] == b:
            reasons.append(f"{repeats[key]} rule(s) repeat the tag")
            explained += 1
        if key in ours["revoked_ids"]:
            reasons.append(f"revoked, attackdb counts it as {ours['revoked_ids'][key]}")
            explained += 1
        if key in ours["unknown_ids"]:
            reasons.append("unknown to the release")
        print(f"  {key}: sigma-cli {a}, attackdb {b}" + (f" ({'; '.join(reasons)})" if reasons else ""))
    errors = len(ours["errors"])
    print(f"  files attackdb could not read: {errors}")


if __name__ == "__main__":
    main()
