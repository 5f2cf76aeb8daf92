//! The evaluation of issue 13 on a real release, and the time each question takes.
//!
//! ```text
//! cargo run --release -p attackdb-intel --example evaluate -- [BUNDLE] [--atomics DIR] [--trials N]
//! ```
//!
//! For every group with at least 10 techniques (`techniques_used_by_group`): `attribute` on 3
//! random techniques of it (fixed seed) must put the group in the top 5 at least 95% of the time
//! (top 1 reported too); `predict`, with the group excluded, from 80% of its techniques must
//! recall on average at least 1.4 times as many of the hidden 20% in its top 20 as the baseline
//! of the most common techniques. Then each question is timed (mean of several runs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use attackdb_intel::{
    attribute_in, emulate, emulate_dir, overlap, predict_in, profile, similar, AtomicIndex,
    AttributeOptions, Corpus, EmulateOptions, Measure, PredictMethod, PredictOptions,
    ProfileOptions, SimilarOptions,
};
use attackdb_kb::{Concept, Dataset, Kb};

/// splitmix64: a small, fixed-seed pseudo-random generator (no `rand` crate).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

struct Args {
    bundle: PathBuf,
    atomics: PathBuf,
    trials: usize,
    attribute: AttributeOptions,
    predict: PredictOptions,
}

fn args() -> Args {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let mut parsed = Args {
        bundle: shared.join("attack-stix-data/enterprise-attack/enterprise-attack-18.1.json.gz"),
        atomics: shared.join("corpora/atomic-red-team"),
        trials: 1,
        attribute: AttributeOptions::default(),
        predict: PredictOptions::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().expect("a value after the option");
        match arg.as_str() {
            "--atomics" => parsed.atomics = value().into(),
            "--trials" => parsed.trials = value().parse().expect("a number"),
            "--mu" => parsed.attribute.smoothing = value().parse().expect("a number"),
            "--keep-campaigns" => parsed.predict.exclude_campaigns = false,
            "--learn-groups" => parsed.predict.kinds = vec![Concept::Group],
            "--predict-only" => {}
            "--mixed" => parsed.attribute.mixed = true,
            "--no-roll-up" => parsed.attribute.roll_up = false,
            "--rarity" => parsed.attribute.rarity = value().parse().expect("a number"),
            "--partial" => parsed.attribute.partial_credit = value().parse().expect("a number"),
            "--neighbours" => parsed.predict.neighbours = value().parse().expect("a number"),
            "--damping" => parsed.predict.damping = value().parse().expect("a number"),
            "--sharpness" => parsed.predict.sharpness = value().parse().expect("a number"),
            "--diag" | "--attribute-only" => {}
            other => parsed.bundle = other.into(),
        }
    }
    parsed
}

