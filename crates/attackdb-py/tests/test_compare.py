"""Every public method of attackdb's MitreAttackData against mitreattack-python 6.3.1 on the
enterprise, mobile and ICS 18.1 bundles: the same objects (by STIX ID), in the same order (the
library's order is its store's: bundle order), with the same relationships."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime

import pytest

LISTERS = [
    "get_matrices",
    "get_tactics",
    "get_techniques",
    "get_subtechniques",
    "get_mitigations",
    "get_groups",
    "get_software",
    "get_campaigns",
    "get_assets",
    "get_datasources",
    "get_datacomponents",
    "get_analytics",
    "get_detectionstrategies",
]

FAMILIES = [
    ("get_all_software_used_by_all_groups", "get_software_used_by_group"),
    ("get_all_groups_using_all_software", "get_groups_using_software"),
    ("get_all_software_used_by_all_campaigns", "get_software_used_by_campaign"),
    ("get_all_campaigns_using_all_software", "get_campaigns_using_software"),
    ("get_all_groups_attributing_to_all_campaigns", "get_groups_attributing_to_campaign"),
    ("get_all_campaigns_attributed_to_all_groups", "get_campaigns_attributed_to_group"),
    ("get_all_techniques_used_by_all_groups", "get_techniques_used_by_group"),
    ("get_all_groups_using_all_techniques", "get_groups_using_technique"),
    ("get_all_techniques_used_by_all_campaigns", "get_techniques_used_by_campaign"),
    ("get_all_campaigns_using_all_techniques", "get_campaigns_using_technique"),
    ("get_all_techniques_used_by_all_software", "get_techniques_used_by_software"),
    ("get_all_software_using_all_techniques", "get_software_using_technique"),
    ("get_all_techniques_mitigated_by_all_mitigations", "get_techniques_mitigated_by_mitigation"),
    ("get_all_mitigations_mitigating_all_techniques", "get_mitigations_mitigating_technique"),
    ("get_all_parent_techniques_of_all_subtechniques", "get_parent_technique_of_subtechnique"),
    ("get_all_subtechniques_of_all_techniques", "get_subtechniques_of_technique"),
    ("get_all_techniques_detected_by_all_datacomponents", "get_techniques_detected_by_datacomponent"),
    ("get_all_datacomponents_detecting_all_techniques", "get_datacomponents_detecting_technique"),
    ("get_all_techniques_targeting_all_assets", "get_techniques_targeting_asset"),
    ("get_all_assets_targeted_by_all_techniques", "get_assets_targeted_by_technique"),
    ("get_all_detection_strategies_detecting_all_techniques", "get_detection_strategies_detecting_technique"),
    ("get_all_techniques_detected_by_all_detection_strategies", "get_techniques_detected_by_detection_strategy"),
]

ATTACK_SOURCES = ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack")


def ids(objects):
    return [None if o is None else o["id"] for o in objects]


def entries(relationship_entries):
    return [(e["object"]["id"], [r["id"] for r in e["relationships"]]) for e in relationship_entries]


def relmap(mapping):
    return [(key, entries(value)) for key, value in mapping.items()]


def sample(items, count):
    """About `count` items spread over `items` (deterministic)."""
    items = list(items)
    if len(items) <= count:
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def attack_id(obj):
    for ref in obj.get("external_references", None) or []:
        if ref.get("source_name") in ATTACK_SOURCES and ref.get("external_id"):
            return ref["external_id"]
    return None


def norm(value):
    """A comparable form of a field value: mappings as dicts, datetimes as UTC datetimes."""
    if isinstance(value, Mapping):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, datetime):
        return datetime(*value.utctimetuple()[:6], value.microsecond)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T" and value.endswith("Z"):
        from attackdb._objects import parse_timestamp

        try:
            parsed = parse_timestamp(value)
            return datetime(*parsed.utctimetuple()[:6], parsed.microsecond)
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("method", LISTERS)
@pytest.mark.parametrize("rrd", [False, True])
def test_listers(ours, library, method, rrd):
    assert ids(getattr(ours, method)(remove_revoked_deprecated=rrd)) == ids(
        getattr(library, method)(remove_revoked_deprecated=rrd)
    )


@pytest.mark.parametrize("rrd", [False, True])
def test_techniques_without_subtechniques(ours, library, rrd):
    assert ids(ours.get_techniques(include_subtechniques=False, remove_revoked_deprecated=rrd)) == ids(
        library.get_techniques(include_subtechniques=False, remove_revoked_deprecated=rrd)
    )
    assert ids(ours.get_techniques(False)) == ids(library.get_techniques(False))


def test_objects_by_type(ours, library):
    for stix_type in ours.stix_types + ["relationship", "identity", "marking-definition", "x-mitre-collection", "nothing"]:
        for rrd in (False, True):
            assert ids(ours.get_objects_by_type(stix_type, rrd)) == ids(library.get_objects_by_type(stix_type, rrd)), stix_type


@pytest.mark.parametrize("family, single", FAMILIES, ids=[f for f, _ in FAMILIES])
def test_relationship_maps(ours, library, family, single):
    theirs = getattr(library, family)()
    mine = getattr(ours, family)()
    assert relmap(mine) == relmap(theirs)
    # Cached like the library's: the same dict again.
    assert getattr(ours, family)() is mine or not mine
    keys = list(theirs)
    for key in keys + ["attack-pattern--00000000-0000-0000-0000-000000000000"]:
        assert entries(getattr(ours, single)(key)) == entries(getattr(library, single)(key)), key


RELATED = [
    ("intrusion-set", "uses", "attack-pattern", False),
    ("intrusion-set", "uses", "attack-pattern", True),
    ("malware", "uses", "attack-pattern", False),
    ("campaign", "attributed-to", "intrusion-set", True),
    ("course-of-action", "mitigates", "attack-pattern", True),
    ("attack-pattern", "subtechnique-of", "attack-pattern", False),
    ("attack-pattern", "revoked-by", "attack-pattern", False),
    ("x-mitre-detection-strategy", "detects", "attack-pattern", True),
    ("set", "uses", "pattern", False),
    ("tool", "no-such-type", "attack-pattern", False),
]


@pytest.mark.parametrize("args", RELATED, ids=["-".join(map(str, a)) for a in RELATED])
def test_get_related(ours, library, args):
    assert relmap(ours.get_related(*args)) == relmap(library.get_related(*args))


def test_merge_inherit_and_remove_duplicates_helpers(ours):
    """The library's public helpers, fed attackdb's get_related, rebuild attackdb's map."""
    direct = ours.get_related("intrusion-set", "uses", "attack-pattern")
    by_campaigns = ours.get_related("campaign", "uses", "attack-pattern")
    attributing = ours.get_related("campaign", "attributed-to", "intrusion-set", reverse=True)
    built = ours.add_inherited_campaign_relationships(attributing, by_campaigns, direct)
    assert relmap(built) == relmap(ours.get_all_techniques_used_by_all_groups())
    merged = ours.merge(ours.get_related("tool", "uses", "attack-pattern"), ours.get_related("malware", "uses", "attack-pattern"))
    assert relmap(merged) == relmap(ours.get_all_techniques_used_by_all_software())


