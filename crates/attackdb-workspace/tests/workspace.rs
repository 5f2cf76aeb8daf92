//! The workspace suite: every test runs on SQLite and on a real PostgreSQL server
//! (`ATTACKDB_TEST_POSTGRES`; `.ci/run` starts one), with the same code and the same answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use attackdb_workspace::{
    compare_assessments, layer_changes, trend, Actor, Error, LayerQuery, NewAssessment, NewLayer,
    NewNote, Role, TacticResult, TechniqueResult, Workspace, SCHEMA_VERSION,
};
use serde_json::Value;

/// A fresh workspace of each backend (PostgreSQL only when a server is given), with the
/// temporary folder that holds the SQLite file.
async fn backends() -> Vec<(Workspace, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Workspace::open_file(&dir.path().join("workspace.db"))
        .await
        .unwrap();
    let mut out = vec![(sqlite, Some(dir))];
    if let Some(url) = attackdb_testdata::fresh_postgres_database("ws") {
        out.push((Workspace::open(&url).await.unwrap(), None));
    }
    out
}

fn layer_file(name: &str) -> Option<(PathBuf, String)> {
    let path = attackdb_testdata::corpus("navigator-layers")?
        .join("layers/samples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    Some((path, text))
}

fn admin() -> Actor {
    Actor::local()
}

fn editor(name: &str) -> Actor {
    Actor {
        name: name.to_string(),
        role: Role::Editor,
    }
}

#[tokio::test]
async fn the_schema_is_migrated_once_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let ws = Workspace::open_file(&path).await.unwrap();
    assert_eq!(ws.schema_version().await.unwrap(), SCHEMA_VERSION);
    drop(ws);
    let ws = Workspace::open_file(&path).await.unwrap();
    assert_eq!(ws.schema_version().await.unwrap(), SCHEMA_VERSION);
    let mut urls = vec![format!("sqlite:{}", path.display())];
    urls.extend(attackdb_testdata::fresh_postgres_database("ws_schema"));
    for url in urls {
        let ws = Workspace::open(&url).await.unwrap();
        assert_eq!(ws.schema_version().await.unwrap(), SCHEMA_VERSION, "{url}");
        // A later attackdb migrated this database further: this one must not touch it.
        ws.raw_execute("INSERT INTO attackdb_schema (version, applied_at) VALUES (99, 0)")
            .await
            .unwrap();
        drop(ws);
        match Workspace::open(&url).await {
            Err(Error::SchemaTooNew { found: 99, known }) => assert_eq!(known, SCHEMA_VERSION),
            other => panic!("{url}: a newer schema was not refused: {other:?}"),
        }
    }
}

