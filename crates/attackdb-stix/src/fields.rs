//! The STIX and ATT&CK field names this crate knows, from ATT&CK v1 to v18. A field not in this
//! list is kept in the object's raw JSON and reported as a diagnostic.

/// Every field name known, sorted for binary search.
const KNOWN_FIELDS: &[&str] = &[
    "aliases",
    "confidence",
    "created",
    "created_by_ref",
    "definition",
    "definition_type",
    "description",
    "external_references",
    "first_seen",
    "granular_markings",
    "id",
    "identity_class",
    "is_family",
    "kill_chain_phases",
    "labels",
    "lang",
    "last_seen",
    "modified",
    "name",
    "object_marking_refs",
    "relationship_type",
    "revoked",
    "roles",
    "sectors",
    "source_ref",
    "spec_version",
    "start_time",
    "stop_time",
    "tactic_refs",
    "target_ref",
    "type",
    "x_mitre_aliases",
    "x_mitre_analytic_refs",
    "x_mitre_attack_spec_version",
    "x_mitre_collection_layers",
    "x_mitre_contents",
    "x_mitre_contributors",
    "x_mitre_data_source_ref",
    "x_mitre_data_sources",
    "x_mitre_defense_bypassed",
    "x_mitre_deprecated",
    "x_mitre_detectable_by_common_defenses",
    "x_mitre_detectable_by_common_defenses_explanation",
    "x_mitre_detection",
    "x_mitre_difficulty_for_adversary",
    "x_mitre_difficulty_for_adversary_explanation",
    "x_mitre_domains",
    "x_mitre_effective_permissions",
    "x_mitre_first_seen_citation",
    "x_mitre_impact_type",
    "x_mitre_is_subtechnique",
    "x_mitre_last_seen_citation",
    "x_mitre_log_source_references",
    "x_mitre_log_sources",
    "x_mitre_modified_by_ref",
    "x_mitre_mutable_elements",
    "x_mitre_network_requirements",
    "x_mitre_old_attack_id",
    "x_mitre_permissions_required",
    "x_mitre_platforms",
    "x_mitre_related_assets",
    "x_mitre_remote_support",
    "x_mitre_sectors",
    "x_mitre_shortname",
    "x_mitre_system_requirements",
    "x_mitre_tactic_type",
    "x_mitre_version",
];

/// Returns true if and only if `name` is a field this crate knows.
pub(crate) fn is_known_field(name: &str) -> bool {
    KNOWN_FIELDS.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_fields_are_sorted_for_binary_search() {
        assert!(super::KNOWN_FIELDS.windows(2).all(|w| w[0] < w[1]));
    }
}
