"""The relationship families: attackdb's `Relation::name` -> the mitreattack-python
`MitreAttackData` method that returns the same map. Imports nothing, so scripts that do not
load the library (scripts/bench/compare.py) can use it too."""

# family name (output key) -> name of the MitreAttackData get_all_* method.
# Direction: family "X_<verb>_Y" maps each Y (source key) to the Xs related to it.
FAMILIES = {
    "software_used_by_group": "get_all_software_used_by_all_groups",
    "groups_using_software": "get_all_groups_using_all_software",
    "software_used_by_campaign": "get_all_software_used_by_all_campaigns",
    "campaigns_using_software": "get_all_campaigns_using_all_software",
    "groups_attributing_to_campaign": "get_all_groups_attributing_to_all_campaigns",
    "campaigns_attributed_to_group": "get_all_campaigns_attributed_to_all_groups",
    "techniques_used_by_group": "get_all_techniques_used_by_all_groups",
    "groups_using_technique": "get_all_groups_using_all_techniques",
    "techniques_used_by_campaign": "get_all_techniques_used_by_all_campaigns",
    "campaigns_using_technique": "get_all_campaigns_using_all_techniques",
    "techniques_used_by_software": "get_all_techniques_used_by_all_software",
    "software_using_technique": "get_all_software_using_all_techniques",
    "techniques_mitigated_by_mitigation": "get_all_techniques_mitigated_by_all_mitigations",
    "mitigations_mitigating_technique": "get_all_mitigations_mitigating_all_techniques",
    "parent_technique_of_subtechnique": "get_all_parent_techniques_of_all_subtechniques",
    "subtechniques_of_technique": "get_all_subtechniques_of_all_techniques",
    "techniques_detected_by_datacomponent": "get_all_techniques_detected_by_all_datacomponents",
    "datacomponents_detecting_technique": "get_all_datacomponents_detecting_all_techniques",
    "techniques_targeting_asset": "get_all_techniques_targeting_all_assets",
    "assets_targeted_by_technique": "get_all_assets_targeted_by_all_techniques",
    "detection_strategies_detecting_technique": "get_all_detection_strategies_detecting_all_techniques",
    "techniques_detected_by_detection_strategy": "get_all_techniques_detected_by_all_detection_strategies",
}
