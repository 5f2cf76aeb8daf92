//! The fields of an object that only exports read (attackToExcel's columns): parsed on demand
//! from the object's JSON, so the loaded [`crate::StixObject`]s stay small.

use serde::Deserialize;

use crate::error::{Error, Result};

/// An asset's `x_mitre_related_assets` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RelatedAsset {
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `related_asset_sectors`.
    #[serde(default)]
    pub related_asset_sectors: Option<Vec<String>>,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
}

/// The export-only fields of one object; `None` when the field is absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ObjectDetails {
    /// `x_mitre_detection` (techniques).
    #[serde(default, rename = "x_mitre_detection")]
    pub detection: Option<String>,
    /// `x_mitre_data_sources` (techniques, up to 17.x).
    #[serde(default, rename = "x_mitre_data_sources")]
    pub data_sources: Option<Vec<String>>,
    /// `x_mitre_system_requirements` (techniques).
    #[serde(default, rename = "x_mitre_system_requirements")]
    pub system_requirements: Option<Vec<String>>,
    /// `x_mitre_permissions_required` (techniques).
    #[serde(default, rename = "x_mitre_permissions_required")]
    pub permissions_required: Option<Vec<String>>,
    /// `x_mitre_effective_permissions` (techniques).
    #[serde(default, rename = "x_mitre_effective_permissions")]
    pub effective_permissions: Option<Vec<String>>,
    /// `x_mitre_defense_bypassed` (techniques).
    #[serde(default, rename = "x_mitre_defense_bypassed")]
    pub defense_bypassed: Option<Vec<String>>,
    /// `x_mitre_remote_support` (techniques).
    #[serde(default, rename = "x_mitre_remote_support")]
    pub remote_support: Option<bool>,
    /// `x_mitre_impact_type` (techniques).
    #[serde(default, rename = "x_mitre_impact_type")]
    pub impact_type: Option<Vec<String>>,
    /// `x_mitre_tactic_type` (mobile techniques).
    #[serde(default, rename = "x_mitre_tactic_type")]
    pub tactic_type: Option<Vec<String>>,
    /// `x_mitre_first_seen_citation` (campaigns).
    #[serde(default, rename = "x_mitre_first_seen_citation")]
    pub first_seen_citation: Option<String>,
    /// `x_mitre_last_seen_citation` (campaigns).
    #[serde(default, rename = "x_mitre_last_seen_citation")]
    pub last_seen_citation: Option<String>,
    /// `x_mitre_related_assets` (assets).
    #[serde(default, rename = "x_mitre_related_assets")]
    pub related_assets: Option<Vec<RelatedAsset>>,
    /// `x_mitre_collection_layers` (data sources).
    #[serde(default, rename = "x_mitre_collection_layers")]
    pub collection_layers: Option<Vec<String>>,
}

impl ObjectDetails {
    /// The export-only fields of the object whose JSON is `json`; `id` names it in errors.
    pub fn parse(id: &str, json: &str) -> Result<ObjectDetails> {
        serde_json::from_str(json).map_err(|e| Error::Details {
            id: id.to_string(),
            message: crate::clip_quoted(&e.to_string()),
        })
    }
}
