"""Reference answers for attackdb, produced by MITRE's own Python library.

This script loads one ATT&CK STIX bundle with ``mitreattack-python`` 6.3.1
(``mitreattack.stix20.MitreAttackData``) and writes ONE compact, deterministic
JSON document of what the library answers for that bundle, so that attackdb's
Rust implementation can be compared against the official library object for
object.

It is a development tool only: it is not part of attackdb's build or tests and
it needs a Python environment with ``mitreattack-python==6.3.1`` installed, e.g.

    python3 -m venv /work/venv-mitre
    /work/venv-mitre/bin/pip install mitreattack-python==6.3.1
    /work/venv-mitre/bin/python mitre_reference.py \
        enterprise-attack-18.1.json.gz enterprise-attack-18.1.json

Usage:  python mitre_reference.py BUNDLE.json[.gz] OUT.json [--timings T.json]

A ``.gz`` bundle is decompressed into a temporary file (in $TMPDIR, /tmp by
default) that is removed afterwards; the input is only read.

Naming rule used everywhere in the output: an object is named by its ATT&CK ID,
i.e. the ``external_id`` of the first ``external_references`` entry whose
``source_name`` is ``mitre-attack``, ``mitre-mobile-attack`` or
``mitre-ics-attack``; an object without one (or an id not present in the
bundle) is named by its STIX id.

Output (keys sorted, every list sorted unless marked "ordered", no whitespace):

``meta``
    library version, bundle file name, SHA-256 of the decompressed bundle,
    domain, release, object count.
``relations``
    ``{family: {source_name: sorted [related names]}}`` -- each family is one
    ``get_all_*`` relationship map of the library (see ``FAMILIES``), keyed by
    the source object's name.  Empty lists are kept as the library returns
    them.  Duplicate related names are kept (not merged) and listed in
    ``notes``.
``listers``
    for each ``get_*`` lister of all objects of a type: the sorted names with
    ``remove_revoked_deprecated`` False (``all``) and True (``active``) and
    both counts.
``spot``
    answers of single-object queries (tactics by matrix / technique,
    techniques by platform / tactic, objects by content / date, procedure
    examples, revoking objects, objects by ATT&CK ID, by alias, ...).
``notes``
    everything a straight port could get wrong: duplicate related objects,
    two source objects with the same name, lister duplicates, empty lists,
    sources that are revoked/deprecated or absent, ATT&CK IDs shared by
    objects of different types, families whose map is empty.

Timings (load, each ``get_all_*`` and lister, peak RSS from
``resource.getrusage``) are not deterministic, so they go to a second file:
``--timings`` or, by default, OUT with ``.json`` replaced by ``.timings.json``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from importlib import metadata

from mitreattack.stix20 import MitreAttackData

from families import FAMILIES  # beside this script; no library import

LIBRARY = "mitreattack-python"
ATTACK_SOURCES = ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack")

# output key -> (method name, extra positional/keyword arguments) of the
# listers that return all objects of a type.
LISTERS = {
    "get_techniques": ("get_techniques", {}),
    "get_techniques(include_subtechniques=False)": ("get_techniques", {"include_subtechniques": False}),
    "get_subtechniques": ("get_subtechniques", {}),
    "get_tactics": ("get_tactics", {}),
    "get_groups": ("get_groups", {}),
    "get_software": ("get_software", {}),
    "get_mitigations": ("get_mitigations", {}),
    "get_campaigns": ("get_campaigns", {}),
    "get_datasources": ("get_datasources", {}),
    "get_datacomponents": ("get_datacomponents", {}),
    "get_assets": ("get_assets", {}),
    "get_matrices": ("get_matrices", {}),
    "get_analytics": ("get_analytics", {}),
    "get_detectionstrategies": ("get_detectionstrategies", {}),
}

# domain strings accepted by get_techniques_by_tactic (matrix ATT&CK IDs)
DOMAINS = ("enterprise-attack", "mobile-attack", "ics-attack")

# Hand-picked spot queries per domain; ids missing from a bundle answer null.
SPOT_TECHNIQUES = {
    "enterprise-attack": ["T1059.001", "T1003"],
    "mobile-attack": ["T1404", "T1437.001"],
    "ics-attack": ["T0807", "T0853"],
}
SPOT_ALIASES = {
    "enterprise-attack": {
        "groups": ["Cozy Bear", "cozy bear", "Cozy", "APT29"],
        "software": ["Mimikatz", "mimikatz", "Cobalt Strike"],
        "campaigns": ["SolarWinds Compromise", "Operation Dream Job"],
    },
    "mobile-attack": {"groups": [], "software": [], "campaigns": []},
    "ics-attack": {"groups": ["Sandworm Team", "ELECTRUM"], "software": ["Industroyer"], "campaigns": []},
}
# stix2's "contains" filter matches a substring of any list element, so these
# partial values do match (get_techniques_by_platform and get_*_by_alias).
SPOT_PLATFORM_PROBES = {"enterprise-attack": ["Office", "Win"], "mobile-attack": ["And"], "ics-attack": ["Control"]}
SPOT_GROUPS = {"enterprise-attack": ["G0016"], "mobile-attack": [], "ics-attack": ["G0034"]}
SPOT_CONTENT = {"enterprise-attack": "LSASS", "mobile-attack": "SMS", "ics-attack": "Modbus"}
SPOT_DATE = "2024-01-01T00:00:00Z"


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: ru_maxrss is KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


class Timer:
    """Collects named step durations and the peak RSS after each step."""

    def __init__(self):
        self.steps = {}

    def run(self, name, fn, *args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.steps[name] = {"seconds": round(time.perf_counter() - start, 4), "peak_rss_mib_after": peak_rss_mib()}
        return result


class Namer:
    """Maps STIX ids to output names (ATT&CK ID, else STIX id) using the library's store."""

    def __init__(self, data: MitreAttackData):
        self.objects = {}  # stix id -> object, every object the store holds
        for obj in data.src.query([]):
            self.objects[obj["id"]] = obj
        self.names = {stix_id: self._attack_id(obj) or stix_id for stix_id, obj in self.objects.items()}

    @staticmethod
    def _attack_id(obj):
        for ref in obj.get("external_references", None) or []:
            if ref.get("source_name") in ATTACK_SOURCES and ref.get("external_id"):
                return ref["external_id"]
        return None

    def __call__(self, stix_id: str) -> str:
        return self.names.get(stix_id, stix_id)

    def inactive(self, stix_id: str) -> bool:
        """True when the object is revoked or deprecated (the library's own test)."""
        obj = self.objects.get(stix_id)
        return obj is not None and (
            obj.get("revoked", False) is not False or obj.get("x_mitre_deprecated", False) is not False
        )


