"""``MitreAttackData``: mitreattack-python 6.3.1's class, answered by attackdb's engine.

Same constructor, methods, parameters, defaults and results (same objects, in the same order,
with the same relationships) as ``mitreattack.stix20.MitreAttackData``; see the package README
for the few deliberate differences.
"""

from __future__ import annotations

import atexit
import gzip
import json
import os
from datetime import datetime, timezone
from typing import Any, Optional, TypedDict

from . import _native
from ._objects import StixObject, parse_timestamp

__all__ = ["MitreAttackData", "RelationshipEntry", "RelationshipMapT"]


class RelationshipEntry(TypedDict):
    """An object and the relationships that relate it (the library's ``RelationshipEntry``)."""

    object: StixObject
    relationships: list[StixObject]


RelationshipMapT = dict[str, list[RelationshipEntry]]

# A first load writes the bundle's prebuilt index in the background: let it finish at exit.
atexit.register(_native.finish_index_writes)

_DOMAIN_TO_KILL_CHAIN = {
    "enterprise-attack": "mitre-attack",
    "mobile-attack": "mitre-mobile-attack",
    "ics-attack": "mitre-ics-attack",
}


def _require_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _check_type_filter(stix_type: str) -> None:
    # stix2's Filter("type", "=", value) refuses underscores; the library inherits that.
    if "_" in stix_type:
        raise ValueError(f"Filter for property 'type' cannot have its value '{stix_type}' include underscores")


def _modified_bound(date: str) -> str:
    """The library's ``dateutil.parser.parse(date).strftime("%Y-%m-%dT%H:%M:%SZ")``, with a
    built-in ISO 8601 reader when dateutil is not installed."""
    try:
        from dateutil import parser
    except ImportError:
        parser = None
    if parser is not None:
        parsed = parser.parse(date)
    else:
        try:
            parsed = parse_timestamp(date if "T" in date else date + "T00:00:00Z")
        except (ValueError, TypeError):
            raise ValueError(
                f"{date!r} is not a date: expected ISO 8601 (e.g. 2022-10-01 or 2022-10-01T00:00:00.000Z); "
                "install python-dateutil for free-form dates"
            ) from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_store(src: Any) -> str:
    """A bundle's JSON text from a stix2 ``MemoryStore`` (or any data source with ``query``)."""
    query = getattr(src, "query", None)
    if query is None:
        raise TypeError(f"src must be a stix2.MemoryStore, not {type(src).__name__}")
    parts = []
    for obj in query([]):
        serialize = getattr(obj, "serialize", None)
        parts.append(serialize() if serialize is not None else json.dumps(obj, default=str))
    return '{"type": "bundle", "id": "bundle--memory-store", "objects": [' + ",".join(parts) + "]}"