#[tokio::test]
async fn users_roles_and_tokens() {
    for (ws, _dir) in backends().await {
        let backend = ws.backend().as_str();
        assert!(!ws.has_users().await.unwrap());
        ws.add_user(&admin(), "ana", Role::Admin).await.unwrap();
        ws.add_user(&admin(), "eve", Role::Editor).await.unwrap();
        ws.add_user(&admin(), "vic", Role::Viewer).await.unwrap();
        assert!(matches!(
            ws.add_user(&admin(), "eve", Role::Viewer).await,
            Err(Error::Exists { kind: "user", .. })
        ));
        assert!(matches!(
            ws.add_user(&admin(), "bad name", Role::Viewer).await,
            Err(Error::Invalid(_))
        ));
        let token = ws.issue_token(&admin(), "vic", "laptop").await.unwrap();
        assert!(
            token.secret.starts_with("adbw_") && token.secret.len() == 5 + 64,
            "{backend}"
        );
        let vic = ws.authenticate(&token.secret).await.unwrap().unwrap();
        assert_eq!(
            vic,
            Actor {
                name: "vic".into(),
                role: Role::Viewer
            }
        );
        assert_eq!(ws.authenticate("adbw_0000").await.unwrap(), None);
        // The secret is nowhere in the database: only its SHA-256.
        let dump = ws.raw_dump("tokens").await.unwrap();
        assert!(
            !dump.contains(&token.secret),
            "{backend}: the token is stored in clear"
        );
        assert!(!dump.contains(&token.secret["adbw_".len()..]));
        assert!(dump.contains(&attackdb_workspace_hash(&token.secret)));
        // A viewer reads but may not write; an editor may not manage users.
        let (_, layer) = match layer_file("Bear_APT.json") {
            Some(found) => found,
            None => return,
        };
        let new = NewLayer {
            body: layer,
            ..NewLayer::default()
        };
        assert!(matches!(
            ws.save_layer(&vic, &new).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            ws.add_user(&editor("eve"), "x", Role::Admin).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            ws.issue_token(&vic, "eve", "").await,
            Err(Error::Forbidden { .. })
        ));
        ws.issue_token(&vic, "vic", "own").await.unwrap();
        let users = ws.users(&admin()).await.unwrap();
        let names: Vec<(&str, Role, usize)> = users
            .iter()
            .map(|u| (u.name.as_str(), u.role, u.tokens.len()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("ana", Role::Admin, 0),
                ("eve", Role::Editor, 0),
                ("vic", Role::Viewer, 2)
            ]
        );
        ws.remove_user(&admin(), "vic").await.unwrap();
        assert_eq!(
            ws.authenticate(&token.secret).await.unwrap(),
            None,
            "{backend}"
        );
        let audit = ws.audit(&admin(), 100, None).await.unwrap();
        let actions: Vec<(&str, &str, &str)> = audit
            .iter()
            .rev()
            .map(|a| (a.actor.as_str(), a.action.as_str(), a.target_id.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("local", "user.add", "ana"),
                ("local", "user.add", "eve"),
                ("local", "user.add", "vic"),
                ("local", "token.issue", "vic"),
                ("vic", "token.issue", "vic"),
                ("local", "user.remove", "vic"),
            ],
            "{backend}"
        );
        assert!(matches!(
            ws.audit(&editor("eve"), 10, None).await,
            Err(Error::Forbidden { .. })
        ));
        // The database itself refuses to edit the log.
        assert!(
            ws.raw_execute("UPDATE audit SET actor = 'nobody'")
                .await
                .is_err(),
            "{backend}"
        );
        assert!(
            ws.raw_execute("DELETE FROM audit").await.is_err(),
            "{backend}"
        );
        assert_eq!(ws.audit(&admin(), 100, None).await.unwrap().len(), 6);
    }
}