def obj_id(obj):
    return obj["id"] if obj is not None else None


def names_sorted(namer, objs):
    return sorted(namer(o["id"]) for o in objs)


def convert_family(namer: Namer, family: str, relmap: dict, notes: dict) -> dict:
    """Turn one RelationshipMapT into {source name: sorted related names}; record oddities in notes."""
    out = {}
    by_name = defaultdict(list)  # source name -> [source stix ids]
    for src_id, entries in relmap.items():
        by_name[namer(src_id)].append(src_id)

    for name, src_ids in by_name.items():
        related = []
        for src_id in src_ids:
            entries = relmap[src_id]
            ids = [e["object"]["id"] for e in entries]
            related.extend(namer(i) for i in ids)
            # same related name more than once for this source
            per_name = defaultdict(list)
            for i in ids:
                per_name[namer(i)].append(i)
            for rel_name, rel_ids in sorted(per_name.items()):
                if len(rel_ids) > 1:
                    notes["duplicate_related"].setdefault(family, []).append(
                        {
                            "source": name,
                            "source_stix_id": src_id,
                            "related": rel_name,
                            "count": len(rel_ids),
                            "related_stix_ids": sorted(rel_ids),
                            "same_object": len(set(rel_ids)) == 1,
                        }
                    )
            if not entries:
                notes["empty_lists"].setdefault(family, []).append(name)
            if src_id not in namer.objects:
                notes["sources_absent_from_bundle"].setdefault(family, []).append(src_id)
            elif namer.inactive(src_id):
                notes["sources_revoked_or_deprecated"].setdefault(family, []).append(name)
        if len(src_ids) > 1:
            notes["source_name_collisions"].setdefault(family, []).append(
                {
                    "name": name,
                    "stix_ids": sorted(src_ids),
                    "related_per_stix_id": {s: sorted(namer(e["object"]["id"]) for e in relmap[s]) for s in src_ids},
                    "output": "lists concatenated under the shared name",
                }
            )
        out[name] = sorted(related)
    if not relmap:
        notes["families_with_empty_map"].append(family)
    return out


# Families whose library map adds, for a group, what campaigns attributed to it
# use (or, reversed, adds groups through the campaigns using an object): the
# direct get_related() calls they start from, as (source, rel, target, reverse).
INHERITING = {
    "techniques_used_by_group": [("intrusion-set", "uses", "attack-pattern", False)],
    "groups_using_technique": [("intrusion-set", "uses", "attack-pattern", True)],
    "software_used_by_group": [("intrusion-set", "uses", "tool", False), ("intrusion-set", "uses", "malware", False)],
    "groups_using_software": [("intrusion-set", "uses", "tool", True), ("intrusion-set", "uses", "malware", True)],
}