fn main() {
    let args = args();
    let started = Instant::now();
    let kb = Kb::load(std::slice::from_ref(&args.bundle)).expect("the bundle loads");
    let dataset = kb
        .select(attackdb_kb::Domain::Enterprise, None)
        .expect("an enterprise release");
    println!(
        "{} {} loaded in {:.0} ms",
        dataset.domain(),
        dataset.release(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let corpus = Corpus::build(dataset);
    let groups: Vec<usize> = corpus
        .actors()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == Concept::Group && a.techniques.len() >= 10)
        .map(|(i, _)| i)
        .collect();
    println!("{} groups with at least 10 techniques", groups.len());
    if !std::env::args().any(|a| a == "--predict-only") {
        evaluate_attribute(&corpus, &groups, &args);
    }
    if std::env::args().any(|a| a == "--attribute-only") {
        return;
    }
    evaluate_predict(&corpus, &groups, &args);
    if std::env::args().any(|a| a == "--predict-only") {
        return;
    }
    time_questions(dataset, &corpus, &args);
}

fn evaluate_attribute(corpus: &Corpus<'_>, groups: &[usize], args: &Args) {
    let mut rng = SplitMix(13);
    let options = AttributeOptions {
        top: usize::MAX,
        ..args.attribute.clone()
    };
    let (mut top1, mut top5, mut runs) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for _ in 0..args.trials {
        for &g in groups {
            let actor = &corpus.actors()[g];
            let mut set = actor.techniques.clone();
            rng.shuffle(&mut set);
            let observed: Vec<_> = set[..3].iter().map(|&t| corpus.technique(t)).collect();
            let answer = attribute_in(corpus, &observed, &options).expect("attribution");
            let id = corpus.dataset().display_id(actor.object);
            let rank = answer
                .results
                .iter()
                .position(|r| r.id == id)
                .unwrap_or(usize::MAX);
            runs += 1;
            top1 += usize::from(rank == 0);
            top5 += usize::from(rank < 5);
            if rank >= 5 && misses.len() < 8 {
                misses.push(format!("{id} rank {}", rank.saturating_add(1)));
                if std::env::args().any(|a| a == "--diag") {
                    let ids: Vec<String> = observed
                        .iter()
                        .map(|&t| corpus.dataset().display_id(t).to_string())
                        .collect();
                    println!(
                        "{id} ({} techniques) observed {:?}",
                        actor.techniques.len(),
                        ids
                    );
                    for r in answer.results.iter().take(6) {
                        println!(
                            "   {} {} n={} matched={:?} partial={}",
                            r.id,
                            r.name,
                            r.technique_count,
                            r.matched,
                            r.partial.len()
                        );
                    }
                }
            }
        }
    }
    println!(
        "attribute, 3 random techniques per group, {} runs: top-5 {:.1}% (target >= 95%), top-1 {:.1}%",
        runs,
        100.0 * top5 as f64 / runs as f64,
        100.0 * top1 as f64 / runs as f64
    );
    if !misses.is_empty() {
        println!("  e.g. missed: {}", misses.join(", "));
    }
}

fn evaluate_predict(corpus: &Corpus<'_>, groups: &[usize], args: &Args) {
    let mut rng = SplitMix(1313);
    let (mut model, mut baseline, mut baseline_all, mut runs) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    let (mut found_model, mut found_base, mut hidden_total) = (0usize, 0usize, 0usize);
    for _ in 0..args.trials {
        for &g in groups {
            let actor = &corpus.actors()[g];
            let mut set = actor.techniques.clone();
            rng.shuffle(&mut set);
            let keep = set.len() * 8 / 10;
            let (seen, hidden) = set.split_at(keep);
            let observed: Vec<_> = seen.iter().map(|&t| corpus.technique(t)).collect();
            let hidden: Vec<&str> = hidden.iter().map(|&t| corpus.id(t)).collect();
            let id = corpus.dataset().display_id(actor.object).to_string();
            let recall = |method: PredictMethod, kinds: Vec<Concept>| {
                let options = PredictOptions {
                    exclude: vec![id.clone()],
                    method,
                    kinds,
                    ..args.predict.clone()
                };
                let answer = predict_in(corpus, &observed, &options).expect("prediction");
                let found = answer
                    .results
                    .iter()
                    .filter(|p| hidden.contains(&p.id.as_str()))
                    .count();
                (found as f64 / hidden.len() as f64, found)
            };
            hidden_total += hidden.len();
            let (r, f) = recall(PredictMethod::Neighbours, args.predict.kinds.clone());
            model += r;
            found_model += f;
            let (r, f) = recall(PredictMethod::Popularity, vec![Concept::Group]);
            baseline += r;
            found_base += f;
            baseline_all += recall(
                PredictMethod::Popularity,
                vec![Concept::Group, Concept::Campaign, Concept::Software],
            )
            .0;
            runs += 1;
        }
    }
    let (model, baseline) = (model / runs as f64, baseline / runs as f64);
    let baseline_all = baseline_all / runs as f64;
    println!(
        "predict, group excluded, 80% observed, {} runs: mean recall@20 of the hidden 20% {:.3}, \
         baseline (most common among groups) {:.3}, ratio {:.2} (target >= 1.4)",
        runs,
        model,
        baseline,
        model / baseline
    );
    println!(
        "  micro: {found_model} of {hidden_total} hidden found ({:.3}), baseline {found_base} ({:.3}), ratio {:.2}",
        found_model as f64 / hidden_total as f64,
        found_base as f64 / hidden_total as f64,
        found_model as f64 / found_base as f64
    );
    println!(
        "  against the most common techniques of all groups, campaigns and software: baseline \
         {baseline_all:.3}, ratio {:.2}",
        model / baseline_all
    );
}

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let started = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    println!(
        "  {label:<44} {:>8.2} ms",
        started.elapsed().as_secs_f64() * 1e3 / runs as f64
    );
}

