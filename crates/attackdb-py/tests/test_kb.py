"""attackdb.Kb: several domains and releases, the data home, relation maps of ATT&CK IDs,
lookups, search, the detection chain and release diffs."""

from __future__ import annotations

import os

import pytest

from attackdb import Kb, MitreAttackData, data_home

from conftest import DOMAINS, bundle_gz, require_data


@pytest.fixture(scope="module")
def kb():
    require_data()
    return Kb([bundle_gz(d) for d in DOMAINS] + [bundle_gz("enterprise", "17.1")], use_index=False)


def display(obj):
    for ref in obj.get("external_references", None) or []:
        if ref.get("source_name") in ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack") and ref.get("external_id"):
            return ref["external_id"]
    return obj["id"]


def test_releases(kb):
    assert kb.releases == [
        ("enterprise-attack", "17.1"),
        ("enterprise-attack", "18.1"),
        ("ics-attack", "18.1"),
        ("mobile-attack", "18.1"),
    ]
    assert "enterprise-attack 18.1" in repr(kb)


def test_relation_maps_agree_with_the_library_maps(kb, enterprise):
    """Kb.relation (attackdb's CLI answers) is the library's map named by ATT&CK IDs."""
    families = dict(zip(Kb.relations, [
        "get_all_software_used_by_all_groups", "get_all_groups_using_all_software",
        "get_all_software_used_by_all_campaigns", "get_all_campaigns_using_all_software",
        "get_all_groups_attributing_to_all_campaigns", "get_all_campaigns_attributed_to_all_groups",
        "get_all_techniques_used_by_all_groups", "get_all_groups_using_all_techniques",
        "get_all_techniques_used_by_all_campaigns", "get_all_campaigns_using_all_techniques",
        "get_all_techniques_used_by_all_software", "get_all_software_using_all_techniques",
        "get_all_techniques_mitigated_by_all_mitigations", "get_all_mitigations_mitigating_all_techniques",
        "get_all_parent_techniques_of_all_subtechniques", "get_all_subtechniques_of_all_techniques",
        "get_all_techniques_detected_by_all_datacomponents", "get_all_datacomponents_detecting_all_techniques",
        "get_all_techniques_targeting_all_assets", "get_all_assets_targeted_by_all_techniques",
        "get_all_detection_strategies_detecting_all_techniques", "get_all_techniques_detected_by_all_detection_strategies",
    ]))
    for family, method in families.items():
        library_shaped = getattr(enterprise, method)()
        expected = {}
        for key, entries in library_shaped.items():
            name = display(enterprise.get_object_by_stix_id(key))
            expected.setdefault(name, set()).update(display(e["object"]) for e in entries)
        expected = {k: sorted(v) for k, v in expected.items()}
        ours = kb.relation(family)
        assert ours == expected, family
        assert all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in ours.values())
    assert kb.relation("techniques_used_by_group", "APT29") == kb.relation("techniques_used_by_group")["G0016"]
    assert kb.relation("techniques-used-by-group", "cozy bear") == kb.relation("techniques_used_by_group", "G0016")
    # attackdb's own families of the detection chain, after the library's 22
    assert Kb.relations[22:] == [
        "analytics_of_detection_strategy", "detection_strategies_of_analytic", "datacomponents_of_analytic",
        "analytics_using_datacomponent", "techniques_seen_by_analytic", "techniques_seen_by_datacomponent",
    ]
    assert len(kb.relation("techniques_seen_by_datacomponent", "DC0035")) == 77
    assert kb.relation("techniques_detected_by_datacomponent", "DC0035") == []


