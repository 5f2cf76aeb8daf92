"""One question, one answer: the questions the Python package offers answer as the CLI's
``--json`` does with the same arguments (the CLI and REST are compared in
``crates/attackdb/tests/conformance.rs``), errors included.

Needs the CLI: ``ATTACKDB_BIN`` (``.ci/run`` sets it), else ``target/debug/attackdb`` of this
checkout; without it these tests skip loudly (``ATTACKDB_REQUIRE_DATA`` makes that a failure).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from attackdb import Kb
from conftest import REPO, bundle_gz, require_data


def attackdb_bin() -> str:
    path = os.environ.get("ATTACKDB_BIN") or str(REPO / "target" / "debug" / "attackdb")
    if not Path(path).is_file():
        message = f"the attackdb binary is missing at {path} (set ATTACKDB_BIN)"
        if os.environ.get("ATTACKDB_REQUIRE_DATA"):
            pytest.fail(message, pytrace=False)
        pytest.skip("!!! SKIPPING: " + message)
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    data = require_data()
    env = dict(os.environ)
    env.pop("ATTACKDB_DATA", None)
    return subprocess.run(
        [attackdb_bin(), "--data", str(data), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def cli_json(*args: str):
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_error(*args: str) -> dict:
    done = cli(*args)
    assert done.returncode == 1, done.stdout
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def kb() -> Kb:
    require_data()
    return Kb([bundle_gz("enterprise")])


def test_relations_answer_as_the_cli(kb):
    assert kb.relation("techniques_used_by_group", "G0016") == cli_json(
        "relation", "techniques_used_by_group", "G0016"
    )
    assert len(kb.relation("techniques_used_by_group", "G0016")) == 119


def test_coverage_answers_as_the_cli(kb, tmp_path):
    rules = require_data().parent / "corpora" / "sigma" / "rules" / "windows" / "process_access"
    assert kb.coverage(rules) == cli_json("coverage", str(rules))


def test_coverage_errors_say_the_same(kb, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("title: [unclosed\n")
    error = cli_error("coverage", str(broken))
    assert error["code"] == "nothing_read"
    with pytest.raises(ValueError) as raised:
        kb.coverage(broken)
    assert str(raised.value) == error["message"]
    rules = require_data().parent / "corpora" / "sigma" / "rules" / "windows" / "process_access"
    error = cli_error("coverage", str(rules), "--platform", "Amiga")
    assert error["code"] == "bad_parameter"
    with pytest.raises(ValueError) as raised:
        kb.coverage(rules, platform="Amiga")
    assert str(raised.value) == error["message"]


def cli_notes(*args: str) -> list[str]:
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return [line[len("note: "):] for line in done.stderr.splitlines() if line.startswith("note: ")]


def test_an_id_only_ics_holds_is_answered_from_ics_with_the_cli_note():
    from attackdb import AttackdbNote

    kb = Kb([bundle_gz("enterprise"), bundle_gz("ics")])
    with pytest.warns(AttackdbNote) as said:
        found = kb.lookup("T0800")
    shown = cli_json("show", "T0800")
    assert found.id == shown["id"]
    assert found.name == "Activate Firmware Update Mode"
    assert [str(w.message) for w in said] == cli_notes("show", "T0800")
    assert [str(w.message) for w in said] == [
        "T0800 is not in enterprise-attack 18.1; answered from ics-attack 18.1 (domain ics)"
    ]
    # The same rule for a relation's key; a named domain does not fall back, as the CLI.
    with pytest.warns(AttackdbNote):
        mitigated = kb.relation("techniques_mitigated_by_mitigation", "M0801")
    assert mitigated == cli_json("relation", "techniques_mitigated_by_mitigation", "M0801")
    error = cli_error("--domain", "enterprise", "show", "T0800")
    assert error["code"] == "not_found"
    with pytest.raises(ValueError) as raised:
        kb.lookup("T0800", domain="enterprise")
    assert str(raised.value) == error["message"]


MAP_REPORT = (
    "In March, APT29 sent spearphishing emails with malicious Word attachments. "
    "The macro launched PowerShell, and the actors dumped credentials from LSASS memory "
    "and moved laterally over RDP (T1021.001). The old ID T1086 appears too.\n"
)


def test_a_report_maps_as_the_cli_maps_it(kb, tmp_path):
    report = tmp_path / "report.txt"
    report.write_text(MAP_REPORT)
    answer = kb.map(MAP_REPORT, name="report.txt")
    assert answer == cli_json("map", str(report))
    ids = [t["id"] for t in answer["techniques"]]
    assert {"T1021.001", "T1059.001", "T1003.001", "T1566.001"} <= set(ids)
    assert answer["notes"] == ["T1086 is revoked: mapped to T1059.001, which replaces it"]
    assert [e["id"] for e in answer["entities"]] == ["G0016"]
    assert "for an analyst to review" in answer["note"]
    for bad, reason in (("   ", "the report is empty"), ("a\x00b", "binary data")):
        with pytest.raises(ValueError, match=reason):
            kb.map(bad)
