"""Bad input: Python exceptions with clear messages, never a crash."""

from __future__ import annotations

import gzip
import json

import pytest

import attackdb
from attackdb import Kb, MitreAttackData


def test_constructor_arguments():
    with pytest.raises(TypeError, match="without one of"):
        MitreAttackData()
    with pytest.raises(TypeError, match="both"):
        MitreAttackData(stix_filepath="x.json", src=object())
    with pytest.raises(TypeError, match="must be of type str"):
        MitreAttackData(stix_filepath=42)
    with pytest.raises(TypeError, match="MemoryStore"):
        MitreAttackData(src=object())


def test_missing_and_broken_bundles(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        MitreAttackData(str(tmp_path / "nothing.json"))
    with pytest.raises(IsADirectoryError):
        MitreAttackData(str(tmp_path))
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "bundle", "objects": [{"type": "attack-pattern",')
    with pytest.raises(ValueError, match=r"broken.json:1:\d+"):
        MitreAttackData(str(broken))
    not_bundle = tmp_path / "list.json"
    not_bundle.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="not a STIX bundle"):
        MitreAttackData(str(not_bundle))
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(gzip.compress(b'{"type": "bundle", "objects": []}' * 50)[:40])
    with pytest.raises(ValueError, match="gzip"):
        MitreAttackData(str(cut))
    for use_index in (False, True):
        with pytest.raises(ValueError):
            MitreAttackData(str(broken), use_index=use_index)


def test_small_bundle_of_any_kind(tmp_path):
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "attack-pattern", "id": "attack-pattern--1", "name": "One", "spec_version": "2.1",
             "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
             "external_references": [{"source_name": "mitre-attack", "external_id": "T0001"}]},
        ],
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(bundle))
    data = MitreAttackData(str(path))
    assert data.get_object_by_attack_id("t0001", "attack-pattern").name == "One"
    assert data.get_all_techniques_used_by_all_groups() == {}
    assert data.get_techniques(include_subtechniques=False) == []


def test_unknown_ids_and_types(enterprise):
    with pytest.raises(ValueError, match="not found"):
        enterprise.get_object_by_stix_id("attack-pattern--nope")
    with pytest.raises(ValueError, match="not found"):
        enterprise.get_tactics_by_technique("attack-pattern--nope")
    with pytest.raises(ValueError, match="not found"):
        enterprise.get_analytics_by_detection_strategy("x-mitre-detection-strategy--nope")
    with pytest.raises(ValueError, match="not found"):
        enterprise.get_attack_id("nope")
    with pytest.raises(ValueError, match="stix_type must be one of"):
        enterprise.get_object_by_attack_id("T1059", "technique")
    with pytest.raises(ValueError, match="stix_type must be one of"):
        enterprise.get_objects_by_name("PowerShell", "technique")
    with pytest.raises(ValueError, match="object_type must be one of"):
        enterprise.get_objects_by_content("x", "technique")
    with pytest.raises(ValueError, match="domain must be one of"):
        enterprise.get_techniques_by_tactic("execution", "enterprise")
    with pytest.raises(ValueError, match="underscores"):
        enterprise.get_objects_by_type("x_mitre_tactic")
    with pytest.raises(ValueError, match="not a timestamp"):
        enterprise.get_objects_created_after("yesterday")
    with pytest.raises(ValueError):
        enterprise.get_objects_modified_after("not a date at all")
    assert enterprise.get_object_by_attack_id("T9999", "attack-pattern") is None
    assert enterprise.get_techniques_used_by_group("intrusion-set--nope") == []
    assert enterprise.get_objects_by_type("no-such-type") == []


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.get_object_by_stix_id(42),
        lambda d: d.get_object_by_attack_id(None, "attack-pattern"),
        lambda d: d.get_techniques_by_platform(["Windows"]),
        lambda d: d.get_groups_by_alias(1),
        lambda d: d.get_objects_by_content(b"x"),
        lambda d: d.get_related("intrusion-set", 3, "attack-pattern"),
        lambda d: d.get_revoking_object(None),
    ],
)
def test_wrong_argument_types(enterprise, call):
    with pytest.raises(TypeError):
        call(enterprise)


def test_objects_refuse_bad_keys(enterprise):
    group = enterprise.get_groups()[0]
    with pytest.raises(KeyError):
        group[None]
    with pytest.raises(TypeError):
        group[[1]]
    assert group.get(3) is None


def test_kb_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError):
        Kb(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no ATT&CK bundle"):
        Kb(empty)
    monkeypatch.setenv("ATTACKDB_HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError, match="attackdb data fetch"):
        Kb.open()


def test_the_bundle_limit_of_the_environment_applies(tmp_path, monkeypatch):
    """ATTACKDB_MAX_BUNDLE_BYTES bounds what the package reads, as it bounds the CLI: the ICS
    18.1 bundle (about 3 MB of JSON) is refused under a 1 MiB limit, with and without the
    prebuilt index, by MitreAttackData and by Kb alike; a malformed limit is refused by name."""
    from conftest import bundle_gz, require_data

    require_data()
    ics = bundle_gz("ics")
    monkeypatch.setenv("ATTACKDB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ATTACKDB_MAX_BUNDLE_BYTES", "1MiB")
    for use_index in (False, True):
        with pytest.raises(ValueError, match="larger than the limit of 1048576 bytes"):
            MitreAttackData(str(ics), use_index=use_index)
        with pytest.raises(ValueError, match="larger than the limit of 1048576 bytes"):
            Kb(ics, use_index=use_index)
    monkeypatch.setenv("ATTACKDB_MAX_BUNDLE_BYTES", "lots")
    with pytest.raises(ValueError, match="ATTACKDB_MAX_BUNDLE_BYTES"):
        MitreAttackData(str(ics))
    monkeypatch.setenv("ATTACKDB_MAX_BUNDLE_BYTES", "64MiB")
    assert MitreAttackData(str(ics)).get_object_by_attack_id("T0800", "attack-pattern") is not None
