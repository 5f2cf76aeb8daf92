"""Returned objects behave like stix2 objects: attribute and item access (nested too), get, in,
key iteration, equality by ID and version, serialize() = the bundle's JSON, dict(), and more."""

from __future__ import annotations

import copy
import gzip
import json
import pickle
from collections.abc import Mapping
from datetime import datetime, timezone

import pytest

import attackdb
from attackdb import StixDict, StixObject

from conftest import bundle_gz


@pytest.fixture(scope="module")
def technique(enterprise):
    return enterprise.get_object_by_attack_id("T1059.001", "attack-pattern")


@pytest.fixture(scope="module")
def bundle_text(json_bundles):
    return json_bundles["enterprise"].read_text(encoding="utf-8")


def test_attribute_and_item_access(technique):
    assert technique.name == "PowerShell"
    assert technique["name"] == "PowerShell"
    assert technique.type == "attack-pattern" and technique.id.startswith("attack-pattern--")
    assert technique.external_references[0].external_id == "T1059.001"
    assert technique["external_references"][0]["source_name"] == "mitre-attack"
    assert technique.kill_chain_phases[0].phase_name == "execution"
    assert isinstance(technique.external_references[0], StixDict)
    assert technique.x_mitre_is_subtechnique is True
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        technique.nope
    with pytest.raises(KeyError):
        technique["nope"]
    with pytest.raises(AttributeError):
        technique.external_references[0].nope


def test_mapping_protocol(technique):
    assert isinstance(technique, Mapping)
    assert "name" in technique and "nope" not in technique
    assert technique.get("nope") is None and technique.get("nope", 7) == 7
    keys = list(technique)
    assert keys == list(technique.keys()) and keys[0] == "type"
    assert len(technique) == len(keys)
    as_dict = dict(technique)
    assert as_dict["id"] == technique.id and set(as_dict) == set(keys)
    assert dict(technique.items()) == as_dict and list(technique.values()) == list(as_dict.values())
    # stix2's defaults are there, as on the library's objects.
    assert technique.revoked is False


def test_timestamps_are_datetimes(technique):
    assert isinstance(technique.created, datetime)
    assert technique.created.tzinfo is not None
    assert technique.created == datetime(2020, 3, 9, 13, 33, 30, 192000, tzinfo=timezone.utc) or technique.created.year >= 2017


def test_serialize_is_the_bundle_json(enterprise, technique, bundle_text):
    raw = technique.serialize()
    assert raw in bundle_text
    assert json.loads(raw)["id"] == technique.id
    pretty = technique.serialize(pretty=True)
    assert json.loads(pretty) == json.loads(raw) and "\n    " in pretty
    assert json.loads(technique.serialize(sort_keys=True)) == json.loads(raw)
    assert json.loads(str(technique)) == json.loads(raw)
    relationship = enterprise.get_procedure_examples_by_technique(technique.id)[0]
    assert relationship.serialize() in bundle_text


def test_every_object_serializes_as_in_the_bundle(enterprise, bundle_text):
    objects = enterprise._native.all_objects()
    originals = json.loads(bundle_text)["objects"]
    assert [o.id for o in objects] == [o["id"] for o in originals]
    for obj, original in zip(objects, originals):
        assert json.loads(obj.serialize()) == original


def test_equality_and_hash(enterprise, technique, json_bundles):
    again = enterprise.get_object_by_stix_id(technique.id)
    assert again is technique and again == technique
    other = attackdb.MitreAttackData(str(bundle_gz("enterprise")))
    twin = other.get_object_by_stix_id(technique.id)
    assert twin is not technique and twin == technique and hash(twin) == hash(technique)
    assert technique != enterprise.get_object_by_attack_id("T1059", "attack-pattern")
    assert technique != {"id": technique.id}
    assert len({technique, twin}) == 1
    older = attackdb.MitreAttackData(str(bundle_gz("enterprise", "15.1")))
    old = older.get_object_by_stix_id(technique.id)
    assert old.id == technique.id and old.modified != technique.modified and old != technique


def test_immutable_copy_pickle(technique):
    with pytest.raises(AttributeError):
        technique.name = "x"
    assert copy.copy(technique) is technique and copy.deepcopy(technique) is technique
    restored = pickle.loads(pickle.dumps(technique))
    assert isinstance(restored, dict) and restored["id"] == technique.id
    assert restored["external_references"][0].external_id == "T1059.001"


def test_repr_and_dir(technique):
    assert "PowerShell" in repr(technique) and technique.id in repr(technique)
    names = dir(technique)
    assert "x_mitre_platforms" in names and "serialize" in names


def test_lazy_until_read(json_bundles):
    data = attackdb.MitreAttackData(str(json_bundles["ics"]))
    groups = data.get_groups()
    assert groups and all(isinstance(g, StixObject) for g in groups)
    # The ID and type need no parsing; fields are parsed on first read and then kept.
    assert groups[0].id.startswith("intrusion-set--") and groups[0].type == "intrusion-set"
    assert groups[0].name == groups[0]["name"]


def test_to_pandas(enterprise):
    pd = pytest.importorskip("pandas")
    frame = attackdb.to_pandas(enterprise.get_groups(remove_revoked_deprecated=True))
    assert isinstance(frame, pd.DataFrame) and "G0016" in set(frame["attack_id"])
    relations = attackdb.to_pandas(enterprise.get_all_techniques_used_by_all_groups())
    assert {"source_id", "target_id", "target_attack_id", "relationship_ids"} <= set(relations.columns)
    assert len(relations) == sum(len(v) for v in enterprise.get_all_techniques_used_by_all_groups().values())
    tactics = attackdb.to_pandas(enterprise.get_tactics_by_matrix())
    assert len(tactics) == 14


def test_custom_class_methods(enterprise):
    tactic = enterprise.get_tactics()[0]
    assert tactic.get_shortname() == tactic.x_mitre_shortname
    assert tactic.get_version() == tactic.x_mitre_version
    with pytest.raises(AttributeError, match="x_mitre_shortname"):
        enterprise.get_groups()[0].get_shortname()