def inherited_via_campaigns(data, namer, relations):
    """What the campaign inheritance adds on top of the direct group relationships, per family."""
    out = {}
    for family, calls in INHERITING.items():
        if family not in relations:
            continue
        direct = defaultdict(set)
        for source, rel, target, reverse in calls:
            for src_id, entries in data.get_related(source, rel, target, reverse=reverse).items():
                direct[namer(src_id)].update(namer(e["object"]["id"]) for e in entries)
        pairs = sorted(
            f"{src}>{rel}"
            for src, rels in relations[family].items()
            for rel in set(rels)
            if rel not in direct.get(src, ())
        )
        out[family] = {
            "sources_only_via_campaigns": sorted(s for s in relations[family] if s not in direct),
            "pairs_added": pairs,
            "count_pairs_added": len(pairs),
        }
    return out


def run_listers(data, namer, timer, notes):
    listers = {}
    for key, (method, kwargs) in LISTERS.items():
        fn = getattr(data, method, None)
        if fn is None:
            notes["absent_functions"].append(method)
            continue
        entry = {}
        for label, rrd in (("all", False), ("active", True)):
            objs = timer.run(f"lister {key} rrd={rrd}", fn, remove_revoked_deprecated=rrd, **kwargs)
            names = names_sorted(namer, objs)
            entry[label] = names
            entry[f"count_{label}"] = len(names)
            dup = {n: c for n, c in Counter(names).items() if c > 1}
            if dup and label == "all":
                notes["lister_duplicate_names"][key] = {
                    n: sorted(o["id"] for o in objs if namer(o["id"]) == n) for n in sorted(dup)
                }
        listers[key] = entry
    return listers


