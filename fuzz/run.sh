#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 300), one job, without a sanitizer
# (the code forbids unsafe; speed buys executions), and prints libFuzzer's
# final statistics (executions, speed, corpus size, coverage). Needs nightly and cargo-fuzz:
#   fuzz/seed.sh && fuzz/run.sh 300
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
cargo +nightly fuzz build -s none >/dev/null 2>&1 || { echo "cargo +nightly fuzz build failed" >&2; exit 1; }
bin=target/x86_64-unknown-linux-gnu/release
for t in ${TARGETS:-bundle tables index layer sigma splunk elastic csv expression server}; do
  mkdir -p "corpus/$t" "artifacts/$t"
  "$bin/$t" "corpus/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" 2>"artifacts/$t.log"
  echo "$t exit=$? $(grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "artifacts/$t.log" | tr '\n' ' ') $(grep -E '^#[0-9]+.*DONE' "artifacts/$t.log" | tail -1)"
done
