#!/usr/bin/env python3
"""The team's workspace under `attackdb serve`, on SQLite and on PostgreSQL, in one run.

Usage: python3 scripts/bench/workspace.py [--bin target/release/attackdb] [--data DIR]
                                          [--postgres postgres://USER:PASS@HOST/postgres]
                                          [--saves 300] [--seconds 10] [--json-out FILE]

Needs Debian's `wrk`, and `psql` for PostgreSQL (`--postgres`, else ATTACKDB_TEST_POSTGRES; a
fresh database is made for the run). For each backend it measures, on loopback:
- saving a 700-technique layer (every technique a score, a colour and a comment): `--saves`
  new revisions one after another (PUT with If-Match, each a transaction on disk), p50 and p99
  of the whole HTTP request as the client sees it; and `--saves` new layers (POST) likewise
  (goal: p99 within 20 ms on SQLite);
- reads of a saved layer per second with wrk, 16 connections: `/layers/ID/layer.json` (what the
  ATT&CK Navigator opens) and `/api/v1/workspace/layers/ID` (goal: at least 1,000/s);
- ATT&CK reads (`GET /api/v1/objects/T1059.001`) per second with wrk, alone and while a writer
  saves revisions as fast as it can: the ratio shows whether writes slow ATT&CK's answers.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import free_port, wrk  # noqa: E402  (the same wrk run and parse)


def start(binary, data, database, home):
    port = free_port()
    env = dict(os.environ, ATTACKDB_HOME=home)
    env.pop("ATTACKDB_DATA", None)
    proc = subprocess.Popen([binary, "--data", data, "serve", "--listen", f"127.0.0.1:{port}",
                             "--quiet", "--database", database],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = time.time() + 300
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("serving"):
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, port
        if proc.poll() is not None:
            sys.exit(f"attackdb serve stopped (database {database})")
    proc.kill()
    sys.exit("attackdb serve did not start in time")


def layer_of(port, n=700):
    """A layer of `n` technique annotations on the newest Enterprise release: each technique
    and sub-technique in each of its tactics, as the Navigator writes them (691 techniques and
    sub-techniques in 18.1 make 800-odd (technique, tactic) cells)."""
    cells = []
    for kind in ("techniques", "subtechniques"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/list/{kind}") as r:
            cells += [(row["attack_id"], tactic) for row in json.load(r) for tactic in row["tactics"]]
    if len(cells) < n:
        sys.exit(f"only {len(cells)} technique cells listed; expected at least {n}")
    colours = ["#66b1ff", "#ff6666", "#8ec843", "#ffe766"]
    return json.dumps({
        "name": "bench layer", "domain": "enterprise-attack",
        "versions": {"layer": "4.5", "navigator": "5.1.0"},
        "techniques": [{"techniqueID": t, "tactic": tactic, "score": i % 100, "color": colours[i % 4],
                        "comment": f"rule {i}: seen on servers", "enabled": True}
                       for i, (t, tactic) in enumerate(cells[:n])],
        "gradient": {"colors": ["#ff6666", "#ffe766", "#8ec843"], "minValue": 0, "maxValue": 100},
    }).encode()


def timed(conn, method, path, body, headers):
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    return response.status, response.getheader("ETag"), payload, elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_backend(name, binary, data, database, saves, seconds):
    home = tempfile.mkdtemp(prefix="attackdb-bench-home-")
    proc, port = start(binary, data, database, home)
    try:
        body = layer_of(port)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json"}
        status, etag, payload, _ = timed(conn, "POST", "/api/v1/workspace/layers", body, headers)
        assert status == 201, payload[:300]
        layer_id = json.loads(payload)["id"]
        assert json.loads(payload)["techniques"] == 700
        updates = []
        for _ in range(saves):
            status, etag, payload, ms = timed(conn, "PUT", f"/api/v1/workspace/layers/{layer_id}",
                                              body, dict(headers, **{"If-Match": etag}))
            assert status == 200, payload[:300]
            updates.append(ms)
        creates = []
        for _ in range(saves):
            status, _, payload, ms = timed(conn, "POST", "/api/v1/workspace/layers", body, headers)
            assert status == 201, payload[:300]
            creates.append(ms)
        conn.close()
        base = f"http://127.0.0.1:{port}"
        reads_json, reads_json_p99, e1 = wrk(f"{base}/layers/{layer_id}/layer.json", seconds, 16)
        reads_rest, reads_rest_p99, e2 = wrk(f"{base}/api/v1/workspace/layers/{layer_id}", seconds, 16)
        attack_alone, attack_alone_p99, e3 = wrk(f"{base}/api/v1/objects/T1059.001", seconds, 16)
        # The same ATT&CK reads while one writer saves revisions without pause.
        stop = threading.Event()
        written = [0]

        def writer():
            c = http.client.HTTPConnection("127.0.0.1", port)
            tag = None
            c.request("GET", f"/api/v1/workspace/layers/{layer_id}")
            r = c.getresponse()
            r.read()
            tag = r.getheader("ETag")
            while not stop.is_set():
                c.request("PUT", f"/api/v1/workspace/layers/{layer_id}", body=body,
                          headers=dict(headers, **{"If-Match": tag}))
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    tag = r.getheader("ETag")
                    written[0] += 1
            c.close()

        t = threading.Thread(target=writer)
        t.start()
        attack_busy, attack_busy_p99, e4 = wrk(f"{base}/api/v1/objects/T1059.001", seconds, 16)
        stop.set()
        t.join()
        return {
            "backend": name,
            "update_p50_ms": statistics.median(updates), "update_p99_ms": percentile(updates, 99),
            "create_p50_ms": statistics.median(creates), "create_p99_ms": percentile(creates, 99),
            "layer_json_reads_per_s": reads_json, "layer_json_p99_ms": reads_json_p99,
            "rest_layer_reads_per_s": reads_rest, "rest_layer_p99_ms": reads_rest_p99,
            "attack_reads_per_s_alone": attack_alone, "attack_p99_ms_alone": attack_alone_p99,
            "attack_reads_per_s_while_writing": attack_busy,
            "attack_p99_ms_while_writing": attack_busy_p99,
            "writes_during_that": written[0],
            "errors": e1 + e2 + e3 + e4,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def fresh_postgres(url):
    name = f"bench_{os.getpid()}_{int(time.time())}"
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                   check=True)
    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0]
    return f"{server}/{name}" + (f"?{query}" if query else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(REPO, "target/release/attackdb"))
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    parser.add_argument("--postgres", default=os.environ.get("ATTACKDB_TEST_POSTGRES"))
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="attackdb-bench-ws-")
    backends = [("sqlite", os.path.join(scratch, "workspace.db"))]
    if args.postgres:
        backends.append(("postgres", fresh_postgres(args.postgres)))
    else:
        print("!!! no PostgreSQL (--postgres or ATTACKDB_TEST_POSTGRES): SQLite only !!!")
    results = [bench_backend(n, args.bin, args.data, db, args.saves, args.seconds)
               for n, db in backends]
    print(f"\n{args.saves} saves of a 700-technique layer each way; wrk {args.seconds} s, 16 connections\n")
    print("| measure | " + " | ".join(r["backend"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    rows = [
        ("save a revision (PUT), p50 ms", "update_p50_ms", "{:.2f}"),
        ("save a revision (PUT), p99 ms", "update_p99_ms", "{:.2f}"),
        ("save a new layer (POST), p50 ms", "create_p50_ms", "{:.2f}"),
        ("save a new layer (POST), p99 ms", "create_p99_ms", "{:.2f}"),
        ("reads/s of /layers/ID/layer.json", "layer_json_reads_per_s", "{:,.0f}"),
        ("reads/s of /api/v1/workspace/layers/ID", "rest_layer_reads_per_s", "{:,.0f}"),
        ("ATT&CK reads/s alone", "attack_reads_per_s_alone", "{:,.0f}"),
        ("ATT&CK reads/s while writing", "attack_reads_per_s_while_writing", "{:,.0f}"),
        ("ATT&CK p99 ms alone", "attack_p99_ms_alone", "{:.2f}"),
        ("ATT&CK p99 ms while writing", "attack_p99_ms_while_writing", "{:.2f}"),
        ("revisions written meanwhile", "writes_during_that", "{}"),
        ("errors (non-2xx, socket)", "errors", "{}"),
    ]
    for label, key, fmt in rows:
        print(f"| {label} | " + " | ".join(fmt.format(r[key]) for r in results) + " |")
    for r in results:
        ratio = r["attack_reads_per_s_while_writing"] / r["attack_reads_per_s_alone"]
        verdict = "PASS" if r["update_p99_ms"] <= 20 or r["backend"] != "sqlite" else "FAIL"
        reads = "PASS" if r["layer_json_reads_per_s"] >= 1000 else "FAIL"
        print(f"{r['backend']}: save p99 {r['update_p99_ms']:.2f} ms ({verdict} for SQLite's 20 ms); "
              f"layer reads {r['layer_json_reads_per_s']:,.0f}/s ({reads} for 1,000/s); "
              f"ATT&CK reads while writing / alone = {ratio:.2f}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
