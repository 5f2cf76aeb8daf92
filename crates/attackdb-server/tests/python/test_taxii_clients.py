"""MITRE's TAXII clients against `attackdb serve` on loopback: taxii2-client pulls every object
of the three collections and gets the release's objects; attackcti over TAXII answers as
attackcti over the same bundles read locally.

Run by `.ci/run` in a throwaway venv: ATTACKDB_BIN names the binary, ATTACKDB_TEST_DATA the
releases.
"""
import gzip
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

DATA = os.environ.get("ATTACKDB_TEST_DATA", os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "attack-stix-data"))
BIN = os.environ.get("ATTACKDB_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "target", "debug", "attackdb"))
DOMAINS = {
    "enterprise": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
    "mobile": "x-mitre-collection--dac0d2d7-8653-445c-9bff-82f934c1e858",
    "ics": "x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09",
}


def bundle_path(domain):
    return os.path.join(DATA, f"{domain}-attack", f"{domain}-attack-18.1.json.gz")


def bundle_objects(domain):
    with gzip.open(bundle_path(domain), "rt", encoding="utf-8") as f:
        return {o["id"]: o for o in json.load(f)["objects"]}


@pytest.fixture(scope="module")
def server():
    if not os.path.isdir(DATA):
        if os.environ.get("ATTACKDB_REQUIRE_DATA"):
            pytest.fail(f"real ATT&CK data is required but missing at {DATA}")
        pytest.skip(f"!!! SKIPPING: no ATT&CK data at {DATA}")
    home = tempfile.mkdtemp(prefix="attackdb-taxii-home-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [BIN]
    for domain in DOMAINS:
        args += ["--data", bundle_path(domain)]
    args += ["serve", "--listen", f"127.0.0.1:{port}", "--quiet"]
    env = dict(os.environ, ATTACKDB_HOME=home)
    env.pop("ATTACKDB_DATA", None)
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail("attackdb serve did not become ready")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(home, ignore_errors=True)


def test_taxii2_client_pulls_every_object_of_every_collection(server):
    from taxii2client.v21 import Server, as_pages

    taxii = Server(server + "/taxii2/")
    root = taxii.default
    assert root.url == server + "/api/v21/"
    by_id = {c.id: c for c in root.collections}
    assert set(by_id) == set(DOMAINS.values())
    for domain, collection_id in DOMAINS.items():
        collection = by_id[collection_id]
        assert collection.can_read
        served = []
        for page in as_pages(collection.get_objects, per_request=1000):
            served.extend(page.get("objects", []))
        want = bundle_objects(domain)
        assert len(served) == len(want), domain
        assert {o["id"]: o for o in served} == want, domain
        one = collection.get_object("attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736") \
            if domain == "enterprise" else None
        if one is not None:
            assert one["objects"][0]["name"] == "PowerShell"
    pinned = [r for r in taxii.api_roots if r.url.endswith("/attack-18.1/")]
    assert pinned and len(pinned[0].collections) == 3


def test_attackcti_over_taxii_answers_as_attackcti_over_the_bundles(server):
    from attackcti import attack_client

    local_dir = tempfile.mkdtemp(prefix="attackdb-attackcti-")
    try:
        paths = {}
        for domain in DOMAINS:
            target = os.path.join(local_dir, f"{domain}-attack.json")
            with gzip.open(bundle_path(domain), "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            paths[domain] = target
        local = attack_client(local_paths=paths, connect_taxii=False)
        remote = attack_client(collection_url=server + "/api/v21/collections/")

        def ids(objects):
            return sorted(o["id"] if isinstance(o, dict) else o.id for o in objects)

        for name in ["get_enterprise_techniques", "get_groups", "get_software",
                     "get_mobile_techniques", "get_ics_techniques", "get_mitigations"]:
            assert ids(getattr(remote, name)()) == ids(getattr(local, name)()), name
        apt29 = [g for g in local.get_groups() if "APT29" in (g.get("aliases") or [])]
        assert apt29
        used_remote = ids(remote.get_techniques_used_by_group(apt29[0]))
        used_local = ids(local.get_techniques_used_by_group(apt29[0]))
        assert used_remote == used_local and used_remote
    finally:
        shutil.rmtree(local_dir, ignore_errors=True)
