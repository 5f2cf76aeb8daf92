#!/usr/bin/env python3
"""Side-by-side benchmark of attackdb against mitreattack-python on the same ATT&CK bundles.

One run measures, on the real ATT&CK release (enterprise-attack by default, release 18.1):

  (a) load: mitreattack-python ``MitreAttackData(stix_filepath=...)`` on the decompressed
      enterprise ``.json`` vs attackdb's total load of the same file (read + parse + index);
  (b) attackdb's load vs the serde_json ``IgnoredAny`` floor (reading the file and parsing it
      into nothing: what any JSON loader of the text must at least pay);
  (c) every relation family: the library's ``get_all_*`` call, first call (its per-instance
      caches are cleared before each call) vs attackdb's ``Dataset::relation_map``;
  (d) peak RSS: the library loading the enterprise bundle only vs attackdb loading all three
      domains of the release, each in a fresh process.

and prints a table with the ratios and the targets, each marked PASS or FAIL:

  load >= 50x faster than the library; load <= 3x the IgnoredAny floor; peak RSS of all three
  domains <= 120 MB (issue 14); every relation map < 5 ms and >= 1000x faster than the library's call.

attackdb's numbers come from the ``bench_report`` example of attackdb-kb, which this script
builds first (``cargo build --release -p attackdb-kb --example bench_report``). The library runs
under ``--python`` (a Python with ``mitreattack-python==6.3.1``); this script itself needs only the
standard library. Bundles are decompressed into a temporary folder that is removed afterwards.

Usage:  python3 scripts/bench/compare.py [--data DIR] [--python PATH] [--runs N]
                                         [--json-out FILE] [--strict]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "attack-stix-data"
DEFAULT_PYTHON = "/work/venv-mitre/bin/python"
DOMAINS = ("enterprise-attack", "mobile-attack", "ics-attack")
LIBRARY_PIN = "mitreattack-python==6.3.1"

sys.path.insert(0, str(REPO / "scripts" / "reference"))
from families import FAMILIES  # noqa: E402  (library-free; shared with mitre_reference.py)

# The targets.
LOAD_VS_LIBRARY_MIN = 50.0  # attackdb load at least this many times faster than the library
LOAD_VS_IGNORED_MAX = 3.0  # attackdb load at most this many times the IgnoredAny floor
RSS_ALL_DOMAINS_MAX_MB = 120.0  # attackdb peak RSS, all three domains loaded
RELATION_MAX_MS = 5.0  # every relation map under this
RELATION_VS_LIBRARY_MIN = 1000.0  # every relation map at least this many times faster


# --------------------------------------------------------------------------------------------
# Child modes: run under --python, in a fresh process, with mitreattack-python importable.
# --------------------------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def child_library_timings(bundle: str, runs: int) -> dict:
    """Best-of-`runs` load and first-call get_all_* timings of MitreAttackData, in ms."""
    from importlib import metadata

    from mitreattack.stix20 import MitreAttackData

    load = []
    data = None
    for _ in range(runs):
        data = None
        gc.collect()
        start = time.perf_counter()
        data = MitreAttackData(stix_filepath=bundle)
        load.append((time.perf_counter() - start) * 1e3)

    def clear_caches():
        # get_all_* memoize their map in an instance attribute `all_*` (class default None);
        # resetting every one makes the next call a first call, including the maps it builds on.
        for name in list(vars(data)):
            if name.startswith("all_"):
                setattr(data, name, None)

    families = {}
    for family, method in FAMILIES.items():
        fn = getattr(data, method, None)
        if fn is None:
            families[family] = None
            continue
        best = float("inf")
        sources = None
        for _ in range(runs):
            clear_caches()
            gc.collect()
            start = time.perf_counter()
            result = fn()
            best = min(best, (time.perf_counter() - start) * 1e3)
            sources = len(result)
            del result
        families[family] = {"ms": best, "sources": sources}
    clear_caches()
    return {
        "library": f"mitreattack-python {metadata.version('mitreattack-python')}",
        "python": platform.python_version(),
        "runs": runs,
        "load_ms": min(load),
        "load_ms_all": load,
        "families": families,
    }


def child_library_rss(bundle: str) -> dict:
    """Peak RSS of a fresh interpreter that imports the library and loads `bundle`."""
    from mitreattack.stix20 import MitreAttackData

    before = _peak_rss_mib()
    start = time.perf_counter()
    data = MitreAttackData(stix_filepath=bundle)
    load_ms = (time.perf_counter() - start) * 1e3
    out = {"peak_rss_mb": _peak_rss_mib(), "peak_rss_mb_after_import": before, "load_ms": load_ms}
    del data
    return out


CHILD_MODES = {"_library-timings", "_library-rss"}


def child_main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "_library-timings":
        result = child_library_timings(argv[1], int(argv[2]))
    else:
        result = child_library_rss(argv[1])
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def die(message: str, code: int = 2):
    print(f"compare.py: {message}", file=sys.stderr)
    sys.exit(code)


def run_json(cmd: list[str], what: str, env: dict | None = None) -> dict:
    """Runs `cmd`, returns the JSON object on the last line of its stdout."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        die(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        die(f"{what} printed nothing: {' '.join(cmd)}\n{proc.stderr.strip()}")
    return json.loads(lines[-1])