class MitreAttackData:
    """Query ATT&CK STIX data: mitreattack-python 6.3.1's ``MitreAttackData``, much faster.

    Parameters
    ----------
    stix_filepath : str | os.PathLike | None, optional
        A STIX 2.0 or 2.1 bundle, ``.json`` or ``.json.gz``. Mutually exclusive with `src`.
    src : stix2.MemoryStore | None, optional
        A bundle already loaded by stix2. Mutually exclusive with `stix_filepath`.
    use_index : bool, optional, keyword only
        attackdb only: read and keep a prebuilt index in the data home (default True).

    Raises
    ------
    TypeError
        If neither or both of `stix_filepath` and `src` are given, or `stix_filepath` is not a path.
    FileNotFoundError
        If the bundle does not exist.
    ValueError
        If the file is not a STIX bundle (the message names the file, line and column).
    """

    stix_types = [
        "attack-pattern",
        "malware",
        "tool",
        "intrusion-set",
        "campaign",
        "course-of-action",
        "x-mitre-matrix",
        "x-mitre-tactic",
        "x-mitre-data-source",
        "x-mitre-data-component",
        "x-mitre-asset",
        "x-mitre-analytic",
        "x-mitre-detection-strategy",
    ]

    all_software_used_by_all_groups: Optional[RelationshipMapT] = None
    all_groups_using_all_software: Optional[RelationshipMapT] = None
    all_software_used_by_all_campaigns: Optional[RelationshipMapT] = None
    all_campaigns_using_all_software: Optional[RelationshipMapT] = None
    all_groups_attributing_to_all_campaigns: Optional[RelationshipMapT] = None
    all_campaigns_attributed_to_all_groups: Optional[RelationshipMapT] = None
    all_techniques_used_by_all_groups: Optional[RelationshipMapT] = None
    all_groups_using_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_used_by_all_campaigns: Optional[RelationshipMapT] = None
    all_campaigns_using_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_used_by_all_software: Optional[RelationshipMapT] = None
    all_software_using_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_mitigated_by_all_mitigations: Optional[RelationshipMapT] = None
    all_mitigations_mitigating_all_techniques: Optional[RelationshipMapT] = None
    all_parent_techniques_of_all_subtechniques: Optional[RelationshipMapT] = None
    all_subtechniques_of_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_detected_by_all_datacomponents: Optional[RelationshipMapT] = None
    all_datacomponents_detecting_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_targeting_all_assets: Optional[RelationshipMapT] = None
    all_assets_targeted_by_all_techniques: Optional[RelationshipMapT] = None
    all_detection_strategies_detecting_all_techniques: Optional[RelationshipMapT] = None
    all_techniques_detected_by_all_detection_strategies: Optional[RelationshipMapT] = None

    def __init__(self, stix_filepath: str | None = None, src: Any = None, *, use_index: bool = True):
        """Load `stix_filepath` (or the objects of `src`); see the class documentation.

        `use_index` (attackdb only): keep a prebuilt index of the bundle in the data home's
        ``index/`` folder (keyed by the bundle's SHA-256; never beside the bundle), so that the
        next load of the same file reads its tables instead of parsing the JSON.
        """
        if not stix_filepath and not src:
            raise TypeError("MitreAttackData cannot be initialized without one of `stix_filepath` or `src`.")
        elif stix_filepath and src:
            raise TypeError("MitreAttackData cannot be initialized with both `stix_filepath` and `src`.")
        if stix_filepath and not isinstance(stix_filepath, (str, os.PathLike)):
            raise TypeError(f"Argument stix_filepath must be of type str, not {type(stix_filepath)}")
        if stix_filepath:
            self.stix_filepath = os.fspath(stix_filepath)
            self._src = None
            index_dir = None
            if use_index:
                try:
                    index_dir = os.path.join(_native.data_home(), "index")
                except OSError:
                    index_dir = None
            self._native, self.index_warnings = _native.NativeDataset.load(self.stix_filepath, index_dir)
        else:
            self.stix_filepath = None
            self._src = src
            self.index_warnings = []
            self._native = _native.NativeDataset.from_json(_read_store(src), "<stix2 MemoryStore>")

    @classmethod
    def _from_native(cls, native: Any) -> "MitreAttackData":
        data = cls.__new__(cls)
        data.stix_filepath = str(native.path)
        data._src = None
        data.index_warnings = []
        data._native = native
        return data

    @property
    def src(self) -> Any:
        """A ``stix2.MemoryStore`` of the bundle, as the library's ``src``: the one given, or one
        loaded from the file on first use (this takes as long as loading with stix2 does, and
        needs stix2 installed)."""
        if self._src is None:
            try:
                import stix2
            except ImportError:
                raise ImportError("MitreAttackData.src needs stix2: pip install stix2") from None
            path = self.stix_filepath
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                self._src = stix2.MemoryStore(stix_data=json.load(f), allow_custom=True)
        return self._src

    @src.setter
    def src(self, value: Any) -> None:
        self._src = value

    @property
    def domain(self) -> str:
        """The bundle's domain (``enterprise-attack``...; ``unknown`` for other bundles). attackdb only."""
        return self._native.domain

    @property
    def release(self) -> str:
        """The bundle's ATT&CK release (e.g. ``18.1``). attackdb only."""
        return self._native.release

    def __repr__(self) -> str:
        return f"MitreAttackData({self._native.domain} {self._native.release}, {self._native.object_count} objects)"

    ###################################
    # Utilities
    ###################################

    def print_stix_object(self, obj: Any, pretty: bool = True):
        """Print a STIX object (its JSON)."""
        print(obj.serialize(pretty))

    @staticmethod
    def get_field(obj, field, default=None):
        """Get a field from a dict or an object with attributes, or `default`."""
        if isinstance(obj, dict):
            return obj.get(field, default)
        return getattr(obj, field, default)

    ###################################
    # STIX Objects Section
    ###################################

    def remove_revoked_deprecated(self, stix_objects: list) -> list:
        """The objects of `stix_objects` that are neither revoked nor deprecated."""
        return list(
            filter(
                lambda x: x.get("x_mitre_deprecated", False) is False and x.get("revoked", False) is False, stix_objects
            )
        )

    def get_matrices(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every matrix, in bundle order."""
        return self._native.objects_by_type(["x-mitre-matrix"], remove_revoked_deprecated)

    def get_tactics(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every tactic, in bundle order."""
        return self._native.objects_by_type(["x-mitre-tactic"], remove_revoked_deprecated)

    def get_techniques(self, include_subtechniques: bool = True, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every technique (and, by default, sub-technique), in bundle order."""
        return self._native.techniques(None if include_subtechniques else False, remove_revoked_deprecated)

    def get_subtechniques(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every sub-technique, in bundle order."""
        return self._native.techniques(True, remove_revoked_deprecated)

    def get_mitigations(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every mitigation (``course-of-action``), in bundle order."""
        return self._native.objects_by_type(["course-of-action"], remove_revoked_deprecated)

    def get_groups(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every group (``intrusion-set``), in bundle order."""
        return self._native.objects_by_type(["intrusion-set"], remove_revoked_deprecated)

    def get_software(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every software: the tools, then the malware, each in bundle order."""
        return self._native.objects_by_type(["tool", "malware"], remove_revoked_deprecated)

    def get_campaigns(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every campaign, in bundle order."""
        return self._native.objects_by_type(["campaign"], remove_revoked_deprecated)

    def get_assets(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every asset (ICS), in bundle order."""
        return self._native.objects_by_type(["x-mitre-asset"], remove_revoked_deprecated)

    def get_datasources(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every data source, in bundle order."""
        return self._native.objects_by_type(["x-mitre-data-source"], remove_revoked_deprecated)

    def get_datacomponents(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every data component, in bundle order."""
        return self._native.objects_by_type(["x-mitre-data-component"], remove_revoked_deprecated)

    def get_analytics(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every analytic (ATT&CK 18+), in bundle order."""
        return self._native.objects_by_type(["x-mitre-analytic"], remove_revoked_deprecated)

    def get_detectionstrategies(self, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every detection strategy (ATT&CK 18+), in bundle order."""
        return self._native.objects_by_type(["x-mitre-detection-strategy"], remove_revoked_deprecated)

    ###################################
    # Get STIX Objects by Value
    ###################################

    def get_objects_by_type(self, stix_type: str, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Every object of STIX type `stix_type`, in bundle order."""
        _check_type_filter(_require_str("stix_type", stix_type))
        return self._native.objects_by_type([stix_type], remove_revoked_deprecated)

    def get_objects_by_content(
        self, content: str, object_type: str | None = None, remove_revoked_deprecated: bool = False
    ) -> list[StixObject]:
        """Objects whose description contains `content` (ignoring case), in bundle order.

        Raises
        ------
        ValueError
            If `object_type` is not one of ``stix_types`` or ``'relationship'``.
        """
        _require_str("content", content)
        if object_type and object_type not in self.stix_types and object_type != "relationship":
            raise ValueError(f"object_type must be one of {self.stix_types} or 'relationship'")
        return self._native.by_content(content, object_type or None, remove_revoked_deprecated)

    def get_techniques_by_platform(self, platform: str, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Techniques with a platform containing `platform` (as the library: "Win" finds Windows)."""
        return self._native.techniques_by_platform(_require_str("platform", platform), remove_revoked_deprecated)

    def get_techniques_by_tactic(
        self, tactic_shortname: str, domain: str, remove_revoked_deprecated: bool = False
    ) -> list[StixObject]:
        """Techniques of the tactic whose ``x_mitre_shortname`` is `tactic_shortname`.

        Raises
        ------
        ValueError
            If `domain` is not 'enterprise-attack', 'mobile-attack' or 'ics-attack'.
        """
        if domain not in _DOMAIN_TO_KILL_CHAIN.keys():
            raise ValueError(f"domain must be one of {_DOMAIN_TO_KILL_CHAIN.keys()}")
        return self._native.techniques_by_tactic(
            _require_str("tactic_shortname", tactic_shortname), _DOMAIN_TO_KILL_CHAIN[domain], remove_revoked_deprecated
        )

    def get_tactics_by_matrix(self) -> dict[str, list[StixObject]]:
        """Each matrix's name mapped to its tactics, in the matrix's order."""
        return {name: tactics for name, tactics in self._native.tactics_by_matrix()}

    def get_tactics_by_technique(self, stix_id: str) -> list[StixObject]:
        """The tactics of a technique (its kill chain phases), in bundle order.

        Raises
        ------
        ValueError
            If no object has STIX ID `stix_id`.
        """
        self.get_object_by_stix_id(stix_id)
        return self._native.tactics_of(stix_id)

    def get_procedure_examples_by_technique(self, stix_id: str) -> list[StixObject]:
        """Every ``uses`` relationship targeting the technique (its procedure examples)."""
        return self._native.procedure_examples(_require_str("stix_id", stix_id))

    def get_objects_created_after(self, timestamp: str, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Objects (relationships included) created after `timestamp` (e.g. "2018-10-01T00:14:20.652Z")."""
        return self._native.dated_after("created", _require_str("timestamp", timestamp), remove_revoked_deprecated)

    def get_objects_modified_after(self, date: str, remove_revoked_deprecated: bool = False) -> list[StixObject]:
        """Objects (relationships included) modified after `date` ("2022-10-01", "October 1, 2022"...)."""
        bound = _modified_bound(_require_str("date", date))
        return self._native.dated_after("modified", bound, remove_revoked_deprecated)

    def get_techniques_used_by_group_software(self, group_stix_id: str) -> list[StixObject]:
        """Techniques used by the software the group uses, in bundle order."""
        return self._native.techniques_used_by_group_software(_require_str("group_stix_id", group_stix_id))

    def get_analytics_by_detection_strategy(
        self, detection_strategy_stix_id: str, remove_revoked_deprecated: bool = False
    ) -> list[StixObject]:
        """The analytics a detection strategy references, in bundle order.

        Raises
        ------
        ValueError
            If no object has STIX ID `detection_strategy_stix_id`.
        """
        self.get_object_by_stix_id(detection_strategy_stix_id)
        return self._native.analytics_of(detection_strategy_stix_id, remove_revoked_deprecated)

    ###################################
    # Get STIX Object by Value
    ###################################

    def get_object_by_stix_id(self, stix_id: str) -> StixObject:
        """The object with STIX ID `stix_id`.

        Raises
        ------
        ValueError
            If there is none.
        """
        found = self._native.by_stix_id(_require_str("stix_id", stix_id))
        if not found:
            raise ValueError(f"{stix_id} not found")
        return found

    def get_object_by_attack_id(self, attack_id: str, stix_type: str) -> StixObject | None:
        """The object of `stix_type` with ATT&CK ID `attack_id` (any case), or None.

        Raises
        ------
        ValueError
            If `stix_type` is not one of ``stix_types``.
        """
        if stix_type not in self.stix_types:
            raise ValueError(f"stix_type must be one of {self.stix_types}")
        return self._native.by_external_id(_require_str("attack_id", attack_id).upper(), stix_type)

    def get_objects_by_name(self, name: str, stix_type: str) -> list[StixObject]:
        """Objects of `stix_type` named exactly `name` (case-sensitive).

        Raises
        ------
        ValueError
            If `stix_type` is not one of ``stix_types``.
        """
        if stix_type not in self.stix_types:
            raise ValueError(f"stix_type must be one of {self.stix_types}")
        return self._native.by_name(_require_str("name", name), stix_type)

    def get_groups_by_alias(self, alias: str) -> list[StixObject]:
        """Groups with an alias containing `alias` (case-sensitive, as the library)."""
        return self._native.by_alias(_require_str("alias", alias), ["intrusion-set"])

    def get_campaigns_by_alias(self, alias: str) -> list[StixObject]:
        """Campaigns with an alias containing `alias` (case-sensitive, as the library)."""
        return self._native.by_alias(_require_str("alias", alias), ["campaign"])

    def get_software_by_alias(self, alias: str) -> list[StixObject]:
        """Software (malware, then tools) with an alias containing `alias` (case-sensitive)."""
        return self._native.by_alias(_require_str("alias", alias), ["malware", "tool"])

    ###################################
    # Get Object Information
    ###################################

    def get_attack_id(self, stix_id: str) -> str | None:
        """The object's ATT&CK ID: its first external reference's ``external_id`` when that
        reference's source is ``mitre-attack`` (as the library), else None.

        Raises
        ------
        ValueError
            If no object has STIX ID `stix_id`.
        """
        obj = self.get_object_by_stix_id(stix_id)
        external_references = self.get_field(obj, "external_references", [])
        if external_references and len(external_references) > 0:
            attack_source = external_references[0]
            if attack_source.get("external_id") and attack_source.get("source_name") == "mitre-attack":
                return attack_source["external_id"]
        return None

    def get_stix_type(self, stix_id: str) -> str:
        """The STIX type named by the STIX ID (``attack-pattern--...`` -> ``attack-pattern``)."""
        return _require_str("stix_id", stix_id).split("--", 1)[0]

    def get_name(self, stix_id: str) -> str | None:
        """The object's ``name``, or None.

        Raises
        ------
        ValueError
            If no object has STIX ID `stix_id`.
        """
        return self.get_field(self.get_object_by_stix_id(stix_id), "name")

    ###################################
    # Relationship Section
    ###################################

    def get_related(
        self, source_type: str, relationship_type: str, target_type: str, reverse: bool = False
    ) -> RelationshipMapT:
        """The library's relationship mapping: source STIX ID (target with `reverse`) ->
        ``RelationshipEntry`` per live related object of `target_type` (`source_type`)."""
        return self._native.related(
            _require_str("source_type", source_type),
            _require_str("relationship_type", relationship_type),
            _require_str("target_type", target_type),
            bool(reverse),
        )

    def merge(self, map_a: RelationshipMapT, map_b: RelationshipMapT) -> RelationshipMapT:
        """Merge `map_b` into `map_a` (as the library: `map_a` is changed and returned)."""
        for id in map_b:
            if id in map_a:
                map_a[id].extend(map_b[id])
            else:
                map_a[id] = map_b[id]
        return map_a

    def add_inherited_campaign_relationships(
        self, related_campaigns, inherited_campaign_relationships, object_relationships
    ) -> RelationshipMapT:
        """Add the relationships objects inherit from their campaigns (as the library)."""
        for stix_id, campaigns in related_campaigns.items():
            for campaign in campaigns:
                if campaign["object"]["id"] not in inherited_campaign_relationships:
                    continue
                for stix_object in inherited_campaign_relationships[campaign["object"]["id"]]:
                    relationship = {
                        "object": stix_object["object"],
                        "relationships": stix_object["relationships"] + campaign["relationships"],
                    }
                    if stix_id not in object_relationships:
                        object_relationships[stix_id] = [relationship]
                        continue
                    object_relationships[stix_id].append(relationship)
        return self.remove_duplicates(object_relationships)

    def remove_duplicates(self, relationship_map) -> RelationshipMapT:
        """Merge repeated objects of each list into their first entry (as the library)."""
        deduplicated_map = {}
        for stix_id, sdos in relationship_map.items():
            sdo_list = []
            first = {}
            for sdo in sdos:
                key = sdo["object"]["id"]
                if key not in first:
                    first[key] = len(sdo_list)
                    sdo_list.append(sdo)
                    continue
                item = sdo_list[first[key]]
                item["relationships"] = item["relationships"] + sdo["relationships"]
            deduplicated_map[stix_id] = sdo_list
        return deduplicated_map

    def get_all_software_used_by_all_groups(self) -> RelationshipMapT:
        """Map of every group's STIX ID to a ``RelationshipEntry`` for each of the software used by the group, including software used by campaigns attributed to the group.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_software_used_by_all_groups``).
        """
        if self.all_software_used_by_all_groups:
            return self.all_software_used_by_all_groups
        self.all_software_used_by_all_groups = self._native.library_family("get_all_software_used_by_all_groups")
        return self.all_software_used_by_all_groups

    def get_software_used_by_group(self, group_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the software used by the group, including software used by campaigns attributed to the group (``[]`` when none).

        Parameters
        ----------
        group_stix_id : str
            The STIX ID of the group.
        """
        mapping = self.get_all_software_used_by_all_groups()
        return mapping[group_stix_id] if group_stix_id in mapping else []

    def get_all_groups_using_all_software(self) -> RelationshipMapT:
        """Map of every software's STIX ID to a ``RelationshipEntry`` for each of the groups using the software, including groups attributed to campaigns using the software.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_groups_using_all_software``).
        """
        if self.all_groups_using_all_software:
            return self.all_groups_using_all_software
        self.all_groups_using_all_software = self._native.library_family("get_all_groups_using_all_software")
        return self.all_groups_using_all_software

    def get_groups_using_software(self, software_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the groups using the software, including groups attributed to campaigns using the software (``[]`` when none).

        Parameters
        ----------
        software_stix_id : str
            The STIX ID of the software.
        """
        mapping = self.get_all_groups_using_all_software()
        return mapping[software_stix_id] if software_stix_id in mapping else []

    def get_all_software_used_by_all_campaigns(self) -> RelationshipMapT:
        """Map of every campaign's STIX ID to a ``RelationshipEntry`` for each of the software used by the campaign.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_software_used_by_all_campaigns``).
        """
        if self.all_software_used_by_all_campaigns:
            return self.all_software_used_by_all_campaigns
        self.all_software_used_by_all_campaigns = self._native.library_family("get_all_software_used_by_all_campaigns")
        return self.all_software_used_by_all_campaigns

    def get_software_used_by_campaign(self, campaign_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the software used by the campaign (``[]`` when none).

        Parameters
        ----------
        campaign_stix_id : str
            The STIX ID of the campaign.
        """
        mapping = self.get_all_software_used_by_all_campaigns()
        return mapping[campaign_stix_id] if campaign_stix_id in mapping else []

    def get_all_campaigns_using_all_software(self) -> RelationshipMapT:
        """Map of every software's STIX ID to a ``RelationshipEntry`` for each of the campaigns using the software.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_campaigns_using_all_software``).
        """
        if self.all_campaigns_using_all_software:
            return self.all_campaigns_using_all_software
        self.all_campaigns_using_all_software = self._native.library_family("get_all_campaigns_using_all_software")
        return self.all_campaigns_using_all_software

    def get_campaigns_using_software(self, software_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the campaigns using the software (``[]`` when none).

        Parameters
        ----------
        software_stix_id : str
            The STIX ID of the software.
        """
        mapping = self.get_all_campaigns_using_all_software()
        return mapping[software_stix_id] if software_stix_id in mapping else []

    def get_all_groups_attributing_to_all_campaigns(self) -> RelationshipMapT:
        """Map of every campaign's STIX ID to a ``RelationshipEntry`` for each of the groups the campaign is attributed to.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_groups_attributing_to_all_campaigns``).
        """
        if self.all_groups_attributing_to_all_campaigns:
            return self.all_groups_attributing_to_all_campaigns
        self.all_groups_attributing_to_all_campaigns = self._native.library_family("get_all_groups_attributing_to_all_campaigns")
        return self.all_groups_attributing_to_all_campaigns

    def get_groups_attributing_to_campaign(self, campaign_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the groups the campaign is attributed to (``[]`` when none).

        Parameters
        ----------
        campaign_stix_id : str
            The STIX ID of the campaign.
        """
        mapping = self.get_all_groups_attributing_to_all_campaigns()
        return mapping[campaign_stix_id] if campaign_stix_id in mapping else []

    def get_all_campaigns_attributed_to_all_groups(self) -> RelationshipMapT:
        """Map of every group's STIX ID to a ``RelationshipEntry`` for each of the campaigns attributed to the group.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_campaigns_attributed_to_all_groups``).
        """
        if self.all_campaigns_attributed_to_all_groups:
            return self.all_campaigns_attributed_to_all_groups
        self.all_campaigns_attributed_to_all_groups = self._native.library_family("get_all_campaigns_attributed_to_all_groups")
        return self.all_campaigns_attributed_to_all_groups

    def get_campaigns_attributed_to_group(self, group_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the campaigns attributed to the group (``[]`` when none).

        Parameters
        ----------
        group_stix_id : str
            The STIX ID of the group.
        """
        mapping = self.get_all_campaigns_attributed_to_all_groups()
        return mapping[group_stix_id] if group_stix_id in mapping else []

    def get_all_techniques_used_by_all_groups(self) -> RelationshipMapT:
        """Map of every group's STIX ID to a ``RelationshipEntry`` for each of the techniques used by the group, including techniques used by campaigns attributed to the group.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_used_by_all_groups``).
        """
        if self.all_techniques_used_by_all_groups:
            return self.all_techniques_used_by_all_groups
        self.all_techniques_used_by_all_groups = self._native.library_family("get_all_techniques_used_by_all_groups")
        return self.all_techniques_used_by_all_groups

    def get_techniques_used_by_group(self, group_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques used by the group, including techniques used by campaigns attributed to the group (``[]`` when none).

        Parameters
        ----------
        group_stix_id : str
            The STIX ID of the group.
        """
        mapping = self.get_all_techniques_used_by_all_groups()
        return mapping[group_stix_id] if group_stix_id in mapping else []

    def get_all_groups_using_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the groups using the technique, including groups attributed to campaigns using the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_groups_using_all_techniques``).
        """
        if self.all_groups_using_all_techniques:
            return self.all_groups_using_all_techniques
        self.all_groups_using_all_techniques = self._native.library_family("get_all_groups_using_all_techniques")
        return self.all_groups_using_all_techniques

    def get_groups_using_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the groups using the technique, including groups attributed to campaigns using the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_groups_using_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_used_by_all_campaigns(self) -> RelationshipMapT:
        """Map of every campaign's STIX ID to a ``RelationshipEntry`` for each of the techniques used by the campaign.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_used_by_all_campaigns``).
        """
        if self.all_techniques_used_by_all_campaigns:
            return self.all_techniques_used_by_all_campaigns
        self.all_techniques_used_by_all_campaigns = self._native.library_family("get_all_techniques_used_by_all_campaigns")
        return self.all_techniques_used_by_all_campaigns

    def get_techniques_used_by_campaign(self, campaign_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques used by the campaign (``[]`` when none).

        Parameters
        ----------
        campaign_stix_id : str
            The STIX ID of the campaign.
        """
        mapping = self.get_all_techniques_used_by_all_campaigns()
        return mapping[campaign_stix_id] if campaign_stix_id in mapping else []

    def get_all_campaigns_using_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the campaigns using the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_campaigns_using_all_techniques``).
        """
        if self.all_campaigns_using_all_techniques:
            return self.all_campaigns_using_all_techniques
        self.all_campaigns_using_all_techniques = self._native.library_family("get_all_campaigns_using_all_techniques")
        return self.all_campaigns_using_all_techniques

    def get_campaigns_using_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the campaigns using the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_campaigns_using_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_used_by_all_software(self) -> RelationshipMapT:
        """Map of every software's STIX ID to a ``RelationshipEntry`` for each of the techniques used by the software.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_used_by_all_software``).
        """
        if self.all_techniques_used_by_all_software:
            return self.all_techniques_used_by_all_software
        self.all_techniques_used_by_all_software = self._native.library_family("get_all_techniques_used_by_all_software")
        return self.all_techniques_used_by_all_software

    def get_techniques_used_by_software(self, software_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques used by the software (``[]`` when none).

        Parameters
        ----------
        software_stix_id : str
            The STIX ID of the software.
        """
        mapping = self.get_all_techniques_used_by_all_software()
        return mapping[software_stix_id] if software_stix_id in mapping else []

    def get_all_software_using_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the software using the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_software_using_all_techniques``).
        """
        if self.all_software_using_all_techniques:
            return self.all_software_using_all_techniques
        self.all_software_using_all_techniques = self._native.library_family("get_all_software_using_all_techniques")
        return self.all_software_using_all_techniques

    def get_software_using_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the software using the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_software_using_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_mitigated_by_all_mitigations(self) -> RelationshipMapT:
        """Map of every mitigation's STIX ID to a ``RelationshipEntry`` for each of the techniques the mitigation mitigates.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_mitigated_by_all_mitigations``).
        """
        if self.all_techniques_mitigated_by_all_mitigations:
            return self.all_techniques_mitigated_by_all_mitigations
        self.all_techniques_mitigated_by_all_mitigations = self._native.library_family("get_all_techniques_mitigated_by_all_mitigations")
        return self.all_techniques_mitigated_by_all_mitigations

    def get_techniques_mitigated_by_mitigation(self, mitigation_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques the mitigation mitigates (``[]`` when none).

        Parameters
        ----------
        mitigation_stix_id : str
            The STIX ID of the mitigation.
        """
        mapping = self.get_all_techniques_mitigated_by_all_mitigations()
        return mapping[mitigation_stix_id] if mitigation_stix_id in mapping else []

    def get_all_mitigations_mitigating_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the mitigations mitigating the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_mitigations_mitigating_all_techniques``).
        """
        if self.all_mitigations_mitigating_all_techniques:
            return self.all_mitigations_mitigating_all_techniques
        self.all_mitigations_mitigating_all_techniques = self._native.library_family("get_all_mitigations_mitigating_all_techniques")
        return self.all_mitigations_mitigating_all_techniques

    def get_mitigations_mitigating_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the mitigations mitigating the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_mitigations_mitigating_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_parent_techniques_of_all_subtechniques(self) -> RelationshipMapT:
        """Map of every sub-technique's STIX ID to a ``RelationshipEntry`` for each of the parent technique of the sub-technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_parent_techniques_of_all_subtechniques``).
        """
        if self.all_parent_techniques_of_all_subtechniques:
            return self.all_parent_techniques_of_all_subtechniques
        self.all_parent_techniques_of_all_subtechniques = self._native.library_family("get_all_parent_techniques_of_all_subtechniques")
        return self.all_parent_techniques_of_all_subtechniques

    def get_parent_technique_of_subtechnique(self, subtechnique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the parent technique of the sub-technique (``[]`` when none).

        Parameters
        ----------
        subtechnique_stix_id : str
            The STIX ID of the sub-technique.
        """
        mapping = self.get_all_parent_techniques_of_all_subtechniques()
        return mapping[subtechnique_stix_id] if subtechnique_stix_id in mapping else []

    def get_all_subtechniques_of_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the sub-techniques of the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_subtechniques_of_all_techniques``).
        """
        if self.all_subtechniques_of_all_techniques:
            return self.all_subtechniques_of_all_techniques
        self.all_subtechniques_of_all_techniques = self._native.library_family("get_all_subtechniques_of_all_techniques")
        return self.all_subtechniques_of_all_techniques

    def get_subtechniques_of_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the sub-techniques of the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_subtechniques_of_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_detected_by_all_datacomponents(self) -> RelationshipMapT:
        """Map of every data component's STIX ID to a ``RelationshipEntry`` for each of the techniques the data component detects.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_detected_by_all_datacomponents``).
        """
        if self.all_techniques_detected_by_all_datacomponents:
            return self.all_techniques_detected_by_all_datacomponents
        self.all_techniques_detected_by_all_datacomponents = self._native.library_family("get_all_techniques_detected_by_all_datacomponents")
        return self.all_techniques_detected_by_all_datacomponents

    def get_techniques_detected_by_datacomponent(self, datacomponent_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques the data component detects (``[]`` when none).

        Parameters
        ----------
        datacomponent_stix_id : str
            The STIX ID of the data component.
        """
        mapping = self.get_all_techniques_detected_by_all_datacomponents()
        return mapping[datacomponent_stix_id] if datacomponent_stix_id in mapping else []

    def get_all_datacomponents_detecting_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the data components detecting the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_datacomponents_detecting_all_techniques``).
        """
        if self.all_datacomponents_detecting_all_techniques:
            return self.all_datacomponents_detecting_all_techniques
        self.all_datacomponents_detecting_all_techniques = self._native.library_family("get_all_datacomponents_detecting_all_techniques")
        return self.all_datacomponents_detecting_all_techniques

    def get_datacomponents_detecting_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the data components detecting the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_datacomponents_detecting_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_targeting_all_assets(self) -> RelationshipMapT:
        """Map of every asset's STIX ID to a ``RelationshipEntry`` for each of the techniques targeting the asset.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_targeting_all_assets``).
        """
        if self.all_techniques_targeting_all_assets:
            return self.all_techniques_targeting_all_assets
        self.all_techniques_targeting_all_assets = self._native.library_family("get_all_techniques_targeting_all_assets")
        return self.all_techniques_targeting_all_assets

    def get_techniques_targeting_asset(self, asset_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques targeting the asset (``[]`` when none).

        Parameters
        ----------
        asset_stix_id : str
            The STIX ID of the asset.
        """
        mapping = self.get_all_techniques_targeting_all_assets()
        return mapping[asset_stix_id] if asset_stix_id in mapping else []

    def get_all_assets_targeted_by_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the assets the technique targets.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_assets_targeted_by_all_techniques``).
        """
        if self.all_assets_targeted_by_all_techniques:
            return self.all_assets_targeted_by_all_techniques
        self.all_assets_targeted_by_all_techniques = self._native.library_family("get_all_assets_targeted_by_all_techniques")
        return self.all_assets_targeted_by_all_techniques

    def get_assets_targeted_by_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the assets the technique targets (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_assets_targeted_by_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_detection_strategies_detecting_all_techniques(self) -> RelationshipMapT:
        """Map of every technique's STIX ID to a ``RelationshipEntry`` for each of the detection strategies detecting the technique.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_detection_strategies_detecting_all_techniques``).
        """
        if self.all_detection_strategies_detecting_all_techniques:
            return self.all_detection_strategies_detecting_all_techniques
        self.all_detection_strategies_detecting_all_techniques = self._native.library_family("get_all_detection_strategies_detecting_all_techniques")
        return self.all_detection_strategies_detecting_all_techniques

    def get_detection_strategies_detecting_technique(self, technique_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the detection strategies detecting the technique (``[]`` when none).

        Parameters
        ----------
        technique_stix_id : str
            The STIX ID of the technique.
        """
        mapping = self.get_all_detection_strategies_detecting_all_techniques()
        return mapping[technique_stix_id] if technique_stix_id in mapping else []

    def get_all_techniques_detected_by_all_detection_strategies(self) -> RelationshipMapT:
        """Map of every detection strategy's STIX ID to a ``RelationshipEntry`` for each of the techniques the detection strategy detects.

        Computed once, then the same dict is returned (as the library caches it in
        ``self.all_techniques_detected_by_all_detection_strategies``).
        """
        if self.all_techniques_detected_by_all_detection_strategies:
            return self.all_techniques_detected_by_all_detection_strategies
        self.all_techniques_detected_by_all_detection_strategies = self._native.library_family("get_all_techniques_detected_by_all_detection_strategies")
        return self.all_techniques_detected_by_all_detection_strategies

    def get_techniques_detected_by_detection_strategy(self, detection_strategy_stix_id: str) -> list[RelationshipEntry]:
        """A ``RelationshipEntry`` for each of the techniques the detection strategy detects (``[]`` when none).

        Parameters
        ----------
        detection_strategy_stix_id : str
            The STIX ID of the detection strategy.
        """
        mapping = self.get_all_techniques_detected_by_all_detection_strategies()
        return mapping[detection_strategy_stix_id] if detection_strategy_stix_id in mapping else []


    def get_revoking_object(self, revoked_stix_id: str = "") -> StixObject | None:
        """The object that revoked (replaced) `revoked_stix_id`, one ``revoked-by`` step, or None."""
        return self._native.revoking_object(_require_str("revoked_stix_id", revoked_stix_id))