def test_every_object_by_stix_id(ours, library):
    """Every object: found by STIX ID, same fields as the library's object (stix2's defaults
    included, timestamps as datetimes) for all but relationships, which are sampled."""
    everything = ours._native.all_objects()
    assert len(everything) == len(library.src.query([]))
    relationships = [o for o in everything if o.type == "relationship"]
    others = [o for o in everything if o.type != "relationship"]
    for obj in others + sample(relationships, 500):
        theirs = library.get_object_by_stix_id(obj.id)
        assert ours.get_object_by_stix_id(obj.id) is obj
        assert norm(dict(obj)) == norm(dict(theirs)), obj.id


def test_object_information(ours, library):
    objects = [o for o in ours._native.all_objects() if o.type != "relationship"]
    for obj in objects:
        assert ours.get_attack_id(obj.id) == library.get_attack_id(obj.id), obj.id
        assert ours.get_name(obj.id) == library.get_name(obj.id), obj.id
        assert ours.get_stix_type(obj.id) == library.get_stix_type(obj.id)


def test_object_by_attack_id(ours, library):
    objects = [o for o in ours._native.all_objects() if attack_id(o)]
    probes = [(attack_id(o), o.type) for o in sample(objects, 60)]
    probes += [(a.lower(), t) for a, t in probes[:10]]
    first = probes[0][0]
    probes += [(first, t) for t in ours.stix_types]
    probes += [("T9999", "attack-pattern"), ("CAPEC-13", "attack-pattern"), ("G0016", "intrusion-set"), (" T1059", "attack-pattern")]
    for attack, stix_type in probes:
        mine, theirs = ours.get_object_by_attack_id(attack, stix_type), library.get_object_by_attack_id(attack, stix_type)
        assert (mine and mine["id"]) == (theirs and theirs["id"]), (attack, stix_type)


