"""``to_pandas``: attackdb answers as pandas DataFrames, where pandas is installed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["to_pandas"]

_ATTACK_SOURCES = ("mitre-attack", "mitre-mobile-attack", "mitre-ics-attack")


def _attack_id(obj: Any):
    for ref in obj.get("external_references", None) or []:
        if ref.get("source_name") in _ATTACK_SOURCES and ref.get("external_id"):
            return ref["external_id"]
    return None


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas needs pandas: pip install pandas") from None
    return pandas


def to_pandas(value: Any):
    """A DataFrame of an attackdb answer.

    - a list of objects (``get_techniques()``, ``Kb.list(...)``): one row per object, an
      ``attack_id`` column then every field;
    - a relationship map (``get_all_*()``): one row per (key, related object) with
      ``source_id``, ``target_id``, ``target_attack_id``, ``target_name`` and ``relationship_ids``;
    - a relation map of IDs (``Kb.relation(...)``): ``source`` and ``target`` columns;
    - a map of object lists (``get_tactics_by_matrix()``): ``key`` plus the object columns.
    """
    pd = _pandas()
    if isinstance(value, Mapping):
        rows = []
        sample = next((v for v in value.values() if v), None)
        first = sample[0] if sample else None
        if isinstance(first, str) or sample is None:
            for key, targets in value.items():
                rows.extend({"source": key, "target": t} for t in targets)
            return pd.DataFrame(rows, columns=["source", "target"])
        if isinstance(first, Mapping) and "object" in first and "relationships" in first:
            for key, entries in value.items():
                for entry in entries:
                    target = entry["object"]
                    rows.append(
                        {
                            "source_id": key,
                            "target_id": target["id"],
                            "target_attack_id": _attack_id(target),
                            "target_name": target.get("name"),
                            "relationship_ids": [r["id"] for r in entry["relationships"]],
                        }
                    )
            return pd.DataFrame(
                rows, columns=["source_id", "target_id", "target_attack_id", "target_name", "relationship_ids"]
            )
        for key, objects in value.items():
            for obj in objects:
                row = {"key": key}
                if obj is not None:
                    row["attack_id"] = _attack_id(obj)
                    row.update(dict(obj))
                rows.append(row)
        return pd.DataFrame(rows)
    rows = []
    for obj in value:
        row = {"attack_id": _attack_id(obj)}
        row.update(dict(obj))
        rows.append(row)
    return pd.DataFrame(rows)
