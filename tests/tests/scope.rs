//! Need-to-know sync over real HTTP on both backends: two teams whose laptops
//! hold only their own audits, pushes to another team's audit refused with the
//! reason, an admin's laptop holding both, and an audit whose team changes: the
//! new member gets its whole current state, the removed one loses every byte of
//! it after their unsynced edit reached the server; and a follow-up planned for an
//! auditor who was not on the original audit.

use std::path::Path;

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::closed_sets::{AuditType, Notice};
use fieldaudit_protocol::scope::TeamRole;
use fieldaudit_protocol::EntityKind;
use fieldaudit_server::teams::{self, Assignment};
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{pg_base_url, Backend, Cluster, Device};
use serde_json::{json, Value};
use uuid::Uuid;

const FIRE: &str = "fire-safety";

fn start_audit_at(device: &Device, facility: Uuid) -> Uuid {
    device
        .store()
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef {
                template_id: FIRE.into(),
                version: 1,
            }],
            audit_type: AuditType::Initial,
            notice: Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec![],
        })
        .unwrap()
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// How many times `needle` occurs in the raw bytes of every file of a data folder
/// (database, WAL, attachments).
fn occurrences(device: &Device, needle: &[u8]) -> usize {
    let mut files = Vec::new();
    files_under(device.dir.path(), &mut files);
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap_or_default();
            bytes.windows(needle.len()).filter(|w| *w == needle).count()
        })
        .sum()
}

/// The rows of one audit (and everything under it) as a device holds them.
fn audit_rows(device: &Device, audit: Uuid) -> Vec<Value> {
    let snap = device.snapshot();
    let a = audit.to_string();
    let mut out = Vec::new();
    for (entity, rows) in &snap {
        for r in rows {
            let mine = r["id"] == json!(a) || r.get("audit_id") == Some(&json!(a));
            if mine && entity != "conflict" {
                out.push(json!({ "entity": entity, "row": r }));
            }
        }
    }
    out.sort_by_key(|v| v.to_string());
    out
}