def test_objects_by_name(ours, library):
    objects = [o for o in ours._native.all_objects() if o.type in ours.stix_types and "name" in o]
    probes = [(o.name, o.type) for o in sample(objects, 40)]
    probes += [(probes[0][0].lower(), probes[0][1]), ("No Such Name", "attack-pattern")]
    for name, stix_type in probes:
        assert ids(ours.get_objects_by_name(name, stix_type)) == ids(library.get_objects_by_name(name, stix_type)), name


def test_by_alias(ours, library):
    aliases = set()
    for obj in ours.get_groups() + ours.get_campaigns() + ours.get_software():
        aliases.update((obj.get("aliases", None) or []) + (obj.get("x_mitre_aliases", None) or []))
    probes = sample(sorted(aliases), 25) + ["Cozy", "cozy bear", "APT", "a", "Mimikatz", "No Such Alias"]
    for alias in probes:
        assert ids(ours.get_groups_by_alias(alias)) == ids(library.get_groups_by_alias(alias)), alias
        assert ids(ours.get_campaigns_by_alias(alias)) == ids(library.get_campaigns_by_alias(alias)), alias
        assert ids(ours.get_software_by_alias(alias)) == ids(library.get_software_by_alias(alias)), alias


def test_techniques_by_platform(ours, library):
    platforms = sorted({p for t in ours.get_techniques() for p in t.get("x_mitre_platforms", [])})
    for platform in platforms + ["Win", "Office", "And", "Control", "windows", "None"]:
        for rrd in (False, True):
            assert ids(ours.get_techniques_by_platform(platform, rrd)) == ids(
                library.get_techniques_by_platform(platform, rrd)
            ), platform


def test_techniques_by_tactic(ours, library):
    shortnames = sorted({t["x_mitre_shortname"] for t in ours.get_tactics()}) + ["no-such-tactic"]
    for shortname, domain in itertools.product(shortnames, ["enterprise-attack", "mobile-attack", "ics-attack"]):
        for rrd in (False, True):
            assert ids(ours.get_techniques_by_tactic(shortname, domain, rrd)) == ids(
                library.get_techniques_by_tactic(shortname, domain, rrd)
            ), (shortname, domain)


def test_tactics_by_matrix(ours, library):
    mine, theirs = ours.get_tactics_by_matrix(), library.get_tactics_by_matrix()
    assert {k: ids(v) for k, v in mine.items()} == {k: ids(v) for k, v in theirs.items()}
    assert list(mine) == list(theirs)


def test_tactics_and_procedures_by_technique(ours, library):
    for technique in sample(ours.get_techniques(), 60):
        assert ids(ours.get_tactics_by_technique(technique.id)) == ids(library.get_tactics_by_technique(technique.id))
        assert ids(ours.get_procedure_examples_by_technique(technique.id)) == ids(
            library.get_procedure_examples_by_technique(technique.id)
        )
    group = ours.get_groups()[0]
    assert ids(ours.get_tactics_by_technique(group.id)) == ids(library.get_tactics_by_technique(group.id))


def test_objects_by_content(ours, library):
    for content in ["LSASS", "sms", "Modbus", "PowerShell", "ünïcode", "", "(Citation:"]:
        for object_type in [None, "attack-pattern", "relationship", "x-mitre-analytic"]:
            for rrd in (False, True):
                assert ids(ours.get_objects_by_content(content, object_type, rrd)) == ids(
                    library.get_objects_by_content(content, object_type, rrd)
                ), (content, object_type, rrd)


