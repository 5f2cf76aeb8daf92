"""Trim mitre_reference.py outputs into the small expected files the kb tests compare against.

Usage: python make_expected.py REF.json OUT.json.gz

Keeps `relations`, `listers` and `spot`; the two long date-query lists are replaced by their count
and the SHA-256 of their sorted IDs joined by newlines (the test computes the same digest).
"""
import gzip
import hashlib
import json
import sys


def digest(ids):
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def main(src, dst):
    with open(src) as f:
        ref = json.load(f)
    spot = ref["spot"]
    for key in list(spot):
        if key.startswith("get_objects_created_after") or key.startswith("get_objects_modified_after"):
            ids = spot[key]["ids"]
            spot[key] = {"count": len(ids), "sha256": digest(ids)}
    out = {
        "meta": {k: ref["meta"][k] for k in ("domain", "release", "library")},
        "relations": ref["relations"],
        "listers": ref["listers"],
        "spot": spot,
    }
    with gzip.open(dst, "wt", compresslevel=9) as f:
        json.dump(out, f, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
