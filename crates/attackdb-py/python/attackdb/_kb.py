"""``Kb``: attackdb's whole knowledge base from Python: several domains and releases, the data
home, relation maps of ATT&CK IDs, lookups, search, the 18.x detection chain and release diffs,
all as plain Python data."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Optional, Sequence, Union

from . import _native
from ._mitre import MitreAttackData
from ._objects import StixObject

__all__ = ["Kb", "AttackdbNote", "data_home", "RELATIONS"]


class AttackdbNote(UserWarning):
    """What a question's answer should be read with, as the CLI's ``note:`` lines and REST's
    ``X-Attackdb-Note`` headers say it: ``T0800 is not in enterprise-attack 18.1; answered from
    ics-attack 18.1 (domain ics)``."""

PathLike = Union[str, "os.PathLike[str]"]

#: The relation families of ``Kb.relation`` (attackdb's CLI names, as ``attackdb relation``):
#: mitreattack-python's 22 ``get_all_*`` maps, then attackdb's own families of the 18.x detection
#: chain (strategy <-> analytics <-> data components, and the techniques an analytic or a data
#: component serves; ``techniques_seen_by_datacomponent`` follows ``detects`` before 18.x).
RELATIONS = [
    "software_used_by_group",
    "groups_using_software",
    "software_used_by_campaign",
    "campaigns_using_software",
    "groups_attributing_to_campaign",
    "campaigns_attributed_to_group",
    "techniques_used_by_group",
    "groups_using_technique",
    "techniques_used_by_campaign",
    "campaigns_using_technique",
    "techniques_used_by_software",
    "software_using_technique",
    "techniques_mitigated_by_mitigation",
    "mitigations_mitigating_technique",
    "parent_technique_of_subtechnique",
    "subtechniques_of_technique",
    "techniques_detected_by_datacomponent",
    "datacomponents_detecting_technique",
    "techniques_targeting_asset",
    "assets_targeted_by_technique",
    "detection_strategies_detecting_technique",
    "techniques_detected_by_detection_strategy",
    "analytics_of_detection_strategy",
    "detection_strategies_of_analytic",
    "datacomponents_of_analytic",
    "analytics_using_datacomponent",
    "techniques_seen_by_analytic",
    "techniques_seen_by_datacomponent",
]


def data_home() -> Path:
    """The data home: ``$ATTACKDB_HOME``, else the user data directory + ``attackdb``
    (releases under ``releases/DOMAIN/DOMAIN-X.Y.json[.gz]``, as ``attackdb data fetch`` keeps them)."""
    return Path(_native.data_home())


class Kb:
    """Every loaded domain and release.

    ``Kb(paths)`` loads the bundles under `paths` (files, or folders searched recursively);
    ``Kb.open()`` with no paths loads every release in the data home. With `use_index` (the
    default, as the CLI does) each bundle is read through its prebuilt index, written beside it
    (or under the data home's ``index/``) on first load, so later starts take milliseconds.

    Questions take ``domain`` (``enterprise``, ``mobile``, ``ics``; default enterprise) and
    ``release`` (default: the newest loaded of that domain). Objects are named by ATT&CK ID, STIX
    ID, name or alias; answers follow attackdb's CLI (sorted ATT&CK IDs; revoked and deprecated
    objects never counted in relations; whole, case-insensitive alias matches).

    Raises
    ------
    FileNotFoundError
        A path does not exist, or (``Kb.open()``) the data home holds no release.
    ValueError
        A bundle is not valid STIX.
    """

    relations = RELATIONS

    def __init__(self, paths: Optional[Union[PathLike, Sequence[PathLike]]] = None, *, use_index: bool = True):
        if paths is None:
            listed = None
        elif isinstance(paths, (str, os.PathLike)):
            listed = [os.fspath(paths)]
        else:
            listed = [os.fspath(p) for p in paths]
        self._core = _native.KbCore(listed, use_index)

    @classmethod
    def open(cls, paths: Optional[Union[PathLike, Sequence[PathLike]]] = None, *, use_index: bool = True) -> "Kb":
        """The releases under `paths`, or (no paths) every release held in the data home."""
        return cls(paths, use_index=use_index)

    @property
    def releases(self) -> list[tuple[str, str]]:
        """``(domain, release)`` of everything loaded, by domain then release."""
        return self._core.releases()

    @property
    def warnings(self) -> list[str]:
        """Bundles skipped while loading and prebuilt indexes that could not be used."""
        return self._core.warnings

    def __repr__(self) -> str:
        return "Kb(" + ", ".join(f"{d} {r}" for d, r in self.releases) + ")"

    def _dataset(self, domain: str, release: Optional[str]):
        return self._core.select(domain, release)

    def mitre(self, domain: str = "enterprise", release: Optional[str] = None) -> MitreAttackData:
        """A ``MitreAttackData`` over one loaded domain and release (no second load)."""
        return MitreAttackData._from_native(self._dataset(domain, release))

    def _holding(self, query: str, domain: Optional[str], release: Optional[str], family: Optional[str] = None):
        """The dataset answering for `query`: `domain` (default enterprise), or, with no domain
        given, the other domain that holds it, with a note (``AttackdbNote``), as the CLI and REST
        answer."""
        dataset, notes = self._core.locate(query, domain, release, family)
        for note in notes:
            warnings.warn(note, AttackdbNote, stacklevel=3)
        return dataset

    def relation(
        self, family: str, key: Optional[str] = None, *, domain: Optional[str] = None, release: Optional[str] = None
    ) -> Union[dict[str, list[str]], list[str]]:
        """A relation family (one of ``Kb.relations``) as ``{ATT&CK ID: [ATT&CK IDs]}``, or for one
        object (`key`) its sorted list of ATT&CK IDs (STIX IDs for objects without one). A key
        only another domain holds is answered from it when no domain is given."""
        if key is None:
            return self._dataset(domain or "enterprise", release).relation(family, key)
        return self._holding(key, domain, release, family).relation(family, key)

    def lookup(self, query: str, *, domain: Optional[str] = None, release: Optional[str] = None) -> StixObject:
        """The object named by `query` (STIX ID, ATT&CK ID, name or alias; live objects first),
        in `domain` (default enterprise); with no domain given, an object only mobile or ICS
        holds is answered from there, with an ``AttackdbNote`` warning saying so.

        Raises ``ValueError`` (with suggestions) when nothing matches."""
        return self._holding(query, domain, release).lookup(query)

    def list(
        self,
        concept: str,
        *,
        domain: str = "enterprise",
        release: Optional[str] = None,
        include_revoked: bool = False,
        include_deprecated: bool = False,
    ) -> list[StixObject]:
        """Every object of a concept (``techniques``, ``subtechniques``, ``tactics``, ``groups``,
        ``software``, ``campaigns``, ``mitigations``, ``datasources``, ``datacomponents``,
        ``detectionstrategies``, ``analytics``, ``assets``, ``matrices``), sorted by ATT&CK ID."""
        return self._dataset(domain, release).list(concept, include_revoked, include_deprecated)

    def search(
        self,
        query: str,
        *,
        domain: str = "enterprise",
        release: Optional[str] = None,
        include_revoked: bool = False,
        include_deprecated: bool = False,
    ) -> list[StixObject]:
        """Objects matching `query` by ID, name, alias or description, best first."""
        return self._dataset(domain, release).search(query, include_revoked, include_deprecated)

    def attack_id(self, obj: Union[StixObject, str], *, domain: str = "enterprise", release: Optional[str] = None) -> Optional[str]:
        """The ATT&CK ID of an object (or STIX ID), whichever ATT&CK source name files it."""
        stix_id = obj if isinstance(obj, str) else obj.id
        return self._dataset(domain, release).attack_id_of(stix_id)

    def detection_chain(self, technique: str, *, domain: Optional[str] = None, release: Optional[str] = None) -> list[dict]:
        """How a technique is detected (ATT&CK 18+): ``[{"strategy": DET ID, "analytics":
        [{"analytic": AN ID, "log_sources": [(DC ID or None, name, channel)]}]}]``."""
        return self._holding(technique, domain, release).detection_chain(technique)

    def diff(self, old_release: str, new_release: str, *, domain: str = "enterprise") -> dict[str, dict[str, list[str]]]:
        """What changed between two loaded releases of a domain, in ``diff_stix``'s categories:
        ``{object type: {category: [ATT&CK IDs]}}`` (additions, major/minor version changes,
        other changes, patches, revocations, deprecations, deletions)."""
        return self._core.diff(self._dataset(domain, old_release), self._dataset(domain, new_release))

    def layer(
        self, query: str, *, domain: Optional[str] = None, release: Optional[str] = None, platform: Optional[str] = None
    ) -> dict:
        """The ATT&CK Navigator layer (format 4.5, as a dict ready for ``json.dump``) of the
        techniques a group, software, campaign, mitigation, data component or detection strategy
        uses, mitigates or detects, with the evidence as comments (``attackdb layer generate``)."""
        return json.loads(self._holding(query, domain, release).usage_layer(query, platform))

    def map(
        self,
        text: str,
        *,
        domain: str = "enterprise",
        release: Optional[str] = None,
        top: int = 20,
        min_score: float = 0.2,
        name: Optional[str] = None,
    ) -> dict:
        """A threat report's text (plain, Markdown or HTML) mapped to the ATT&CK techniques it
        describes, as ``attackdb map --json``: ``{"techniques": [{"id", "name", "score",
        "named", "sentences", "evidence"}], "entities", "sentences", "notes", "note"}``. These are
        suggestions for an analyst to review. Raises ``ValueError`` for an empty, binary or
        oversized text."""
        return json.loads(self._dataset(domain, release).map(text, name, top, min_score))

    def coverage(
        self,
        paths: Union[PathLike, Sequence[PathLike]],
        *,
        domain: str = "enterprise",
        release: Optional[str] = None,
        platform: Optional[str] = None,
    ) -> dict:
        """Detection coverage of rule files (folders searched recursively: Sigma, Splunk,
        Elastic TOML, CSV inventories, Navigator layers) on one release, as ``attackdb coverage
        --json``: rules read and mapped, per-technique and per-tactic coverage, unknown, revoked
        and deprecated IDs, unreadable files."""
        listed = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]
        return json.loads(self._dataset(domain, release).coverage(listed, platform))