def spot_queries(data, namer, domain, timer, notes):
    spot = {}
    by_attack_id = lambda aid, typ: data.get_object_by_attack_id(aid, typ)  # noqa: E731

    # tactics per matrix, in the matrix's order
    tbm = timer.run("spot get_tactics_by_matrix", data.get_tactics_by_matrix)
    spot["get_tactics_by_matrix (ordered)"] = {
        m: [namer(t["id"]) if t is not None else None for t in tactics] for m, tactics in tbm.items()
    }

    techniques = data.get_techniques()
    tech_names = sorted(namer(t["id"]) for t in techniques)
    picks = list(dict.fromkeys(SPOT_TECHNIQUES.get(domain, []) + tech_names[:3]))
    tbt = {}
    for aid in picks:
        tech = by_attack_id(aid, "attack-pattern")
        tbt[aid] = None if tech is None else names_sorted(namer, data.get_tactics_by_technique(tech["id"]))
    spot["get_tactics_by_technique"] = tbt

    platforms = sorted({p for t in techniques for p in (t.get("x_mitre_platforms", None) or [])})
    spot["get_techniques_by_platform"] = {
        p: {
            "all": names_sorted(namer, data.get_techniques_by_platform(p)),
            "active": names_sorted(namer, data.get_techniques_by_platform(p, remove_revoked_deprecated=True)),
        }
        for p in platforms
    }

    spot["get_techniques_by_platform (substring probes)"] = {
        p: names_sorted(namer, data.get_techniques_by_platform(p)) for p in SPOT_PLATFORM_PROBES[domain]
    }

    shortnames = sorted({t.get("x_mitre_shortname") for t in data.get_tactics() if t.get("x_mitre_shortname")})
    spot["get_techniques_by_tactic"] = {
        f"{s}|{domain}": {
            "all": names_sorted(namer, data.get_techniques_by_tactic(s, domain)),
            "active": names_sorted(namer, data.get_techniques_by_tactic(s, domain, remove_revoked_deprecated=True)),
        }
        for s in shortnames
    }

    content = SPOT_CONTENT[domain]
    found = timer.run("spot get_objects_by_content", data.get_objects_by_content, content)
    spot[f"get_objects_by_content({content})"] = {
        "all": names_sorted(namer, found),
        "active": names_sorted(namer, data.get_objects_by_content(content, remove_revoked_deprecated=True)),
        "non_relationship_types": dict(Counter(o["type"] for o in found if o["type"] != "relationship")),
    }

    created = timer.run("spot get_objects_created_after", data.get_objects_created_after, SPOT_DATE)
    spot[f"get_objects_created_after({SPOT_DATE})"] = {"count": len(created), "ids": names_sorted(namer, created)}
    if hasattr(data, "get_objects_modified_after"):
        modified = timer.run("spot get_objects_modified_after", data.get_objects_modified_after, SPOT_DATE)
        spot[f"get_objects_modified_after({SPOT_DATE})"] = {
            "count": len(modified),
            "ids": names_sorted(namer, modified),
        }

    proc = {}
    for aid in SPOT_TECHNIQUES.get(domain, []):
        tech = by_attack_id(aid, "attack-pattern")
        if tech is None:
            proc[aid] = None
            continue
        rels = data.get_procedure_examples_by_technique(tech["id"])
        proc[aid] = {"count": len(rels), "sources": sorted(namer(r["source_ref"]) for r in rels)}
    spot["get_procedure_examples_by_technique"] = proc

    revoked = sorted((t for t in techniques if t.get("revoked", False)), key=lambda t: (namer(t["id"]), t["id"]))
    spot["get_revoking_object (first 3 revoked techniques)"] = {
        namer(t["id"]): (lambda r: None if r is None else namer(r["id"]))(data.get_revoking_object(t["id"]))
        for t in revoked[:3]
    }

    # ATT&CK IDs carried by objects of more than one type (old mitigations reused technique IDs)
    types_by_name = defaultdict(set)
    ids_by_name_type = defaultdict(list)
    for stix_id, obj in namer.objects.items():
        name = namer(stix_id)
        if name != stix_id:
            types_by_name[name].add(obj["type"])
            ids_by_name_type[(name, obj["type"])].append(stix_id)
    cross = sorted(n for n, ts in types_by_name.items() if len(ts) > 1)
    notes["attack_ids_shared_across_types"] = {n: sorted(types_by_name[n]) for n in cross}
    notes["attack_ids_shared_within_type"] = {
        f"{n}|{t}": sorted(ids) for (n, t), ids in sorted(ids_by_name_type.items()) if len(ids) > 1
    }

    queries = [(aid, "attack-pattern") for aid in SPOT_TECHNIQUES.get(domain, [])]
    for name in cross[:3]:
        queries += [(name, t) for t in sorted(types_by_name[name])]
    for typ in ("intrusion-set", "course-of-action", "malware", "tool", "campaign", "x-mitre-tactic",
                "x-mitre-detection-strategy", "x-mitre-analytic", "x-mitre-data-component", "x-mitre-asset"):
        first = sorted(n for (n, t) in ids_by_name_type if t == typ)
        if first:
            queries.append((first[0], typ))
    if queries:
        queries.append((queries[0][0].lower(), queries[0][1]))  # the library upper-cases the ID it is given
    queries.append(("T9999", "attack-pattern"))
    oba = {}
    for aid, typ in queries:
        obj = by_attack_id(aid, typ)
        oba[f"{aid}|{typ}"] = None if obj is None else {
            "name": namer(obj["id"]),
            "stix_id": obj["id"],
            "type": obj["type"],
            "revoked": bool(obj.get("revoked", False)),
            "deprecated": bool(obj.get("x_mitre_deprecated", False)),
        }
    spot["get_object_by_attack_id"] = oba

    # get_attack_id only reads external_references[0] and only "mitre-attack"
    gai = {}
    sample = [t["id"] for t in sorted(techniques, key=lambda t: (namer(t["id"]), t["id"]))[:2]]
    sample += sorted(
        s for s, o in namer.objects.items()
        if any(r.get("source_name") in ATTACK_SOURCES[1:] for r in (o.get("external_references", None) or []))
    )[:3]
    for s in sample:
        gai[s] = {"name": namer(s), "get_attack_id": data.get_attack_id(s)}
    spot["get_attack_id"] = gai

    def alias_spot(fn, typ, field, fixed):
        objs = sorted(
            (o for o in namer.objects.values() if o["type"] in typ),
            key=lambda o: (namer(o["id"]), o["id"]),
        )
        auto = []
        for o in objs:
            other = [a for a in (o.get(field, None) or []) if a != o.get("name")]
            if other:
                auto.append(other[0])
            if len(auto) == 3:
                break
        return {a: names_sorted(namer, fn(a)) for a in dict.fromkeys(fixed + auto)}

    aliases = SPOT_ALIASES[domain]
    spot["get_groups_by_alias"] = alias_spot(data.get_groups_by_alias, ("intrusion-set",), "aliases", aliases["groups"])
    spot["get_software_by_alias"] = alias_spot(
        data.get_software_by_alias, ("malware", "tool"), "x_mitre_aliases", aliases["software"]
    )
    spot["get_campaigns_by_alias"] = alias_spot(
        data.get_campaigns_by_alias, ("campaign",), "aliases", aliases["campaigns"]
    )

    groups = sorted(namer(g["id"]) for g in data.get_groups())
    tugs = {}
    for aid in list(dict.fromkeys(SPOT_GROUPS.get(domain, []) + groups[:2])):
        g = by_attack_id(aid, "intrusion-set")
        tugs[aid] = None if g is None else names_sorted(namer, data.get_techniques_used_by_group_software(g["id"]))
    spot["get_techniques_used_by_group_software"] = tugs

    if hasattr(data, "get_analytics_by_detection_strategy"):
        dets = sorted(data.get_detectionstrategies(), key=lambda o: (namer(o["id"]), o["id"]))
        spot["get_analytics_by_detection_strategy"] = {
            namer(d["id"]): names_sorted(namer, data.get_analytics_by_detection_strategy(d["id"])) for d in dets[:3]
        }
    return spot


