//! Audit reports: the model of what a site report and a full report say
//! ([`model`]), built from the store in the reader's language ([`build`],
//! [`labels`]), and the sign-off seal a report carries and how it is checked
//! ([`seal`]). Typesetting to PDF is in the `fieldaudit-report` crate, so the
//! server, which links this crate, does not carry a typesetting engine.

pub mod build;
pub mod labels;
pub mod model;
pub mod seal;

pub use build::ReportRequest;
pub use model::{Report, ReportKind, Section};
pub use seal::{AuditSinceSignOff, Seal, SealCheck};