def test_lookup_list_search(kb):
    assert kb.lookup("G0016").name == "APT29"
    assert kb.lookup("Cozy Bear").id == kb.lookup("APT29").id
    assert kb.lookup("T0800", domain="ics").name
    assert kb.attack_id(kb.lookup("APT29")) == "G0016"
    techniques = kb.list("techniques")
    assert len(techniques) == 216 and display(techniques[0]) == "T1001"
    assert len(kb.list("subtechniques")) == 475
    assert len(kb.list("techniques", domain="mobile")) == 77
    assert len(kb.list("techniques", release="17.1")) > 0
    assert kb.search("lsass memory")[0].name
    with pytest.raises(ValueError, match="did you mean"):
        kb.lookup("APT2999")
    with pytest.raises(ValueError, match="unknown relation"):
        kb.relation("techniques_used_by_grup")
    with pytest.raises(ValueError, match="unknown domain"):
        kb.lookup("T1059", domain="pre")
    with pytest.raises(ValueError, match="for release 9.9"):
        kb.lookup("T1059", release="9.9")
    with pytest.raises(ValueError, match="unknown concept"):
        kb.list("widgets")


def test_detection_chain(kb):
    chain = kb.detection_chain("T1003.001")
    assert chain and chain[0]["strategy"].startswith("DET")
    analytic = chain[0]["analytics"][0]
    assert analytic["analytic"].startswith("AN")
    assert all(len(source) == 3 for source in analytic["log_sources"])


def test_diff(kb):
    changes = kb.diff("17.1", "18.1")
    assert "techniques" in changes or any("technique" in k for k in changes)
    flat = {cat for cats in changes.values() for cat in cats}
    assert flat, changes
    assert all(isinstance(ids, list) for cats in changes.values() for ids in cats.values())


def test_mitre_over_a_loaded_release(kb, enterprise):
    mitre = kb.mitre("enterprise", "18.1")
    assert isinstance(mitre, MitreAttackData)
    assert [g.id for g in mitre.get_groups()] == [g.id for g in enterprise.get_groups()]
    assert mitre.release == "18.1" and kb.mitre(release="17.1").release == "17.1"


def test_data_home(tmp_path, monkeypatch):
    require_data()
    home = tmp_path / "home"
    monkeypatch.setenv("ATTACKDB_HOME", str(home))
    assert data_home() == home
    for domain in ("enterprise", "ics"):
        folder = home / "releases" / f"{domain}-attack"
        folder.mkdir(parents=True)
        os.symlink(bundle_gz(domain), folder / bundle_gz(domain).name)
    first = Kb.open()
    assert first.releases == [("enterprise-attack", "18.1"), ("ics-attack", "18.1")]
    assert list((home / "releases" / "ics-attack").glob("*.attackdb-index"))
    again = Kb.open()
    assert again.warnings == [] and again.lookup("T1059.001").name == "PowerShell"
    assert again.relation("techniques_used_by_group", "G0016") == first.relation("techniques_used_by_group", "G0016")


def test_usage_layer(kb):
    layer = kb.layer("APT29")
    assert layer["domain"] == "enterprise-attack" and layer["versions"]["layer"] == "4.5"
    ids = {t["techniqueID"] for t in layer["techniques"]}
    assert set(kb.relation("techniques_used_by_group", "G0016")) <= ids
    linux = kb.layer("G0016", platform="Linux")
    assert {t["techniqueID"] for t in linux["techniques"]} <= ids
    with pytest.raises(ValueError):
        kb.layer("T1059")
    with pytest.raises(ValueError):
        kb.layer("No Such Group")


def test_coverage(kb, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "lsass.yml").write_text(
        "title: LSASS access\nid: 0b8c7a8e-1111-4c1a-9d0e-000000000001\nstatus: stable\nlevel: high\n"
        "tags:\n  - attack.credential-access\n  - attack.t1003.001\n"
        "logsource:\n  product: windows\n  category: process_access\n"
        "detection:\n  sel:\n    TargetImage|endswith: '\\\\lsass.exe'\n  condition: sel\n"
    )
    (rules / "inventory.csv").write_text("name,techniques\nshell,T1059.001 T1059.003\nold,T1086\n")
    report = kb.coverage(rules)
    assert isinstance(report, dict) and report
    text = repr(report)
    assert "T1003.001" in text and "T1059.001" in text
    with pytest.raises(FileNotFoundError):
        kb.coverage(tmp_path / "missing")