def detect_meta(namer: Namer, path: str, sha256: str):
    collection = next((o for o in namer.objects.values() if o["type"] == "x-mitre-collection"), None)
    domain = None
    for o in namer.objects.values():
        if o["type"] == "x-mitre-matrix" and namer(o["id"]) in DOMAINS:
            domain = namer(o["id"])
            break
    return {
        "library": f"{LIBRARY} {metadata.version(LIBRARY)}",
        "stix2": metadata.version("stix2"),
        "bundle": os.path.basename(path),
        "bundle_sha256_decompressed": sha256,
        "collection": None if collection is None else collection.get("name"),
        "release": None if collection is None else collection.get("x_mitre_version"),
        "domain": domain,
        "objects_in_store": len(namer.objects),
        "naming_rule": "ATT&CK ID from the first external_references entry with source_name in "
        + "/".join(ATTACK_SOURCES)
        + ", else STIX id",
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", help="ATT&CK STIX bundle, .json or .json.gz")
    ap.add_argument("out", help="output JSON file")
    ap.add_argument("--timings", help="timings JSON file (default: OUT with .timings.json)")
    args = ap.parse_args(argv)
    timings_path = args.timings or (args.out[:-5] if args.out.endswith(".json") else args.out) + ".timings.json"

    timer = Timer()
    tmp = None
    path = args.bundle
    start = time.perf_counter()
    if path.endswith(".gz"):
        fd, tmp = tempfile.mkstemp(suffix=".json", prefix="mitre-ref-")
        with os.fdopen(fd, "wb") as dst, gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, dst, 1 << 20)
        path = tmp
    timer.steps["decompress"] = {"seconds": round(time.perf_counter() - start, 4), "peak_rss_mib_after": peak_rss_mib()}
    try:
        sha = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                sha.update(chunk)
        data = timer.run("load MitreAttackData", MitreAttackData, path)
    finally:
        if tmp:
            os.unlink(tmp)

    namer = timer.run("build name index", Namer, data)
    meta = detect_meta(namer, args.bundle, sha.hexdigest())
    domain = meta["domain"] or "enterprise-attack"

    notes = {
        "absent_functions": [],
        "families_with_empty_map": [],
        "empty_lists": {},
        "duplicate_related": {},
        "source_name_collisions": {},
        "sources_revoked_or_deprecated": {},
        "sources_absent_from_bundle": {},
        "lister_duplicate_names": {},
    }

    relations = {}
    functions = {}
    for family, method in FAMILIES.items():
        fn = getattr(data, method, None)
        if fn is None:
            notes["absent_functions"].append(method)
            continue
        functions[family] = method
        relmap = timer.run(method, fn)
        relations[family] = convert_family(namer, family, relmap, notes)
    meta["functions"] = functions

    notes["inherited_via_campaigns"] = timer.run(
        "inherited_via_campaigns (analysis)", inherited_via_campaigns, data, namer, relations
    )
    listers = run_listers(data, namer, timer, notes)
    start = time.perf_counter()
    spot = spot_queries(data, namer, domain, timer, notes)
    timer.steps["spot (all)"] = {"seconds": round(time.perf_counter() - start, 4), "peak_rss_mib_after": peak_rss_mib()}

    for key in ("empty_lists", "sources_revoked_or_deprecated", "sources_absent_from_bundle"):
        for family in notes[key]:
            notes[key][family].sort()

    doc = {"meta": meta, "relations": relations, "listers": listers, "spot": spot, "notes": notes}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    with open(timings_path, "w", encoding="utf-8") as f:
        json.dump(
            {"bundle": meta["bundle"], "peak_rss_mib": peak_rss_mib(), "steps": timer.steps},
            f,
            indent=1,
        )
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
