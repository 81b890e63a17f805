//! The contract shared by a FieldAudit device and the sync server.
//!
//! Nothing here does I/O. It defines:
//! - [`closed_sets`]: every closed set of values (states, severities, roles, fee
//!   categories…) as an enum;
//! - [`hlc`]: the hybrid logical clock every change is stamped with;
//! - [`registry`]: which entities and fields sync, and the type of each value;
//! - [`scope`]: who receives which rows and who may change what (the role matrix);
//! - [`merge`]: the one merge rule (last writer wins per field, by `(hlc, device_id)`);
//! - [`wire`]: the JSON bodies of push and pull, and the API error shape;
//! - [`api`]: the JSON bodies of login, identity, templates and health;
//! - [`reference`]: the org-wide reference tables (exchange rates, WGI indicators).
//! - [`lock`]: which fields a sign-off covers, so signed audits stay as signed
//!   on every device and on the server;
//! - [`corrective`]: follow-up, acknowledgement and supplier-response states, and
//!   who may decide them.
//!
//! Both the client store and the server apply changes through these types, so a
//! rule changed here changes on both sides at once.

pub mod api;
pub mod closed_sets;
pub mod corrective;
pub mod hlc;
pub mod lock;
pub mod merge;
pub mod reference;
pub mod registry;
pub mod scope;
pub mod sync_file;
pub mod wire;

pub use closed_sets::ClosedSet;
pub use hlc::{Clock, ClockError, Hlc};

/// The version of the sync protocol this crate defines: the wire types, the registry
/// and the merge rule as one contract. It goes up by one whenever a change would make
/// an older device misread what a server sends or accepts (a new required field, a
/// changed meaning); additions an older device safely ignores leave it as it is. The
/// server answers it on `GET /healthz`; a device whose number is lower than its
/// server's warns its user to update the app.
pub const PROTOCOL_VERSION: u32 = 1;
pub use merge::{should_apply, Version};
pub use registry::{EntityKind, FieldSpec, ValueError, ValueType};
pub use wire::{
    ApiError, Change, PullResponse, PulledChange, PushRequest, PushResponse, RejectCode, Rejection,
};
