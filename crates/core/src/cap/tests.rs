use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::audits::NewAudit;
use crate::model::ChecklistRef;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn plan_and_fix_by_dates_follow_the_severity() {
    let closing = day("2026-11-26");
    let d = |sev| default_deadlines(sev, closing);
    assert_eq!(
        d(Severity::Critical),
        Deadlines {
            plan_due: Some(day("2026-12-03")),
            fix_by: Some(day("2026-12-26"))
        }
    );
    assert_eq!(
        d(Severity::Major),
        Deadlines {
            plan_due: Some(day("2026-12-10")),
            fix_by: Some(day("2027-01-25"))
        }
    );
    assert_eq!(d(Severity::Minor).plan_due, Some(day("2026-12-10")));
    assert_eq!(d(Severity::Minor).fix_by, Some(day("2027-02-24")));
    assert_eq!(
        d(Severity::Observation),
        Deadlines {
            plan_due: None,
            fix_by: None
        }
    );
}

/// The template says what stops production, not the severity: a locked exit
/// blocks, held passports (critical too) do not.
#[test]
fn production_blocking_comes_from_the_checklist_and_overdue_moves_with_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop").unwrap();
    let facility = crate::test_support::facility(&mut store);
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![
                ChecklistRef {
                    template_id: "fire-safety".into(),
                    version: 1,
                },
                ChecklistRef {
                    template_id: "recruitment".into(),
                    version: 1,
                },
            ],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Unannounced,
            start_date: day("2026-11-24"),
            end_date: Some(day("2026-11-26")),
            auditors: vec!["Rina".into()],
        })
        .unwrap();
    let floor = store
        .add_repeat_instance(audit, "fire-safety", "floor", "Ground")
        .unwrap();
    store
        .record_answer(
            audit,
            "fire-safety",
            "floor.exit_locked",
            Some(floor),
            json!("yes"),
        )
        .unwrap();
    store
        .record_answer(
            audit,
            "fire-safety",
            "equipment.alarm_audible",
            None,
            json!("no"),
        )
        .unwrap();
    let held = fieldaudit_templates::builtin_template("recruitment", 1)
        .unwrap()
        .item("documents.held")
        .map(|(_, i)| i.clone())
        .unwrap();
    assert!(!held.blocks_production && held.max_severity() == Some(Severity::Critical));
    let held_value = match &held.answer {
        fieldaudit_templates::AnswerType::YesNo => json!("yes"),
        fieldaudit_templates::AnswerType::Number { .. } => json!(12),
        other => panic!("unexpected answer type {other:?}"),
    };
    store
        .record_answer(audit, "recruitment", "documents.held", None, held_value)
        .unwrap();

    let items = store.cap_items(audit, day("2026-11-27")).unwrap();
    let by_item = |id: &str| {
        items
            .iter()
            .find(|i| i.finding.item_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id}: {items:#?}"))
    };
    let exit = by_item("floor.exit_locked");
    assert_eq!(exit.action.production_blocking, Some(true));
    assert_eq!(
        (
            exit.action.plan_due_date.as_deref(),
            exit.action.due_date.as_deref()
        ),
        (Some("2026-12-03"), Some("2026-12-26"))
    );
    let passports = by_item("documents.held");
    assert_eq!(passports.finding.severity.map(|v| v.as_str()), Some("critical"));
    assert_eq!(
        passports.action.production_blocking,
        Some(false),
        "held passports do not stop the line"
    );
    assert!(store.score(audit).unwrap().production_blocked);

    // Overdue moves with the day asked about.
    let on = |store: &Store, d: &str| {
        store
            .cap_items(audit, day(d))
            .unwrap()
            .into_iter()
            .find(|i| i.finding.item_id.as_deref() == Some("floor.exit_locked"))
            .unwrap()
            .standing
    };
    assert_eq!(
        on(&store, "2026-12-03"),
        Standing {
            plan_overdue: false,
            fix_overdue: false,
            days_to_fix: Some(23)
        }
    );
    assert!(on(&store, "2026-12-04").plan_overdue && !on(&store, "2026-12-04").fix_overdue);
    assert!(on(&store, "2026-12-27").fix_overdue);
    assert_eq!(on(&store, "2026-12-27").days_to_fix, Some(-1));
    // An agreed plan stops the plan being overdue; done stops the fix being overdue.
    store
        .update_action(
            exit.action.id,
            &crate::audits::ActionUpdate {
                corrective_action: Some("Remove the padlock".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!on(&store, "2026-12-04").plan_overdue);
    store
        .update_action(
            exit.action.id,
            &crate::audits::ActionUpdate {
                status: Some(ActionStatus::Done),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        on(&store, "2027-03-01"),
        Standing {
            plan_overdue: false,
            fix_overdue: false,
            days_to_fix: None
        }
    );
}

/// The office's SQL and the app's Rust say the same about overdue: every status ×
/// plan-due / fix-by date × agreed plan × accepted supplier response, on one day.
#[test]
fn the_sql_overdue_rule_is_the_rust_rule() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE corrective_action (id TEXT, status TEXT, due_date TEXT, plan_due_date TEXT, corrective_action TEXT);
         CREATE TABLE supplier_response (id TEXT, action_id TEXT, state TEXT, deleted INTEGER);",
    )
    .unwrap();
    let today = day("2026-12-10");
    let statuses = [None, Some("open"), Some("in_progress"), Some("done"), Some("verified"), Some("disputed")];
    let dates = [None, Some("2026-12-09"), Some("2026-12-10"), Some("2026-12-11")];
    let plans = [None, Some(""), Some("  "), Some("Unlock exit 3, daily check")];
    let responses = [None, Some("pending"), Some("accepted"), Some("rejected")];
    let mut cases = 0;
    for status in statuses {
        for fix_by in dates {
            for plan_due in dates {
                for plan in plans {
                    for response in responses {
                        conn.execute_batch("DELETE FROM corrective_action; DELETE FROM supplier_response;").unwrap();
                        let id = Uuid::new_v4();
                        conn.execute(
                            "INSERT INTO corrective_action VALUES (?1, ?2, ?3, ?4, ?5)",
                            rusqlite::params![id.to_string(), status, fix_by, plan_due, plan],
                        )
                        .unwrap();
                        if let Some(state) = response {
                            conn.execute(
                                "INSERT INTO supplier_response VALUES ('r', ?1, ?2, 0)",
                                rusqlite::params![id.to_string(), state],
                            )
                            .unwrap();
                        }
                        let (fix_sql, plan_sql): (bool, bool) = conn
                            .query_row(
                                &format!("SELECT {FIX_OVERDUE_SQL}, {PLAN_OVERDUE_SQL} FROM corrective_action ca"),
                                rusqlite::named_params! {":today": today.to_string()},
                                |r| Ok((r.get(0)?, r.get(1)?)),
                            )
                            .unwrap();
                        let action = CorrectiveAction {
                            id,
                            finding_id: None,
                            root_cause: None,
                            corrective_action: plan.map(str::to_owned),
                            preventive_action: None,
                            owner: None,
                            due_date: fix_by.map(str::to_owned),
                            evidence: None,
                            verification_method: None,
                            status: status.map(|s: &str| s.parse().unwrap()),
                            production_blocking: None,
                            deleted: None,
                            plan_due_date: plan_due.map(str::to_owned),
                        };
                        let has_plan = plan.is_some_and(|p| !p.trim().is_empty()) || response == Some("accepted");
                        let s = standing(&action, has_plan, today);
                        let case = format!("status {status:?}, fix by {fix_by:?}, plan due {plan_due:?}, plan {plan:?}, response {response:?}");
                        assert_eq!(fix_sql, s.fix_overdue, "fix overdue: {case}");
                        assert_eq!(plan_sql, s.plan_overdue, "plan overdue: {case}");
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 6 * 4 * 4 * 4 * 4);
}

#[test]
fn the_sql_status_lists_are_the_rust_lists() {
    let list = |l: &[ActionStatus]| format!("({})", l.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "));
    assert_eq!(FINISHED_STATUSES_SQL, list(&FINISHED_STATUSES));
    assert_eq!(RUNNING_STATUSES_SQL, list(&RUNNING_STATUSES));
    assert!(FIX_OVERDUE_SQL.contains(RUNNING_STATUSES_SQL) && PLAN_OVERDUE_SQL.contains(RUNNING_STATUSES_SQL));
    // A disputed item waits for the dispute; a finished one has no deadline left.
    for s in [ActionStatus::Disputed, ActionStatus::Done, ActionStatus::Verified] {
        assert!(!deadlines_run(Some(s)), "{s}");
    }
    assert!(deadlines_run(None) && deadlines_run(Some(ActionStatus::InProgress)));
}
