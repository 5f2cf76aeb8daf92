//! Prints one group's Markdown profile and emulation plan, as a new user would read them.
//!
//! ```text
//! cargo run -p attackdb-intel --example render -- G0016 windows [BUNDLE] [ATOMICS_DIR] [--yaml]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use attackdb_intel::{emulate_dir, profile, EmulateOptions, ProfileOptions};
use attackdb_kb::Kb;

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reference = args.first().map_or("G0016", String::as_str);
    let platform = args.get(1).map_or("windows", String::as_str);
    let bundle = args.get(2).filter(|a| !a.starts_with("--")).map_or_else(
        || shared.join("attack-stix-data/enterprise-attack/enterprise-attack-18.1.json.gz"),
        PathBuf::from,
    );
    let atomics = args
        .get(3)
        .filter(|a| !a.starts_with("--"))
        .map_or_else(|| shared.join("corpora/atomic-red-team"), PathBuf::from);
    let kb = Kb::load(&[bundle]).expect("the bundle loads");
    let dataset = kb
        .select(attackdb_kb::Domain::Enterprise, None)
        .expect("an enterprise release");
    let answer = profile(dataset, reference, &ProfileOptions::default()).expect("a profile");
    println!("{}", answer.to_markdown());
    let options = EmulateOptions {
        platform: Some(platform.to_string()),
        with_software: false,
    };
    let plan = emulate_dir(dataset, reference, &atomics, &options).expect("a plan");
    if args.iter().any(|a| a == "--yaml") {
        println!("{}", plan.to_yaml().expect("the YAML plan"));
    } else {
        println!("{}", plan.to_markdown());
    }
}
