//! FieldAudit's core: the domain model and the offline-first local store.
//!
//! - [`store`]: the SQLite store; every write appends to the change log in the same
//!   transaction ([`store::Writer::set`] is the only write path for synced rows).
//! - [`model`]: typed views of the synced rows (facility, audit, answer, finding…).
//! - [`audits`]: starting audits, recording answers (raising and closing findings
//!   automatically), repeat groups, corrective actions, scores.
//! - [`cap`]: CAP deadlines (plan due, fix by) and overdue on a given day, supplier
//!   responses and the supplier's workbook.
//! - [`follow_up`]: follow-up audits and desktop reviews that verify earlier findings
//!   (Closed / Progress made / Still open), recurrences, and each finding's history.
//! - [`fees`]: recruitment-fee records and the totals a supplier owes.
//! - [`attachments`]: photo and document bytes stored once by SHA-256.
//! - [`facilities`]: facility list, and applying an [`import`] preview all-or-nothing.
//! - [`export`]: an audit as one JSON document; [`tables`]: every entity as a flat
//!   table for CSV/XLSX exports; [`facility_list`]: the registry as Open Supply Hub CSV.
//! - [`office`]: the office for reviewers and admins: review queue, CAP tracker,
//!   dashboard panels, fee remediation in a reporting currency, country risk from
//!   WGI data and the risk-based audit plan.
//! - [`report`]: the report model (site and full report), its wording, and the
//!   sign-off seal a PDF carries.
//! - [`reopen`]: *Reopen for correction*, the one way to change a signed audit.
//! - [`acknowledgement`]: the site representative's name, role and agreed/disputed
//!   answer per finding, signed with the audit.
//! - [`review`]: a reviewer approving (what was signed) or returning a submitted audit.
//! - [`signoff`]: signing an audit off (ed25519 over its canonical form) and checking
//!   a sign-off against the audit as it is now.
//! - [`evaluation`]: the one evaluation of an audit (visibility, answered, conformance,
//!   failing items) that the score, findings, workspace and reports read.
//! - [`teams`]: audit teams on the device: who is signed in, *My audits*, removing
//!   an audit the device no longer holds.
//! - [`permissions`]: what the signed-in user may do on an audit (the role matrix,
//!   for the app to hide or disable controls and say why).
//! - [`workspace`]: an audit as the desktop app's workspace screen shows it.
//! - [`interviews`]: confidential worker interviews (encrypted drafts, sealing to
//!   reviewer keys with `age`, reviewer decryption and aggregates, sampling).
//!
//! No Tauri, no HTTP server: the desktop shell, the CLI and tests all call this crate.

pub mod acknowledgement;
pub mod attachments;
pub mod audits;
pub mod cap;
pub mod db;
pub mod error;
pub mod evaluation;
pub mod export;
pub mod facilities;
pub mod facility_list;
pub mod fees;
pub mod follow_up;
/// Facility list import (the `fieldaudit-facility-import` crate, shared with the server).
pub use fieldaudit_facility_import as import;
pub mod interviews;
pub mod model;
pub mod office;
pub mod permissions;
pub mod phrases;
pub mod report;
pub mod reopen;
pub mod review;
pub mod signoff;
pub mod store;
pub mod sync;
pub mod tables;
pub mod teams;
#[cfg(test)]
mod test_support;
pub mod workspace;

pub use error::{CoreError, Result};
pub use fieldaudit_protocol::closed_sets::UnknownName;
pub use store::{Store, Writer};