def test_objects_created_and_modified_after(ours, library):
    for timestamp in ["2024-01-01T00:00:00Z", "2018-10-17T00:14:20.652Z", "2025-10-24T17:48:57.520Z", "2020-01-01T00:00:00.5Z"]:
        for rrd in (False, True):
            assert ids(ours.get_objects_created_after(timestamp, rrd)) == ids(library.get_objects_created_after(timestamp, rrd)), timestamp
    # Documented difference: a bare date is a ValueError for the library (stix2 wants a full
    # timestamp); attackdb reads it as midnight UTC.
    with pytest.raises(ValueError):
        library.get_objects_created_after("2020-01-01")
    assert ids(ours.get_objects_created_after("2020-01-01")) == ids(library.get_objects_created_after("2020-01-01T00:00:00Z"))
    for date in ["2024-01-01", "October 1, 2022", "2025-10-24T17:48:57.520Z", "2022-10-01T00:00:00.000Z"]:
        for rrd in (False, True):
            assert ids(ours.get_objects_modified_after(date, rrd)) == ids(library.get_objects_modified_after(date, rrd)), date


def test_techniques_used_by_group_software(ours, library):
    for group in sample(ours.get_groups(), 25):
        assert ids(ours.get_techniques_used_by_group_software(group.id)) == ids(
            library.get_techniques_used_by_group_software(group.id)
        ), group.id


def test_analytics_by_detection_strategy(ours, library):
    for strategy in sample(ours.get_detectionstrategies(), 25):
        for rrd in (False, True):
            assert ids(ours.get_analytics_by_detection_strategy(strategy.id, rrd)) == ids(
                library.get_analytics_by_detection_strategy(strategy.id, rrd)
            )


def test_revoking_object(ours, library):
    revoked = [o for o in ours._native.all_objects() if o.get("revoked") is True]
    for obj in sample(revoked, 30) + ours.get_groups()[:2]:
        mine, theirs = ours.get_revoking_object(obj.id), library.get_revoking_object(obj.id)
        assert (mine and mine["id"]) == (theirs and theirs["id"]), obj.id
    assert ours.get_revoking_object() is None and library.get_revoking_object() is None


def test_remove_revoked_deprecated(ours, library):
    assert ids(ours.remove_revoked_deprecated(ours.get_techniques())) == ids(
        library.remove_revoked_deprecated(library.get_techniques())
    )
    # It takes the library's own objects too.
    assert ids(ours.remove_revoked_deprecated(library.get_groups())) == ids(library.get_groups(True))


def test_public_surface_matches_the_library(ours, library):
    import inspect

    theirs = {n for n in dir(type(library)) if not n.startswith("_")}
    mine = {n for n in dir(type(ours)) if not n.startswith("_")}
    assert theirs - mine == set()
    for name in theirs:
        member = getattr(type(library), name)
        if callable(member) and not isinstance(member, type):
            want = inspect.signature(member).parameters
            have = inspect.signature(getattr(type(ours), name)).parameters
            for param, spec in want.items():
                assert param in have, (name, param)
                assert have[param].default == spec.default, (name, param)
    assert ours.stix_types == library.stix_types


def test_memory_store_source(library_all, ours_all):
    """`MitreAttackData(src=stix2.MemoryStore)` answers as the library over the same store, and
    `src` of a file-loaded instance is a working MemoryStore."""
    from attackdb import MitreAttackData

    library = library_all["ics"]
    ours = MitreAttackData(src=library.src)
    assert ours.src is library.src and ours.stix_filepath is None
    for method in ("get_techniques", "get_groups", "get_software", "get_assets"):
        assert ids(getattr(ours, method)()) == ids(getattr(library, method)())
    assert relmap(ours.get_all_techniques_targeting_all_assets()) == relmap(library.get_all_techniques_targeting_all_assets())
    store = ours_all["ics"].src
    assert len(store.query([])) == len(library.src.query([]))
