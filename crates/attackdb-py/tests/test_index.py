"""MitreAttackData's prebuilt index in the data home: the first load parses the JSON and writes
the index in the background, the next ones read it, and both answer the same."""

from __future__ import annotations

import shutil

import attackdb
from attackdb import MitreAttackData, _native

from conftest import bundle_gz, require_data


def test_cold_then_warm_load_answer_the_same(tmp_path, monkeypatch):
    require_data()
    monkeypatch.setenv("ATTACKDB_HOME", str(tmp_path / "home"))
    bundle = tmp_path / "ics-attack-18.1.json.gz"
    shutil.copy(bundle_gz("ics"), bundle)
    cold = MitreAttackData(str(bundle))
    _native.finish_index_writes()
    written = list((tmp_path / "home" / "index").glob("*.attackdb-index"))
    assert len(written) == 1 and not list(tmp_path.glob("*.attackdb-index"))
    warm = MitreAttackData(str(bundle))
    assert warm.index_warnings == []
    for method in ("get_all_techniques_used_by_all_groups", "get_all_assets_targeted_by_all_techniques"):
        a, b = getattr(cold, method)(), getattr(warm, method)()
        assert [(k, [(e["object"].id, [r.id for r in e["relationships"]]) for e in v]) for k, v in a.items()] == [
            (k, [(e["object"].id, [r.id for r in e["relationships"]]) for e in v]) for k, v in b.items()
        ]
    assert [o.serialize() for o in cold.get_techniques()] == [o.serialize() for o in warm.get_techniques()]
    assert [o.id for o in cold.get_objects_by_content("Modbus")] == [o.id for o in warm.get_objects_by_content("Modbus")]
    plain = MitreAttackData(str(bundle), use_index=False)
    assert [o.id for o in plain.get_groups()] == [o.id for o in warm.get_groups()]


def test_damaged_index_is_rebuilt(tmp_path, monkeypatch):
    require_data()
    monkeypatch.setenv("ATTACKDB_HOME", str(tmp_path / "home"))
    bundle = tmp_path / "ics-attack-18.1.json.gz"
    shutil.copy(bundle_gz("ics"), bundle)
    MitreAttackData(str(bundle))
    _native.finish_index_writes()
    (index,) = (tmp_path / "home" / "index").glob("*.attackdb-index")
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index.write_bytes(bytes(data))
    again = MitreAttackData(str(bundle))
    assert again.get_object_by_attack_id("T0800", "attack-pattern").name
    assert [o.id for o in again.get_groups()]
