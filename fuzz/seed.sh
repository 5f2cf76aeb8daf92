#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ (local, never committed) from the real files of ../shared and the
# project's fixtures, then the fuzz runs start from real inputs:
#   fuzz/seed.sh && cargo +nightly fuzz run bundle -- -max_total_time=600
set -euo pipefail
IFS=$'\n'  # file names with spaces
cd "$(dirname "$0")"
shared="${ATTACKDB_SHARED:-$(cd ../.. && pwd)/shared}"
fixtures=../crates/attackdb-coverage/tests/fixtures
seed() { local t="$1"; shift; mkdir -p "corpus/$t"; for f in "$@"; do [ -f "$f" ] && cp "$f" "corpus/$t/$(echo "$f" | md5sum | cut -c1-16)"; done; true; }
# Bundles: small slices of each real release (a few objects of every type and the
# relationships between them), so that each run of the target takes microseconds, not the
# milliseconds of a whole release.
mkdir -p corpus/bundle
for f in "$shared"/attack-stix-data/*/*.json.gz; do
  python3 - "$f" "corpus/bundle/$(basename "$f" .json.gz)" <<'PY'
import gzip, json, sys
objects = json.load(gzip.open(sys.argv[1]))["objects"]
for part, per_type in ((0, 1), (1, 3)):
    kept, count = [], {}
    for o in objects:
        if o["type"] == "relationship":
            continue
        n = count.get(o["type"], 0)
        if part <= n < part + per_type:
            kept.append({k: v for k, v in o.items() if k != "x_mitre_contents"})
        count[o["type"]] = n + 1
    ids = {o["id"] for o in kept}
    kept += [o for o in objects if o["type"] == "relationship" and o["source_ref"] in ids and o["target_ref"] in ids]
    json.dump({"type": "bundle", "id": "bundle--seed", "objects": kept}, open(f"{sys.argv[2]}-{part}.json", "w"))
PY
done
seed layer $(find "$shared/corpora/navigator-layers" "$fixtures/layers" -name '*.json')
seed sigma $(find "$shared/corpora/sigma" -name '*.yml' | head -400) $(find "$fixtures/sigma" -type f)
seed splunk $(find "$shared/corpora/splunk-security-content" -name '*.yml' | head -400)
seed elastic $(find "$fixtures/elastic" -type f)
seed csv $(find "$fixtures/csv" -type f)
mkdir -p corpus/expression
printf 'a + b' > corpus/expression/sum; printf '(a > 0 ? a : b) * 2' > corpus/expression/cond
printf 'max(a, b, abs(c - 1))' > corpus/expression/fn; printf 'not a and b or c' > corpus/expression/logic
mkdir -p corpus/server
grep -o '^    "/[^"]*",$' ../crates/attackdb-fuzz/tests/replay.rs | sed 's/^    "//; s/",$//' | while read -r r; do
  printf "%s" "$r" > "corpus/server/$(echo "$r" | md5sum | cut -c1-16)"
done
# The tables and index seeds are the small bundle's own, written by the replay test's helpers.
cargo run -q --manifest-path ../Cargo.toml -p attackdb-fuzz --example seeds -- corpus
