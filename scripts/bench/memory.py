#!/usr/bin/env python3
"""Peak memory of a cold load (`--no-index`), and of refusing a gzip bomb.

Usage: python3 scripts/bench/memory.py [--data DIR] [--release X.Y] [--binary PATH]
                                       [--bomb-mib N] [--no-bomb] [--runs N]

Builds the release binary (`cargo build --release -p attackdb`, unless --binary names one),
decompresses the release's three bundles into a temporary folder (nothing is written under
--data), and measures the peak resident set (`/usr/bin/time -f %M`, the kernel's maxrss) of

    attackdb --no-index --data <files> stats
    attackdb --no-index --data <files> show T1059.001

for the three domains and for enterprise alone, from the plain .json files and from the
.json.gz originals (each case the largest of --runs runs). Then it writes a gzip bomb into the
temporary folder (--bomb-mib MiB of zeros, 1536 by default, streamed through zlib: about
1.5 MB on disk; never kept) and measures refusing it at the default 512 MiB bundle limit,
with and without the prebuilt index path. Figures in MiB (maxrss KiB / 1024). Targets: three domains within 100 MiB,
enterprise alone within 80 MiB, the bomb within the limit plus 64 MiB. Standard library only.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAINS = ("enterprise-attack", "mobile-attack", "ics-attack")
LIMIT_MIB = 512
MIB = 1 << 20


def peak_rss_bytes(args, env, expect_ok=True):
    """The maxrss of one run of `args` (bytes), and its stderr."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=env)
    lines = out.stderr.strip().splitlines()
    if expect_ok and out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(args)}\n{out.stderr}")
    return int(lines[-1]) * 1024, "\n".join(lines[:-1])


def make_bomb(path, mib):
    """A gzip file of `mib` MiB of zeros, written in 1 MiB steps."""
    block = bytes(1 << 20)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(compressor.compress(block))
        out.write(compressor.flush())


def build():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "attackdb"], cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(target, "release", "attackdb")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    parser.add_argument("--release", default="18.1")
    parser.add_argument("--binary", help="an attackdb binary to measure (default: build one)")
    parser.add_argument("--bomb-mib", type=int, default=1536)
    parser.add_argument("--no-bomb", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = args.binary or build()
    with tempfile.TemporaryDirectory(prefix="attackdb-memory-") as tmp:
        env = dict(os.environ, ATTACKDB_HOME=os.path.join(tmp, "home"))
        for name in ("ATTACKDB_DATA", "ATTACKDB_MAX_BUNDLE_BYTES"):
            env.pop(name, None)
        files = {"gzip": {}, "plain": {}}
        for domain in DOMAINS:
            source = os.path.join(args.data, domain, f"{domain}-{args.release}.json.gz")
            files["gzip"][domain] = source
            plain = os.path.join(tmp, f"{domain}-{args.release}.json")
            with gzip.open(source) as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            files["plain"][domain] = plain
        rows = []
        worst = {}
        for scope, domains in (("three domains", DOMAINS), ("enterprise alone", DOMAINS[:1])):
            for kind in ("plain", "gzip"):
                data = []
                for domain in domains:
                    data += ["--data", files[kind][domain]]
                for command in (["stats"], ["show", "T1059.001"]):
                    peak = max(peak_rss_bytes([binary, "--no-index"] + data + command, env)[0]
                               for _ in range(max(1, args.runs)))
                    rows.append((scope, ".json" if kind == "plain" else ".json.gz",
                                 " ".join(command), peak))
                    worst[scope] = max(worst.get(scope, 0), peak)
        print(f"peak RSS of a cold load (--no-index), ATT&CK {args.release}, "
              f"largest of {max(1, args.runs)} runs (/usr/bin/time -f %M)")
        print(f"  {'bundles':<17} {'files':<9} {'command':<15} {'peak RSS':>10}")
        for scope, kind, command, peak in rows:
            print(f"  {scope:<17} {kind:<9} {command:<15} {peak / MIB:6.1f} MiB")
        three, alone = worst["three domains"] / MIB, worst["enterprise alone"] / MIB
        print(f"  three domains at most {three:.1f} MiB (target 100 MiB: "
              f"{'PASS' if three <= 100 else 'FAIL'}); enterprise alone at most {alone:.1f} MiB "
              f"(target 80 MiB: {'PASS' if alone <= 80 else 'FAIL'})")
        if args.no_bomb:
            return
        bomb = os.path.join(tmp, "bomb", "enterprise-attack-bomb.json.gz")
        os.makedirs(os.path.dirname(bomb))
        make_bomb(bomb, args.bomb_mib)
        size = os.path.getsize(bomb)
        bound = (LIMIT_MIB + 64) * MIB
        print(f"refusing a gzip bomb: {args.bomb_mib} MiB of zeros in {size / MIB:.1f} MiB of gzip, "
              f"default limit {LIMIT_MIB} MiB (target: peak within the limit + 64 MiB, "
              f"{bound / MIB:.0f} MiB)")
        for label, extra in (("--no-index", ["--no-index"]), ("prebuilt index path", [])):
            peak, stderr = peak_rss_bytes([binary] + extra + ["--data", bomb, "stats"], env,
                                          expect_ok=False)
            refused = "larger than the limit" in stderr
            print(f"  {label:<20} peak RSS {peak / MIB:7.1f} MiB  "
                  f"{'refused' if refused else 'NOT REFUSED: ' + stderr[:200]}  "
                  f"{'PASS' if refused and peak <= bound else 'FAIL'}")


if __name__ == "__main__":
    main()