def check_python(python: str):
    if not (shutil.which(python) or Path(python).is_file()):
        die(
            f"no Python at {python}. Create one with mitreattack-python:\n"
            f"    python3 -m venv /work/venv-mitre && /work/venv-mitre/bin/pip install {LIBRARY_PIN}\n"
            "or pass --python PATH."
        )
    proc = subprocess.run(
        [python, "-c", "import mitreattack.stix20"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        die(
            f"{python} cannot import mitreattack ({proc.stderr.strip().splitlines()[-1:]}).\n"
            f"Install it with:  {python} -m pip install {LIBRARY_PIN}\n"
            "(or point --python at an interpreter that has it)."
        )


def build_bench_report() -> Path:
    """Builds the release example, returns the path of its executable."""
    cmd = [
        "cargo", "build", "--release", "-p", "attackdb-kb", "--example", "bench_report",
        "--message-format=json-render-diagnostics",
    ]
    print("building: " + " ".join(cmd[:7]), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        die("cargo build failed")
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "bench_report":
            exe = msg.get("executable") or exe
    if not exe:
        die("cargo build did not report the bench_report executable")
    return Path(exe)


def decompress(src: Path, dst_dir: Path) -> Path:
    name = src.name[:-3] if src.name.endswith(".gz") else src.name
    dst = dst_dir / name
    opener = gzip.open if src.name.endswith(".gz") else open
    with opener(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return dst


def find_bundle(data: Path, domain: str, release: str) -> Path:
    for name in (f"{domain}-{release}.json.gz", f"{domain}-{release}.json"):
        for candidate in (data / domain / name, data / name):
            if candidate.is_file():
                return candidate
    die(f"no {domain}-{release}.json[.gz] under {data} (pass --data DIR)")
    raise AssertionError  # unreachable


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "n/a"
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_x(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}x"
    return f"{x:.2f}x"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help=f"folder of ATT&CK releases (<domain>/<domain>-X.Y.json.gz); default {DEFAULT_DATA}")
    ap.add_argument("--python", default=DEFAULT_PYTHON,
                    help=f"Python with {LIBRARY_PIN} installed; default {DEFAULT_PYTHON}")
    ap.add_argument("--runs", type=int, default=5, help="best of N runs for every timing (default 5)")
    ap.add_argument("--release", default="18.1", help="ATT&CK release to use (default 18.1)")
    ap.add_argument("--json-out", type=Path, help="also write every result as JSON to this file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = ap.parse_args(argv)
    if args.runs < 1:
        die("--runs must be at least 1")

    started = time.perf_counter()
    check_python(args.python)
    sources = {d: find_bundle(args.data, d, args.release) for d in DOMAINS}
    exe = build_bench_report()

    with tempfile.TemporaryDirectory(prefix="attackdb-bench-") as tmp:
        tmp = Path(tmp)
        plain = {d: decompress(p, tmp) for d, p in sources.items()}
        enterprise = str(plain["enterprise-attack"])

        print(f"attackdb: timing enterprise load and relation maps (best of {args.runs})...",
              file=sys.stderr, flush=True)
        ours = run_json([str(exe), "--runs", str(args.runs), enterprise], "bench_report")

        print("attackdb: peak RSS (fresh processes)...", file=sys.stderr, flush=True)
        mem_json = run_json([str(exe), "memory", *map(str, plain.values())], "bench_report memory")
        mem_gz = run_json([str(exe), "memory", *map(str, sources.values())], "bench_report memory")
        mem_ent = run_json([str(exe), "memory", enterprise], "bench_report memory")

        print(f"library: timing load and every get_all_* (best of {args.runs}; "
              "takes a minute or two)...", file=sys.stderr, flush=True)
        me = str(Path(__file__).resolve())
        lib = run_json([args.python, me, "_library-timings", enterprise, str(args.runs)],
                       "library timings")
        print("library: peak RSS (fresh process)...", file=sys.stderr, flush=True)
        lib_mem = run_json([args.python, me, "_library-rss", enterprise], "library peak RSS")

    # ---- targets -------------------------------------------------------------------------
    targets = []

    def target(name, value, threshold, ok, unit):
        targets.append({"target": name, "value": value, "threshold": threshold, "unit": unit,
                        "pass": bool(ok)})
        return verdict(ok)

    load_ms = ours["total_load_ms"]
    floor_ms = ours["read_ms"] + ours["ignored_any_ms"]
    in_memory_ms = ours["parse_bundle_ms"] + ours["build_ms"]
    x_library = ratio(lib["load_ms"], load_ms)
    x_floor = ratio(load_ms, floor_ms)
    x_floor_mem = ratio(in_memory_ms, ours["ignored_any_ms"])
    v_library = target("load >= 50x faster than mitreattack-python", x_library,
                       LOAD_VS_LIBRARY_MIN, x_library >= LOAD_VS_LIBRARY_MIN, "x")
    v_floor = target("load <= 3x serde IgnoredAny (read + parse)", x_floor,
                     LOAD_VS_IGNORED_MAX, x_floor <= LOAD_VS_IGNORED_MAX, "x")

    rss_all = max(mem_json["peak_rss_mb"], mem_gz["peak_rss_mb"])
    v_rss = target("peak RSS, all three domains <= 120 MB", rss_all,
                   RSS_ALL_DOMAINS_MAX_MB, rss_all <= RSS_ALL_DOMAINS_MAX_MB, "MB")

    rows = []
    for family in FAMILIES:
        ms = ours["relation_map_ms"].get(family)
        entry = lib["families"].get(family)
        lib_ms = entry["ms"] if entry else None
        speedup = ratio(lib_ms, ms) if lib_ms is not None and ms is not None else None
        ok_ms = ms is not None and ms < RELATION_MAX_MS
        ok_x = speedup is not None and speedup >= RELATION_VS_LIBRARY_MIN
        target(f"relation_map {family} < 5 ms", ms, RELATION_MAX_MS, ok_ms, "ms")
        target(f"relation_map {family} >= 1000x faster", speedup, RELATION_VS_LIBRARY_MIN, ok_x, "x")
        rows.append({
            "family": family,
            "library_ms": lib_ms,
            "attackdb_ms": ms,
            "speedup": speedup,
            "library_sources": entry["sources"] if entry else None,
            "attackdb_sources": ours["relation_map_sources"].get(family),
            "under_5ms": verdict(ok_ms),
            "x1000": verdict(ok_x),
        })

    # ---- table ---------------------------------------------------------------------------
    w = 100
    out = []
    out.append("=" * w)
    out.append(f"attackdb vs {lib['library']} (Python {lib['python']}) -- ATT&CK {args.release}, "
               f"best of {args.runs} runs, {ours['threads']} cores")
    out.append(f"enterprise bundle: {ours['bytes'] / 1e6:.1f} MB JSON, {ours['objects']:,} objects, "
               f"{ours['links']:,} relationships")
    out.append("=" * w)
    out.append("")
    out.append("(a)+(b) LOAD enterprise-attack " + args.release + " from .json             ms")
    out.append(f"  mitreattack-python MitreAttackData(stix_filepath=...)   {fmt_ms(lib['load_ms']):>10}")
    out.append(f"  attackdb total load (read + parse + index)              {fmt_ms(load_ms):>10}")
    out.append(f"    read file (read_text)                                 {fmt_ms(ours['read_ms']):>10}")
    out.append(f"    parse_bundle                                          {fmt_ms(ours['parse_bundle_ms']):>10}")
    out.append(f"    Dataset::build (index)                                {fmt_ms(ours['build_ms']):>10}")
    out.append(f"  info: attackdb via prebuilt index, cold (parse + write) {fmt_ms(ours['cached_cold_load_ms']):>10}")
    out.append(f"  info: attackdb via prebuilt index, warm (CLI restart)   {fmt_ms(ours['cached_warm_load_ms']):>10}"
               f"   ({fmt_x(ratio(lib['load_ms'], ours['cached_warm_load_ms']))} faster than the library)")
    out.append(f"  serde IgnoredAny floor (read + IgnoredAny parse)        {fmt_ms(floor_ms):>10}")
    out.append(f"    IgnoredAny parse of the text                          {fmt_ms(ours['ignored_any_ms']):>10}")
    out.append("")
    out.append(f"  {'target':<44} {'measured':>10} {'target':>10}  result")
    out.append(f"  {'load vs library (speed-up)':<44} {fmt_x(x_library):>10} {'>= 50x':>10}  {v_library}")
    out.append(f"  {'load vs IgnoredAny floor (read + parse)':<44} {fmt_x(x_floor):>10} {'<= 3x':>10}  {v_floor}")
    out.append(f"  {'  info: parse+index vs IgnoredAny, in memory':<44} {fmt_x(x_floor_mem):>10} {'':>10}  (info)")
    out.append("")
    out.append("(c) RELATION MAPS, enterprise " + args.release +
               " (library: first call, caches cleared; attackdb: Dataset::relation_map, best of "
               f"{ours.get('relation_map_runs', args.runs)})")
    out.append(f"  {'family':<42} {'sources':>9} {'library ms':>11} {'attackdb ms':>12} "
               f"{'speed-up':>9} {'<5ms':>5} {'>=1000x':>7}")
    for r in rows:
        src = f"{r['library_sources']}" if r["library_sources"] == r["attackdb_sources"] else \
            f"{r['library_sources']}/{r['attackdb_sources']}"
        out.append(f"  {r['family']:<42} {src:>9} {fmt_ms(r['library_ms']):>11} "
                   f"{fmt_ms(r['attackdb_ms']):>12} {fmt_x(r['speedup']):>9} {r['under_5ms']:>5} {r['x1000']:>7}")
    worst_ms = max((r["attackdb_ms"] for r in rows if r["attackdb_ms"] is not None), default=None)
    worst_x = min((r["speedup"] for r in rows if r["speedup"] is not None), default=None)
    rel_fail = [t for t in targets if t["target"].startswith("relation_map") and not t["pass"]]
    out.append(f"  slowest attackdb map {fmt_ms(worst_ms)} ms (target < 5 ms); smallest speed-up "
               f"{fmt_x(worst_x)} (target >= 1000x): {verdict(not rel_fail)}")
    if any(r["library_sources"] != r["attackdb_sources"] for r in rows):
        out.append("  note: 'a/b' in sources = the two maps have a different number of keys")
    out.append("")
    out.append("(d) PEAK RSS (fresh processes)                                   MB")
    out.append(f"  mitreattack-python, enterprise only (ru_maxrss)         {lib_mem['peak_rss_mb']:>10.1f}"
               f"   (interpreter + import alone: {lib_mem['peak_rss_mb_after_import']:.1f})")
    out.append(f"  attackdb, all three domains from .json (VmHWM)          {mem_json['peak_rss_mb']:>10.1f}")
    out.append(f"  attackdb, all three domains from .json.gz (VmHWM)       {mem_gz['peak_rss_mb']:>10.1f}")
    out.append(f"  attackdb, enterprise only from .json (VmHWM)            {mem_ent['peak_rss_mb']:>10.1f}   (info)")
    out.append(f"  {'attackdb all three domains (worse of .json/.json.gz)':<44} {rss_all:>9.1f}  "
               f"{'<= 120 MB':>9}  {v_rss}")
    out.append(f"  {'  vs library enterprise only':<44} "
               f"{fmt_x(ratio(lib_mem['peak_rss_mb'], rss_all)):>9} smaller")
    out.append("")
    passed = sum(t["pass"] for t in targets)
    out.append("=" * w)
    out.append(f"TARGETS: {passed}/{len(targets)} PASS")
    for t in targets:
        if not t["pass"]:
            value = "n/a" if t["value"] is None else f"{t['value']:.3g}{t['unit']}"
            out.append(f"  FAIL  {t['target']}: measured {value}, threshold {t['threshold']:g}{t['unit']}")
    out.append(f"(compare.py wall time {time.perf_counter() - started:.0f} s)")
    out.append("=" * w)
    print("\n".join(out))

    if args.json_out:
        doc = {
            "release": args.release,
            "runs": args.runs,
            "bundles": {d: str(p) for d, p in sources.items()},
            "attackdb": ours,
            "attackdb_memory": {"all_json": mem_json, "all_json_gz": mem_gz, "enterprise_json": mem_ent},
            "library": lib,
            "library_memory": lib_mem,
            "ratios": {
                "load_speedup_vs_library": x_library,
                "load_vs_ignored_any_floor": x_floor,
                "parse_index_vs_ignored_any_in_memory": x_floor_mem,
                "warm_prebuilt_index_speedup_vs_library": ratio(lib["load_ms"], ours["cached_warm_load_ms"]),
                "peak_rss_library_over_attackdb": ratio(lib_mem["peak_rss_mb"], rss_all),
            },
            "relations": rows,
            "targets": targets,
            "passed": passed,
            "total": len(targets),
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(f"results written to {args.json_out}", file=sys.stderr)
    return 1 if args.strict and passed < len(targets) else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in CHILD_MODES:
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
