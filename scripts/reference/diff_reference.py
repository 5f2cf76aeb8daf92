"""Reference answers for `attackdb diff`, from mitreattack-python 6.3.1's diff_stix.

Usage: python diff_reference.py OLD_RELEASE NEW_RELEASE DATA_DIR OUT.json.gz [DOMAIN ...]

DATA_DIR is a folder laid out like attack-stix-data (<domain>/<domain>-<X.Y>.json.gz). The bundles
are decompressed into a temporary folder named as diff_stix expects (<dir>/<domain>.json). The
output maps domain -> object type -> section -> sorted ATT&CK IDs (STIX ID when the object has no
ATT&CK ID), read from DiffStix.data["changes"] (the raw sections, before the changelog groups
parents with children), plus "new-contributors" and the elapsed time and peak memory.
"""
import gzip
import json
import os
import resource
import shutil
import sys
import tempfile
import time

from mitreattack.diffStix.changelog_helper import DiffStix

SOURCES = ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack")


def name(obj):
    for ref in obj.get("external_references", []):
        if ref.get("source_name") in SOURCES and ref.get("external_id"):
            return ref["external_id"]
    return obj["id"]


def main(old, new, data_dir, out, domains):
    domains = domains or ["enterprise-attack", "mobile-attack", "ics-attack"]
    tmp = tempfile.mkdtemp()
    try:
        for release, sub in ((old, "old"), (new, "new")):
            os.makedirs(os.path.join(tmp, sub))
            for domain in domains:
                src = os.path.join(data_dir, domain, f"{domain}-{release}.json.gz")
                with gzip.open(src, "rb") as f_in, open(os.path.join(tmp, sub, f"{domain}.json"), "wb") as f_out:
                    shutil.copyfileobj(f_in, f_out)
        start = time.time()
        diff = DiffStix(domains=domains, old=os.path.join(tmp, "old"), new=os.path.join(tmp, "new"))
        changes = diff.get_changes_dict()
        elapsed = time.time() - start
        result = {}
        for obj_type, per_domain in diff.data["changes"].items():
            for domain, sections in per_domain.items():
                result.setdefault(domain, {})[obj_type] = {
                    section: sorted(name(o) for o in objects) for section, objects in sections.items()
                }
        result["new-contributors"] = changes["new-contributors"]
        result["meta"] = {
            "old": old,
            "new": new,
            "domains": domains,
            "seconds": round(elapsed, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        with gzip.open(out, "wt", compresslevel=9) as f:
            json.dump(result, f, sort_keys=True, separators=(",", ":"))
        print(json.dumps(result["meta"]))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