fn time_questions(dataset: &Dataset, corpus: &Corpus<'_>, args: &Args) {
    println!("timings (mean of runs, each call from scratch unless it says so):");
    let observed: Vec<_> = ["T1059.001", "T1003.001", "T1071.001", "T1566.001", "T1027"]
        .iter()
        .map(|id| {
            corpus.technique(
                corpus
                    .techniques()
                    .iter()
                    .position(|&t| dataset.display_id(t) == *id)
                    .unwrap() as u32,
            )
        })
        .collect();
    time("corpus build", 20, || Corpus::build(dataset).actors().len());
    time("profile G0016", 20, || {
        profile(dataset, "G0016", &ProfileOptions::default()).unwrap()
    });
    time("profile G0016 + markdown + html + layer", 20, || {
        let p = profile(dataset, "G0016", &ProfileOptions::default()).unwrap();
        (
            p.to_markdown().len(),
            p.to_html().len(),
            p.to_layer(dataset).techniques.len(),
        )
    });
    time("similar G0016 (jaccard)", 20, || {
        similar(dataset, "G0016", &SimilarOptions::default()).unwrap()
    });
    time("similar G0016 (idf-cosine)", 20, || {
        similar(
            dataset,
            "G0016",
            &SimilarOptions {
                measure: Measure::IdfCosine,
                ..SimilarOptions::default()
            },
        )
        .unwrap()
    });
    time("overlap G0016 G0007 G0032", 20, || {
        overlap(dataset, &["G0016".into(), "G0007".into(), "G0032".into()]).unwrap()
    });
    time("attribute 5 techniques (with corpus build)", 20, || {
        attribute_in(
            &Corpus::build(dataset),
            &observed,
            &AttributeOptions::default(),
        )
        .unwrap()
    });
    time("predict 5 techniques (with corpus build)", 20, || {
        predict_in(
            &Corpus::build(dataset),
            &observed,
            &PredictOptions::default(),
        )
        .unwrap()
    });
    if args.atomics.is_dir() {
        time("emulate G0016 windows (reading all atomics)", 5, || {
            let atomics = AtomicIndex::load(&args.atomics).unwrap();
            let plan = emulate(
                dataset,
                "G0016",
                &atomics,
                &EmulateOptions {
                    platform: Some("windows".into()),
                    ..EmulateOptions::default()
                },
            )
            .unwrap();
            (plan.to_markdown().len(), plan.to_yaml().unwrap().len())
        });
        time(
            "emulate_dir G0016 windows (reading only the files needed)",
            5,
            || {
                let plan = emulate_dir(
                    dataset,
                    "G0016",
                    &args.atomics,
                    &EmulateOptions {
                        platform: Some("windows".into()),
                        ..EmulateOptions::default()
                    },
                )
                .unwrap();
                (plan.to_markdown().len(), plan.to_yaml().unwrap().len())
            },
        );
        let atomics = AtomicIndex::load(&args.atomics).unwrap();
        time("emulate G0016 windows (atomics read once)", 20, || {
            emulate(
                dataset,
                "G0016",
                &atomics,
                &EmulateOptions {
                    platform: Some("windows".into()),
                    ..EmulateOptions::default()
                },
            )
            .unwrap()
        });
    }
}
