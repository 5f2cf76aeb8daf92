#!/usr/bin/env python3
"""`attackdb serve` under load, side by side with nginx serving the same bytes, in one run.

Usage: python3 scripts/bench/serve_load.py [--bin target/release/attackdb] [--seconds 15]
                                           [--soak 60] [--data DIR]

Needs Debian's `wrk` and `nginx` (apt-get install wrk nginx-light). Measures, on loopback:
- time from starting the server on the three 18.1 bundles (prebuilt indexes written by a first
  run) until /readyz answers 200 (target < 100 ms);
- `GET /api/v1/objects/T1059.001`: requests/s, p99 latency and errors with wrk, against nginx
  serving the same response bytes as a static file (target: at least half of nginx's
  requests/s, p99 < 10 ms, no errors);
- the server's resident memory every 5 s over a `--soak` seconds wrk run (target: flat);
- paging every object of enterprise 18.1 over TAXII with limit=1000 (target < 1 s in total).
"""
import argparse
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTERPRISE = "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, seconds, connections=32, threads=2):
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = 0
    for pattern in [r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"]:
        m = re.search(pattern, out)
        if m:
            errors += sum(int(g) for g in m.groups())
    return rps, float(p99.group(1)) * scale, errors


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_ready(url, process, timeout=60):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit("the server exited")
        time.sleep(0.001)
    raise SystemExit("the server did not become ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "attackdb"))
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "attack-stix-data"))
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--soak", type=int, default=60)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="attackdb-serve-load-")
    os.chmod(work, 0o755)  # nginx's workers run as another user
    procs = []
    try:
        data = os.path.join(work, "data")
        os.makedirs(data)
        for domain in ["enterprise-attack", "mobile-attack", "ics-attack"]:
            name = f"{domain}-18.1.json"
            with gzip.open(os.path.join(args.data, domain, name + ".gz")) as src, \
                    open(os.path.join(data, name), "wb") as dst:
                shutil.copyfileobj(src, dst)
        env = dict(os.environ, ATTACKDB_HOME=os.path.join(work, "home"))
        env.pop("ATTACKDB_DATA", None)
        subprocess.run([args.bin, "--data", data, "stats"], stdout=subprocess.DEVNULL, check=True,
                       env=env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        starts = []
        for _ in range(5):
            p = subprocess.Popen([args.bin, "--data", data, "serve", "--listen",
                                  f"127.0.0.1:{port}", "--quiet"], env=env,
                                 stdout=subprocess.DEVNULL)
            starts.append(wait_ready(url, p) * 1000)
            p.terminate()
            p.wait()
        print(f"ready after start (3 x 18.1, prebuilt indexes): min {min(starts):.1f} ms, "
              f"median {sorted(starts)[2]:.1f} ms (target < 100 ms)")

        server = subprocess.Popen([args.bin, "--data", data, "serve", "--listen",
                                   f"127.0.0.1:{port}", "--quiet"], env=env,
                                  stdout=subprocess.DEVNULL)
        procs.append(server)
        wait_ready(url, server)
        route = "/api/v1/objects/T1059.001"
        with urllib.request.urlopen(url + route) as r:
            body = r.read()
        root = os.path.join(work, "www")
        os.makedirs(root)
        with open(os.path.join(root, "T1059.001"), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(root, "T1059.001"), 0o644)
        nginx_port = free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes auto; daemon off; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ }} default_type application/json;
  server {{ listen 127.0.0.1:{nginx_port}; root {root}; location / {{ }} }} }}
""")
        nginx = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
        procs.append(nginx)
        time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{nginx_port}/T1059.001") as r:
            assert r.read() == body, "nginx serves the same bytes"
        wrk(url + route, 2)  # warm up
        ours = wrk(url + route, args.seconds)
        theirs = wrk(f"http://127.0.0.1:{nginx_port}/T1059.001", args.seconds)
        print(f"GET {route} ({len(body)} bytes), wrk -t2 -c32 {args.seconds}s:")
        print(f"  attackdb: {ours[0]:10.0f} req/s  p99 {ours[1]:6.2f} ms  errors {ours[2]}")
        print(f"  nginx:    {theirs[0]:10.0f} req/s  p99 {theirs[1]:6.2f} ms  errors {theirs[2]}")
        print(f"  ratio attackdb/nginx: {ours[0] / theirs[0]:.2f} (target >= 0.5; p99 < 10 ms; 0 errors)")

        samples = []
        soak = subprocess.Popen(["wrk", "-t2", "-c32", f"-d{args.soak}s", url + route],
                                stdout=subprocess.DEVNULL)
        for _ in range(args.soak // 5):
            time.sleep(5)
            samples.append(rss_mb(server.pid))
        soak.wait()
        print("RSS every 5 s over the soak (MB): " + ", ".join(f"{s:.1f}" for s in samples))

        totals = []
        for _ in range(3):
            start = time.perf_counter()
            count, token = 0, None
            while True:
                page = f"{url}/api/v21/collections/{ENTERPRISE}/objects/?limit=1000"
                if token:
                    page += f"&next={token}"
                request = urllib.request.Request(
                    page, headers={"Accept": "application/taxii+json;version=2.1"})
                with urllib.request.urlopen(request) as r:
                    envelope = json.loads(r.read())
                count += len(envelope.get("objects", []))
                if not envelope.get("more"):
                    break
                token = envelope["next"]
            totals.append(time.perf_counter() - start)
        print(f"TAXII: every enterprise 18.1 object ({count}) with limit=1000: "
              f"best {min(totals) * 1000:.0f} ms, first {totals[0] * 1000:.0f} ms (target < 1 s)")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