fn two_teams(backend: Backend) {
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation_with_roles(
        "acme",
        &[
            ("ops", Role::Admin),
            ("lena", Role::Reviewer),
            ("ana", Role::Auditor),
            ("bea", Role::Auditor),
        ],
    );
    c.start();
    let url = c.urls()[0].clone();
    let (ops, lena, ana, bea) = (
        Device::new("Office"),
        Device::new("Lena's laptop"),
        Device::new("Ana's laptop"),
        Device::new("Bea's laptop"),
    );
    for (d, u) in [(&ops, "ops"), (&lena, "lena"), (&ana, "ana"), (&bea, "bea")] {
        d.login(&url, "acme", u);
    }
    let facility = ops
        .store()
        .add_facility(&FacilityRecord {
            name: "Zaber and Zubair Fabrics".into(),
            address: "Tongi".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    ops.sync().unwrap();
    ana.sync().unwrap();
    bea.sync().unwrap();
    assert!(
        ana.store()
            .facilities("")
            .unwrap()
            .iter()
            .any(|f| f.facility.id == facility),
        "every laptop receives the registry"
    );

    // Each team on its own audit, with a photo and a note only it may see.
    let audit_a = start_audit_at(&ana, facility);
    ana.store()
        .record_answer(audit_a, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    let answer = ana.store().answers(audit_a).unwrap()[0].id;
    ana.store()
        .write(|w| {
            w.set(
                EntityKind::Answer,
                answer,
                &[("note", json!("TEAM-A-SECRET"))],
            )
            .map(drop)
        })
        .unwrap();
    ana.store()
        .add_attachment(
            audit_a,
            "audit",
            audit_a,
            "exit.jpg",
            "image/jpeg",
            b"TEAM-A-PHOTO-BYTES",
        )
        .unwrap();
    ana.store().sign_off_audit(audit_a, "Ana").unwrap();
    let audit_b = start_audit_at(&bea, facility);
    bea.store()
        .record_answer(audit_b, FIRE, "equipment.alarm_audible", None, json!("yes"))
        .unwrap();
    let answer_b = bea.store().answers(audit_b).unwrap()[0].id;
    bea.store()
        .write(|w| {
            w.set(
                EntityKind::Answer,
                answer_b,
                &[("note", json!("TEAM-B-SECRET"))],
            )
            .map(drop)
        })
        .unwrap();
    for d in [&ana, &bea, &ana, &bea, &ops, &lena] {
        let r = d.sync().unwrap();
        assert_eq!(r.rejected, 0, "{r:?}");
    }

    // Team A's laptop never receives a byte of team B's audit, and the other way round.
    assert!(ana.store().audit(audit_b).is_err() && bea.store().audit(audit_a).is_err());
    assert_eq!(occurrences(&ana, b"TEAM-B-SECRET"), 0);
    assert_eq!(
        occurrences(&bea, b"TEAM-A-SECRET") + occurrences(&bea, b"TEAM-A-PHOTO-BYTES"),
        0
    );
    // Reviewers and admins receive both.
    for d in [&ops, &lena] {
        assert!(d.store().audit(audit_a).is_ok() && d.store().audit(audit_b).is_ok());
    }
    assert!(
        occurrences(&lena, b"TEAM-A-PHOTO-BYTES") > 0,
        "the reviewer downloaded the photo"
    );
    // Bea's laptop may not download team A's photo either.
    let sha = fieldaudit_core::attachments::sha256_hex(b"TEAM-A-PHOTO-BYTES");
    let token = fieldaudit_core::sync::session::load(bea.dir.path())
        .unwrap()
        .unwrap()
        .token;
    let res = reqwest::blocking::Client::new()
        .get(format!("{url}/api/v1/attachments/{sha}"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(res.status(), 404, "out of scope");

    // A push to the other team's audit is refused with the missing assignment named
    // (from another laptop of Bea's, straight over HTTP: her app would not write it).
    let http = reqwest::blocking::Client::new();
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"organisation": "acme", "username": "bea", "password": fieldaudit_tests::server::PASSWORD, "device_id": Uuid::now_v7(), "device_name": "Bea's phone"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let phone = login["token"].as_str().unwrap().to_owned();
    let hlc = fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now()).to_string();
    let row = Uuid::now_v7();
    let pushed: Value = http
        .post(format!("{url}/api/v1/sync/push"))
        .bearer_auth(&phone)
        .json(&json!({"changes": [
            {"device_seq": 1, "hlc": hlc, "entity": "answer", "row_id": row, "field": "audit_id", "value": audit_a.to_string()},
            {"device_seq": 2, "hlc": hlc, "entity": "answer", "row_id": row, "field": "note", "value": "forged"},
            {"device_seq": 3, "hlc": hlc, "entity": "answer", "row_id": answer, "field": "note", "value": "forged"},
        ]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(pushed["applied"], 0, "{pushed}");
    let reasons: Vec<&str> = pushed["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{pushed}");
    assert!(
        reasons[0].contains("not on its team") && reasons[2].contains("not on its team"),
        "{reasons:?}"
    );
    let forged = Uuid::now_v7();
    bea.store()
        .write(|w| {
            w.set(
                EntityKind::Audit,
                audit_b,
                &[("notice", json!("unannounced"))],
            )?;
            w.set(
                EntityKind::Facility,
                forged,
                &[("name", json!("Bea's own factory"))],
            )
            .map(drop)
        })
        .unwrap();
    let r = bea.sync().unwrap();
    assert_eq!(r.rejected, 1, "only the registry write is refused: {r:?}");
    let q = bea.store().quarantine().unwrap();
    assert!(
        q.iter().any(|op| op.message.contains("admin role")),
        "{q:?}"
    );

    // Bea joins team A: her next sync brings A whole, equal to the reviewer's copy.
    c.assign(
        "acme",
        audit_a,
        &[("ana", TeamRole::Lead), ("bea", TeamRole::Auditor)],
    );
    lena.sync().unwrap();
    let got = bea.sync().unwrap();
    assert!(got.pulled > 0, "{got:?}");
    assert_eq!(
        audit_rows(&bea, audit_a),
        audit_rows(&lena, audit_a),
        "backfill equals the reviewer's copy"
    );
    assert!(!bea.store().attachments(audit_a, None).unwrap().is_empty());
    assert!(
        occurrences(&bea, b"TEAM-A-PHOTO-BYTES") > 0,
        "the photo came too"
    );
    assert!(bea
        .store()
        .my_audits()
        .unwrap()
        .iter()
        .any(|m| m.id == audit_a && m.team_role == Some(TeamRole::Auditor)));

    // Offline, Bea records progress on A's CAP (A is signed off, so its answers are
    // read-only); meanwhile the office takes her off the team.
    let action = bea.store().findings(audit_a).unwrap()[0].actions[0].id;
    bea.store()
        .write(|w| {
            w.set(
                EntityKind::CorrectiveAction,
                action,
                &[("evidence", json!("BEA-LAST-EDIT"))],
            )
            .map(drop)
        })
        .unwrap();
    c.assign("acme", audit_a, &[("ana", TeamRole::Lead)]);
    let r = bea.sync().unwrap();
    assert_eq!((r.rejected, r.removed_audits), (0, 1), "{r:?}");
    bea.sync().unwrap();
    // Her edit reached the server (and the team); nothing of A is left on her laptop.
    lena.sync().unwrap();
    let evidence = lena.store().findings(audit_a).unwrap()[0].actions[0]
        .evidence
        .clone();
    assert_eq!(evidence.as_deref(), Some("BEA-LAST-EDIT"));
    assert!(bea.store().audit(audit_a).is_err());
    for needle in [
        &b"TEAM-A-SECRET"[..],
        b"BEA-LAST-EDIT",
        b"TEAM-A-PHOTO-BYTES",
    ] {
        assert_eq!(
            occurrences(&bea, needle),
            0,
            "{} left in Bea's data folder",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(bea.store().audit(audit_b).is_ok(), "her own audit stays");
}

/// The office plans a follow-up for an auditor who was not on the original audit:
/// her laptop receives what the follow-up verifies of the earlier audit (its
/// findings and CAP items, as previous findings) and nothing else of it; her
/// verification reaches the office; she may not change anything else of the
/// earlier audit; taken off the follow-up, she loses both.
fn a_follow_up_by_another_team(backend: Backend) {
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation_with_roles(
        "acme",
        &[
            ("ops", Role::Admin),
            ("lena", Role::Reviewer),
            ("ana", Role::Auditor),
            ("cara", Role::Auditor),
        ],
    );
    c.start();
    let url = c.urls()[0].clone();
    let (ops, lena, ana, cara) = (
        Device::new("Office"),
        Device::new("Lena's laptop"),
        Device::new("Ana's laptop"),
        Device::new("Cara's laptop"),
    );
    for (d, u) in [(&ops, "ops"), (&lena, "lena"), (&ana, "ana"), (&cara, "cara")] {
        d.login(&url, "acme", u);
    }
    let facility = ops
        .store()
        .add_facility(&FacilityRecord {
            name: "Zaber and Zubair Fabrics".into(),
            address: "Tongi".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    ops.sync().unwrap();
    ana.sync().unwrap();

    // Ana's initial audit: a major finding with its CAP item, an answer note and a photo.
    let initial = start_audit_at(&ana, facility);
    ana.store()
        .record_answer(initial, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    let answer = ana.store().answers(initial).unwrap()[0].id;
    ana.store()
        .write(|w| {
            w.set(EntityKind::Answer, answer, &[("note", json!("INITIAL-NOTE-SECRET"))])
                .map(drop)
        })
        .unwrap();
    ana.store()
        .add_attachment(initial, "audit", initial, "exit.jpg", "image/jpeg", b"INITIAL-PHOTO-BYTES")
        .unwrap();
    let finding = ana.store().findings(initial).unwrap()[0].finding.id;
    ana.store().sign_off_audit(initial, "Ana").unwrap();
    assert_eq!(ana.sync().unwrap().rejected, 0);

    // The office plans a partial follow-up led by Cara, who was not on the initial audit.
    let store = c.server_store();
    let planned = teams::PlannedAudit {
        facility_id: facility,
        checklists: vec![],
        audit_type: AuditType::PartialFollowUp,
        notice: Notice::Announced,
        start_date: "2027-01-10".into(),
    };
    let follow_up = c
        .rt
        .block_on(teams::plan(
            store.as_ref(),
            "acme",
            &planned,
            &[Assignment {
                username: "cara".into(),
                role: TeamRole::Lead,
            }],
        ))
        .expect("plan the follow-up");
    let r = cara.sync().unwrap();
    assert_eq!(r.rejected, 0, "{r:?}");

    // Her laptop lists the earlier finding to verify, with its original audit…
    let previous = cara.store().previous_findings(follow_up).unwrap();
    assert_eq!(previous.len(), 1, "{previous:?}");
    assert_eq!(previous[0].finding.id, finding);
    assert_eq!(previous[0].original_audit.id, initial);
    assert!(previous[0].action.is_some(), "with its CAP item");
    assert_eq!(
        cara.store().audit(follow_up).unwrap().follow_up_of,
        Some(initial)
    );
    // …and nothing else of the initial audit: no answers, no note, no photo.
    assert!(cara.store().answers(initial).unwrap().is_empty());
    assert_eq!(
        occurrences(&cara, b"INITIAL-NOTE-SECRET") + occurrences(&cara, b"INITIAL-PHOTO-BYTES"),
        0
    );
    assert!(
        !cara.store().my_audits().unwrap().iter().any(|m| m.id == initial && m.team_role.is_some()),
        "she is not on the initial audit's team"
    );

    // She verifies the finding closed; the office sees it on the original finding and CAP.
    cara.store()
        .record_verification(
            follow_up,
            finding,
            &fieldaudit_core::follow_up::VerificationInput {
                status: fieldaudit_protocol::corrective::FollowUpStatus::Closed,
                method: fieldaudit_protocol::corrective::VerificationMethod::OnSite,
                evidence_reviewed: "Alarm tested on every floor".into(),
                note: String::new(),
                verified_by: "Cara".into(),
                verified_on: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
            },
        )
        .unwrap();
    let r = cara.sync().unwrap();
    assert_eq!(r.rejected, 0, "the follow-up's verification is accepted: {r:?}");
    lena.sync().unwrap();
    let seen = lena.store().findings(initial).unwrap();
    assert_eq!(
        seen[0].finding.follow_up_status,
        Some(fieldaudit_protocol::corrective::FollowUpStatus::Closed)
    );
    assert_eq!(
        seen[0].actions[0].status,
        Some(fieldaudit_protocol::closed_sets::ActionStatus::Verified)
    );

    // Anything else she writes on the initial audit is refused with the reason
    // (its answers and findings are signed, and read-only on her laptop already).
    let action = previous[0].action.as_ref().unwrap().id;
    cara.store()
        .write(|w| {
            w.set(
                EntityKind::SupplierResponse,
                Uuid::now_v7(),
                &[("action_id", json!(action.to_string())), ("deleted", json!(false))],
            )
            .map(drop)
        })
        .unwrap();
    let r = cara.sync().unwrap();
    assert_eq!(r.rejected, 2, "{r:?}");
    let q = cara.store().quarantine().unwrap();
    assert!(
        q.iter().any(|op| op.field == "action_id" && op.message.contains("reviewer role")),
        "{q:?}"
    );
    lena.sync().unwrap();
    assert!(lena.store().audit(initial).is_ok());

    // Taken off the follow-up: both the follow-up and what it carried leave her laptop.
    c.rt.block_on(teams::assign(
        store.as_ref(),
        "acme",
        follow_up,
        &[Assignment {
            username: "ana".into(),
            role: TeamRole::Lead,
        }],
    ))
    .expect("reassign the follow-up");
    let r = cara.sync().unwrap();
    assert_eq!(r.removed_audits, 2, "{r:?}");
    cara.sync().unwrap();
    assert!(cara.store().audit(follow_up).is_err() && cara.store().audit(initial).is_err());
    assert!(cara.store().findings(initial).unwrap_or_default().is_empty());
}

#[test]
fn a_follow_up_by_another_team_on_sqlite() {
    a_follow_up_by_another_team(Backend::Sqlite);
}

#[test]
fn a_follow_up_by_another_team_on_postgres() {
    if let Some(base) = pg_base_url() {
        a_follow_up_by_another_team(Backend::Postgres(base));
    }
}

#[test]
fn two_teams_hold_only_their_audits_on_sqlite() {
    two_teams(Backend::Sqlite);
}

#[test]
fn two_teams_hold_only_their_audits_on_postgres() {
    if let Some(base) = pg_base_url() {
        two_teams(Backend::Postgres(base));
    }
}