fn attackdb_workspace_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn layers_keep_every_revision_and_refuse_stale_writes() {
    let Some((_, bear)) = layer_file("Bear_APT.json") else {
        return;
    };
    let Some((_, heat)) = layer_file("heatmap_layer.json") else {
        return;
    };
    let bear_read = attackdb_navigator::read_layers(&bear)
        .unwrap()
        .layers
        .remove(0)
        .layer;
    for (ws, _dir) in backends().await {
        let backend = ws.backend().as_str();
        let eve = editor("eve");
        let saved = ws
            .save_layer(
                &eve,
                &NewLayer {
                    body: bear.clone(),
                    tags: Some(vec!["apt".into(), " russia ".into()]),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        let id = saved.summary.id;
        assert_eq!(saved.summary.version, 1);
        assert_eq!(saved.summary.name, bear_read.name);
        assert_eq!(saved.summary.domain, "enterprise-attack");
        assert_eq!(saved.summary.techniques, bear_read.techniques.len() as i64);
        assert_eq!(saved.summary.tags, vec!["apt", "russia"]);
        assert_eq!(saved.summary.layer_url, format!("/layers/{id}/layer.json"));
        // The kept layer reads back as the same layer (upgraded to 4.5 as the writer writes).
        let kept = attackdb_navigator::read_layer_value(&saved.layer).layer;
        assert_eq!(kept.techniques, bear_read.techniques, "{backend}");

        // A new revision names the version it replaces.
        let mut edited: Value = saved.layer.clone();
        let techniques = edited["techniques"].as_array_mut().unwrap();
        let dropped = techniques.remove(0);
        techniques[0]["score"] = Value::from(42);
        let body = serde_json::to_string(&edited).unwrap();
        let v2 = ws
            .update_layer(
                &eve,
                id,
                Some(1),
                &NewLayer {
                    body: body.clone(),
                    name: Some("Bear, edited".into()),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (v2.summary.version, v2.summary.name.as_str()),
            (2, "Bear, edited")
        );
        // A revision that names no tags keeps the layer's; the revision records them too.
        assert_eq!(v2.summary.tags, vec!["apt", "russia"], "{backend}");
        assert_eq!(
            ws.revisions(id).await.unwrap()[1].tags,
            vec!["apt", "russia"]
        );
        match ws
            .update_layer(
                &eve,
                id,
                Some(1),
                &NewLayer {
                    body: body.clone(),
                    ..NewLayer::default()
                },
            )
            .await
        {
            Err(Error::Conflict {
                given: 1,
                current: 2,
                ..
            }) => {}
            other => panic!("{backend}: a stale write was not refused: {other:?}"),
        }
        assert!(matches!(
            ws.update_layer(
                &eve,
                id,
                None,
                &NewLayer {
                    body: body.clone(),
                    ..NewLayer::default()
                }
            )
            .await,
            Err(Error::VersionRequired { .. })
        ));
        // An invalid layer is refused with the reason, and nothing changes.
        let invalid = ws
            .update_layer(
                &eve,
                id,
                Some(2),
                &NewLayer {
                    body: "{\"name\": 3}".into(),
                    ..NewLayer::default()
                },
            )
            .await;
        assert!(matches!(invalid, Err(Error::Invalid(_))), "{invalid:?}");
        assert_eq!(ws.layer_summary(id).await.unwrap().version, 2);

        let revisions = ws.revisions(id).await.unwrap();
        assert_eq!(
            revisions.iter().map(|r| r.revision).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let first = ws.revision(id, 1).await.unwrap();
        assert_eq!(first.layer, saved.layer);
        let changes =
            layer_changes(&first.layer, &ws.revision(id, 2).await.unwrap().layer).unwrap();
        let dropped_key = match dropped.get("tactic").and_then(Value::as_str) {
            Some(t) => format!("{}@{t}", dropped["techniqueID"].as_str().unwrap()),
            None => dropped["techniqueID"].as_str().unwrap().to_string(),
        };
        assert_eq!(changes.removed, vec![dropped_key]);
        assert!(changes.added.is_empty());
        assert_eq!(changes.changed.len(), 1);
        assert_eq!(changes.changed[0].fields, vec!["score"]);
        assert_eq!(changes.changed[0].to_score, Some(42.0));
        assert_eq!(
            changes.name.as_ref().map(|n| n[1].as_str()),
            Some("Bear, edited")
        );

        // The Navigator's JSON of the newest revision.
        let (_, json) = ws.layer_json(id).await.unwrap();
        let navigator = attackdb_navigator::read_layers(&json).unwrap();
        assert_eq!(
            navigator.layers[0].layer.techniques.len(),
            bear_read.techniques.len() - 1
        );

        // Lists and search.
        let heat_saved = ws
            .save_layer(
                &admin(),
                &NewLayer {
                    body: heat.clone(),
                    tags: Some(vec!["demo".into()]),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        let all = ws.layers(&LayerQuery::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![heat_saved.summary.id, id]
        );
        let found = ws
            .layers(&LayerQuery {
                text: Some("BEAR edit".into()),
                ..LayerQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(found.iter().map(|l| l.id).collect::<Vec<_>>(), vec![id]);
        let tagged = ws
            .layers(&LayerQuery {
                tag: Some("demo".into()),
                ..LayerQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            tagged.iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![heat_saved.summary.id]
        );
        let owned = ws
            .layers(&LayerQuery {
                owner: Some("eve".into()),
                domain: Some("enterprise".into()),
                ..LayerQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(owned.iter().map(|l| l.id).collect::<Vec<_>>(), vec![id]);

        // Deleting names the version too; then the layer is gone from lists and lookups.
        assert!(matches!(
            ws.delete_layer(&eve, id, Some(1)).await,
            Err(Error::Conflict { current: 2, .. })
        ));
        ws.delete_layer(&eve, id, Some(2)).await.unwrap();
        assert!(matches!(ws.layer(id).await, Err(Error::NotFound { .. })));
        assert_eq!(ws.layers(&LayerQuery::default()).await.unwrap().len(), 1);
        let actions: Vec<String> = ws
            .audit(&admin(), 100, None)
            .await
            .unwrap()
            .iter()
            .rev()
            .map(|a| a.action.clone())
            .collect();
        assert_eq!(
            actions,
            vec!["layer.save", "layer.update", "layer.save", "layer.delete"],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn notes_link_to_what_they_name() {
    let Some((_, heat)) = layer_file("heatmap_layer.json") else {
        return;
    };
    for (ws, _dir) in backends().await {
        let eve = editor("eve");
        let layer = ws
            .save_layer(
                &eve,
                &NewLayer {
                    body: heat.clone(),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        let lid = layer.summary.id;
        let note = ws
            .add_note(&eve, &NewNote {
                object: "T1059.001".into(),
                domain: "enterprise-attack".into(),
                body: format!("We see this through EDR rule 42 only on servers; see layer:{lid}.\n\n<script>alert(1)</script>"),
            })
            .await
            .unwrap();
        assert_eq!(note.version, 1);
        assert!(
            note.body.contains("<script>"),
            "a note is kept as written; pages sanitise it"
        );
        let second = ws
            .add_note(
                &admin(),
                &NewNote {
                    object: "T1059.001".into(),
                    domain: "enterprise-attack".into(),
                    body: format!("Follow-up to /notes/{}", note.id),
                },
            )
            .await
            .unwrap();
        ws.add_note(
            &admin(),
            &NewNote {
                object: "G0016".into(),
                domain: "enterprise-attack".into(),
                body: "APT29".into(),
            },
        )
        .await
        .unwrap();
        let on = ws.notes(Some("T1059.001")).await.unwrap();
        assert_eq!(
            on.iter().map(|n| n.id).collect::<Vec<_>>(),
            vec![note.id, second.id]
        );
        let (names, named_by) = ws.links("layer", lid).await.unwrap();
        assert!(names.is_empty());
        assert_eq!(
            named_by
                .iter()
                .map(|m| (m.kind.as_str(), m.id))
                .collect::<Vec<_>>(),
            vec![("note", note.id)]
        );
        let (names, _) = ws.links("note", second.id).await.unwrap();
        assert_eq!(
            names
                .iter()
                .map(|m| (m.kind.as_str(), m.id))
                .collect::<Vec<_>>(),
            vec![("note", note.id)]
        );
        // A stale change is refused; a current one moves the links.
        assert!(matches!(
            ws.update_note(&eve, note.id, Some(0), "x").await,
            Err(Error::Conflict { current: 1, .. })
        ));
        let updated = ws
            .update_note(&eve, note.id, Some(1), "No longer tied to a layer.")
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert!(ws.links("layer", lid).await.unwrap().1.is_empty());
        assert!(matches!(
            ws.add_note(
                &eve,
                &NewNote {
                    object: "T1059".into(),
                    domain: "enterprise-attack".into(),
                    body: "  ".into()
                }
            )
            .await,
            Err(Error::Invalid(_))
        ));
        ws.delete_note(&eve, second.id, Some(1)).await.unwrap();
        assert_eq!(ws.notes(Some("T1059.001")).await.unwrap().len(), 1);
    }
}

fn assessment(
    name: &str,
    taken_at: i64,
    covered: &[(&str, &str, &[&str])],
    tactics: &[(&str, i64, f64)],
) -> NewAssessment {
    let techniques: BTreeMap<String, TechniqueResult> = covered
        .iter()
        .map(|(id, status, tactics)| {
            (
                id.to_string(),
                TechniqueResult {
                    name: id.to_string(),
                    status: status.to_string(),
                    rules: 1,
                    score: 1.0,
                    tactics: tactics.iter().map(|t| t.to_string()).collect(),
                },
            )
        })
        .collect();
    NewAssessment {
        name: name.into(),
        rule_set: "sigma".into(),
        fingerprint: format!("fp{taken_at}"),
        domain: "enterprise-attack".into(),
        release: "18.1".into(),
        platform: None,
        taken_at: Some(taken_at),
        covered: techniques
            .values()
            .filter(|t| t.status == "covered")
            .count() as i64,
        partly: techniques.values().filter(|t| t.status == "partly").count() as i64,
        total: 10,
        percent: 10.0 * techniques.len() as f64,
        tactics: tactics
            .iter()
            .map(|(s, covered, percent)| TacticResult {
                shortname: s.to_string(),
                id: format!("TA-{s}"),
                name: s.to_string(),
                covered: *covered,
                partly: 0,
                techniques: 5,
                percent: *percent,
            })
            .collect(),
        techniques,
    }
}

#[tokio::test]
async fn assessments_compare_and_trend() {
    for (ws, _dir) in backends().await {
        let eve = editor("eve");
        let q1 = ws
            .save_assessment(
                &eve,
                &assessment(
                    "quarterly",
                    1_000,
                    &[
                        ("T1059", "covered", &["execution"]),
                        ("T1003", "partly", &["credential-access"]),
                        ("T1110", "covered", &["credential-access"]),
                    ],
                    &[("execution", 1, 20.0), ("credential-access", 1, 20.0)],
                ),
            )
            .await
            .unwrap();
        let q2 = ws
            .save_assessment(
                &eve,
                &assessment(
                    "quarterly",
                    2_000,
                    &[
                        ("T1059", "covered", &["execution"]),
                        ("T1003", "covered", &["credential-access"]),
                        ("T1047", "covered", &["execution"]),
                    ],
                    &[("execution", 2, 40.0), ("credential-access", 1, 20.0)],
                ),
            )
            .await
            .unwrap();
        ws.save_assessment(&eve, &assessment("other", 1_500, &[], &[]))
            .await
            .unwrap();
        assert_eq!(q1.summary.taken_at, "1970-01-01T00:00:01.000Z");
        let comparison = compare_assessments(&q1, &q2);
        assert_eq!(comparison.gained, vec!["T1003", "T1047"]);
        assert_eq!(comparison.lost, vec!["T1110"]);
        let by_tactic: Vec<(&str, Vec<String>, Vec<String>)> = comparison
            .tactics
            .iter()
            .map(|t| (t.shortname.as_str(), t.gained.clone(), t.lost.clone()))
            .collect();
        assert_eq!(
            by_tactic,
            vec![
                ("execution", vec!["T1047".to_string()], vec![]),
                (
                    "credential-access",
                    vec!["T1003".to_string()],
                    vec!["T1110".to_string()]
                ),
            ]
        );
        let listed = ws.assessments(Some("quarterly")).await.unwrap();
        assert_eq!(
            listed.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![q1.summary.id, q2.summary.id]
        );
        let read: Vec<_> = futures_all(&ws, &listed.iter().map(|a| a.id).collect::<Vec<_>>()).await;
        let t = trend(&read);
        assert_eq!(
            t.points.iter().map(|p| p.percent).collect::<Vec<_>>(),
            vec![30.0, 30.0]
        );
        assert_eq!(t.tactics[0].shortname, "execution");
        assert_eq!(t.tactics[0].percent, vec![Some(20.0), Some(40.0)]);
        assert!(matches!(
            ws.save_assessment(&eve, &assessment(" ", 1, &[], &[]))
                .await,
            Err(Error::Invalid(_))
        ));
    }
}

async fn futures_all(ws: &Workspace, ids: &[i64]) -> Vec<attackdb_workspace::Assessment> {
    let mut out = Vec::new();
    for id in ids {
        out.push(ws.assessment(*id).await.unwrap());
    }
    out
}

#[tokio::test]
async fn export_and_import_round_trip_between_backends() {
    let Some((_, bear)) = layer_file("Bear_APT.json") else {
        return;
    };
    let all = backends().await;
    for (source, _dir) in &all {
        source.add_user(&admin(), "ana", Role::Admin).await.unwrap();
        source.issue_token(&admin(), "ana", "ci").await.unwrap();
        let saved = source
            .save_layer(
                &admin(),
                &NewLayer {
                    body: bear.clone(),
                    tags: Some(vec!["x".into()]),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        source
            .update_layer(
                &admin(),
                saved.summary.id,
                Some(1),
                &NewLayer {
                    body: bear.clone(),
                    name: Some("renamed".into()),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        source
            .add_note(
                &admin(),
                &NewNote {
                    object: "T1003".into(),
                    domain: "enterprise-attack".into(),
                    body: format!("see layer:{}", saved.summary.id),
                },
            )
            .await
            .unwrap();
        source
            .save_assessment(
                &admin(),
                &assessment(
                    "q",
                    5,
                    &[("T1059", "covered", &["execution"])],
                    &[("execution", 1, 20.0)],
                ),
            )
            .await
            .unwrap();
        let export = source.export(&admin()).await.unwrap();
        let text = serde_json::to_string(&export).unwrap();
        assert!(!text.contains("adbw_"), "an export holds no token");
        // Into a fresh workspace of every backend (SQLite -> PostgreSQL and back).
        for target in [
            Workspace::open_file(&tempfile::tempdir().unwrap().keep().join("w.db"))
                .await
                .unwrap(),
        ]
        .into_iter()
        .chain(
            match attackdb_testdata::fresh_postgres_database("ws_import") {
                Some(url) => vec![Workspace::open(&url).await.unwrap()],
                None => vec![],
            },
        ) {
            let backends = format!(
                "{} -> {}",
                source.backend().as_str(),
                target.backend().as_str()
            );
            target.import(&admin(), &export).await.unwrap();
            let again = target.export(&admin()).await.unwrap();
            for (table, value) in &export.tables {
                let mut got = again.tables[table].clone();
                if table == "audit" {
                    // The import itself is the one entry more.
                    let rows = got["rows"].as_array_mut().unwrap();
                    let last = rows.pop().unwrap();
                    assert_eq!(last[3], Value::from("workspace.import"));
                }
                assert_eq!(&got, value, "{backends}: table {table}");
            }
            // New IDs continue after the imported ones.
            let next = target
                .save_layer(
                    &admin(),
                    &NewLayer {
                        body: bear.clone(),
                        ..NewLayer::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(next.summary.id, saved.summary.id + 1, "{backends}");
            // A second import into a workspace that is not empty changes nothing.
            assert!(matches!(
                target.import(&admin(), &export).await,
                Err(Error::Invalid(_))
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_editors_of_one_layer() {
    let Some((_, heat)) = layer_file("heatmap_layer.json") else {
        return;
    };
    for (ws, _dir) in backends().await {
        let backend = ws.backend().as_str();
        let saved = ws
            .save_layer(
                &admin(),
                &NewLayer {
                    body: heat.clone(),
                    ..NewLayer::default()
                },
            )
            .await
            .unwrap();
        let id = saved.summary.id;
        let mut tasks = Vec::new();
        for editor_no in 0..32 {
            let ws = ws.clone();
            let body = heat.clone();
            tasks.push(tokio::spawn(async move {
                let me = editor(&format!("editor{editor_no}"));
                let (mut accepted, mut refused) = (Vec::new(), 0);
                for round in 0..4 {
                    let current = ws.layer_summary(id).await.unwrap().version;
                    let new = NewLayer {
                        body: body.clone(),
                        name: Some(format!("e{editor_no} r{round}")),
                        ..NewLayer::default()
                    };
                    match ws.update_layer(&me, id, Some(current), &new).await {
                        Ok(layer) => accepted.push(layer.summary.version),
                        Err(Error::Conflict { .. }) => refused += 1,
                        Err(other) => panic!("an editor got {other:?}"),
                    }
                }
                (accepted, refused)
            }));
        }
        let mut accepted = Vec::new();
        let mut refused = 0;
        for task in tasks {
            let (a, r) = task.await.unwrap();
            accepted.extend(a);
            refused += r;
        }
        accepted.sort_unstable();
        let revisions: Vec<i64> = ws
            .revisions(id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.revision)
            .collect();
        // Every accepted write is a revision of its own; everything else was a 409.
        assert_eq!(revisions.len(), accepted.len() + 1, "{backend}");
        assert_eq!(revisions[1..], accepted[..], "{backend}");
        assert_eq!(accepted.len() + refused, 128, "{backend}");
        assert!(!accepted.is_empty());
    }
}
