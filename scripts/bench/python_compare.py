#!/usr/bin/env python3
"""attackdb's Python `MitreAttackData` against mitreattack-python 6.3.1, side by side in one run.

Measured on enterprise 18.1 (decompressed once into a temporary folder: the library reads only
plain JSON, and both tools then read the same file):

  (a) the constructor, `MitreAttackData(stix_filepath=...)`, each run in a fresh process, with its
      peak RSS (`ru_maxrss`, import included): the library; attackdb on its first load of the
      bundle (JSON parsed, prebuilt index written in the background), on a later load (the index
      read), and with `use_index=False` (JSON parsed every time);
  (b) `get_all_techniques_used_by_all_groups()`, first call (the library's cache attribute
      cleared; attackdb on a fresh instance, so that every Python object is made anew);
  (c) `get_object_by_attack_id(...)` over 60 IDs of every type, per call;
  (d) for information: a few other methods.

Targets, each marked PASS or FAIL: constructor >= 30x faster and peak RSS <= 1/3 of the
library's; (b) >= 100x faster; (c) >= 100x faster.

Usage:  python3 scripts/bench/python_compare.py [--data DIR] [--python PY] [--runs N]
                                                [--json-out FILE] [--strict]

`--python` names an interpreter with both `attackdb` (pip install ./crates/attackdb-py) and
`mitreattack-python==6.3.1` installed (default: this one). Run it on an idle machine.
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "attack-stix-data"
TARGETS = {"load_speedup": 30.0, "load_memory_ratio": 1 / 3, "map_speedup": 100.0, "attack_id_speedup": 100.0}


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---- child modes (fresh processes) ----------------------------------------------------------


def child_load(tool: str, mode: str, bundle: str) -> dict:
    if tool == "library":
        from mitreattack.stix20 import MitreAttackData

        start = time.perf_counter()
        MitreAttackData(stix_filepath=bundle)
    else:
        from attackdb import MitreAttackData

        start = time.perf_counter()
        MitreAttackData(stix_filepath=bundle, use_index=(mode != "parse"))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mib": peak_rss_mib()}


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def child_queries(bundle: str, runs: int) -> dict:
    import attackdb
    from mitreattack.stix20 import MitreAttackData as Library

    library = Library(stix_filepath=bundle)
    ours = attackdb.MitreAttackData(stix_filepath=bundle)
    attackdb._native.finish_index_writes()
    out = {}

    def library_map():
        library.all_techniques_used_by_all_groups = None
        return library.get_all_techniques_used_by_all_groups()

    def our_map_fresh():
        fresh = attackdb.MitreAttackData(stix_filepath=bundle)  # warm index: not what is timed
        start = time.perf_counter()
        fresh.get_all_techniques_used_by_all_groups()
        return time.perf_counter() - start

    out["map_library_s"] = best(library_map, max(1, runs // 2))
    out["map_attackdb_s"] = min(our_map_fresh() for _ in range(max(5, runs)))
    assert len(library_map()) == len(ours.get_all_techniques_used_by_all_groups())

    probes = []
    objects = [o for o in ours._native.all_objects() if o.type in ours.stix_types]
    step = max(1, len(objects) // 60)
    for obj in objects[::step][:60]:
        attack_id = ours.get_attack_id(obj.id) or next(
            (r["external_id"] for r in obj.get("external_references", []) if r.get("external_id")), None
        )
        if attack_id:
            probes.append((attack_id, obj.type))

    def lookups(data):
        return [data.get_object_by_attack_id(a, t) for a, t in probes]

    mine = [o and o["id"] for o in lookups(ours)]
    theirs = [o and o["id"] for o in lookups(library)]
    assert mine == theirs, "the two tools disagree"
    out["attack_id_probes"] = len(probes)
    out["attack_id_library_s"] = best(lambda: lookups(library), max(1, runs // 2)) / len(probes)
    fresh = attackdb.MitreAttackData(stix_filepath=bundle)
    start = time.perf_counter()
    lookups(fresh)
    out["attack_id_attackdb_first_s"] = (time.perf_counter() - start) / len(probes)
    out["attack_id_attackdb_s"] = best(lambda: lookups(ours), runs) / len(probes)

    technique = ours.get_object_by_attack_id("T1059.001", "attack-pattern").id
    extras = {
        "get_techniques()": lambda d: d.get_techniques(),
        "get_software(remove_revoked_deprecated=True)": lambda d: d.get_software(remove_revoked_deprecated=True),
        "get_objects_by_content('LSASS')": lambda d: d.get_objects_by_content("LSASS"),
        "get_tactics_by_technique(T1059.001)": lambda d: d.get_tactics_by_technique(technique),
        "get_procedure_examples_by_technique(T1059.001)": lambda d: d.get_procedure_examples_by_technique(technique),
        "get_techniques_by_platform('Linux')": lambda d: d.get_techniques_by_platform("Linux"),
        "get_groups_by_alias('Cozy Bear')": lambda d: d.get_groups_by_alias("Cozy Bear"),
    }
    out["extras"] = {
        name: {"library_s": best(lambda: fn(library), max(1, runs // 2)), "attackdb_s": best(lambda: fn(ours), runs)}
        for name, fn in extras.items()
    }
    return out


# ---- driver ---------------------------------------------------------------------------------


def run_child(python: str, args: list[str], env: dict) -> dict:
    result = subprocess.run([python, __file__, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"child {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args()

    source = args.data / "enterprise-attack" / "enterprise-attack-18.1.json.gz"
    if not source.exists():
        sys.exit(f"{source}: not found (pass --data)")
    work = Path(tempfile.mkdtemp(prefix="attackdb-pybench-"))
    try:
        bundle = work / "enterprise-attack-18.1.json"
        with gzip.open(source, "rb") as src, open(bundle, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        env = dict(os.environ)
        loads = {}

        def measure(tool, mode, fresh_home):
            rows = []
            for i in range(args.runs):
                home = work / (f"home-{mode}-{i}" if fresh_home else "home-warm")
                rows.append(run_child(args.python, ["_load", tool, mode, str(bundle)], dict(env, ATTACKDB_HOME=str(home))))
            return {
                "seconds": min(r["seconds"] for r in rows),
                "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in rows),
            }

        loads["library"] = measure("library", "-", True)
        loads["attackdb first load"] = measure("attackdb", "first", True)
        run_child(args.python, ["_load", "attackdb", "first", str(bundle)], dict(env, ATTACKDB_HOME=str(work / "home-warm")))
        loads["attackdb later loads"] = measure("attackdb", "warm", False)
        loads["attackdb use_index=False"] = measure("attackdb", "parse", True)
        queries = run_child(args.python, ["_queries", str(bundle), str(args.runs)], dict(env, ATTACKDB_HOME=str(work / "home-q")))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lib = loads["library"]
    verdicts = []

    def verdict(name, value, ok):
        verdicts.append({"target": name, "value": value, "pass": ok})
        return "PASS" if ok else "FAIL"

    print(f"mitreattack-python vs attackdb (Python), enterprise 18.1, best of {args.runs}\n")
    print(f"{'constructor':34} {'seconds':>9} {'peak RSS MiB':>13} {'speedup':>9} {'RSS ratio':>10}")
    for name, row in loads.items():
        speed = lib["seconds"] / row["seconds"]
        ratio = row["peak_rss_mib"] / lib["peak_rss_mib"]
        marks = ""
        if name != "library":
            marks = (
                f"  {verdict(f'load speedup ({name})', speed, speed >= TARGETS['load_speedup'])} >=30x"
                f"  {verdict(f'load RSS ratio ({name})', ratio, ratio <= TARGETS['load_memory_ratio'])} <=1/3"
            )
        print(f"{name:34} {row['seconds']:9.3f} {row['peak_rss_mib']:13.1f} {speed:8.1f}x {ratio:10.2f}{marks}")
    map_speed = queries["map_library_s"] / queries["map_attackdb_s"]
    id_speed = queries["attack_id_library_s"] / queries["attack_id_attackdb_s"]
    id_first = queries["attack_id_library_s"] / queries["attack_id_attackdb_first_s"]
    print()
    print(f"{'query':52} {'library':>11} {'attackdb':>11} {'speedup':>10}")
    print(
        f"{'get_all_techniques_used_by_all_groups() first call':52} {queries['map_library_s'] * 1e3:9.1f}ms "
        f"{queries['map_attackdb_s'] * 1e3:9.2f}ms {map_speed:9.0f}x  "
        f"{verdict('get_all_techniques_used_by_all_groups speedup', map_speed, map_speed >= TARGETS['map_speedup'])} >=100x"
    )
    print(
        f"{'get_object_by_attack_id() per call':52} {queries['attack_id_library_s'] * 1e3:9.2f}ms "
        f"{queries['attack_id_attackdb_s'] * 1e6:9.1f}us {id_speed:9.0f}x  "
        f"{verdict('get_object_by_attack_id speedup', id_speed, id_speed >= TARGETS['attack_id_speedup'])} >=100x"
    )
    print(
        f"{'  (first calls on a fresh instance)':52} {'':11} {queries['attack_id_attackdb_first_s'] * 1e6:9.1f}us {id_first:9.0f}x"
    )
    for name, row in queries["extras"].items():
        print(f"{name:52} {row['library_s'] * 1e3:9.2f}ms {row['attackdb_s'] * 1e3:9.3f}ms {row['library_s'] / row['attackdb_s']:9.0f}x")
    if args.json_out:
        args.json_out.write_text(json.dumps({"loads": loads, "queries": queries, "targets": verdicts}, indent=1) + "\n")
    failed = [v["target"] for v in verdicts if not v["pass"]]
    print("\ntargets failed: " + (", ".join(failed) if failed else "none"))
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        print(json.dumps(child_load(sys.argv[2], sys.argv[3], sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "_queries":
        print(json.dumps(child_queries(sys.argv[2], int(sys.argv[3]))))
    else:
        sys.exit(main())
