//! The app's severity scale for findings (DOMAIN.md, "Severity and deadlines"):
//! critical (zero tolerance), major, minor, observation, good practice. The enum is
//! one of the protocol's closed sets, so templates, the registry, core and the UI
//! share it.

pub use fieldaudit_protocol::closed_sets::Severity;

/// A string that is not one of the severity names.
pub type UnknownSeverity = fieldaudit_protocol::closed_sets::UnknownName;
