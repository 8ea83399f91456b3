//! Moderation: actions on accounts, the instance's rules, reports (filed here or received as
//! `Flag`s), their handling by staff, and who counts as staff.
//!
//! - [`accounts`]: Mastodon's admin account actions (sensitive, disable, silence, suspend,
//!   their undo, deletion of a suspended account's data).
//! - [`rules`]: the instance's rules (`woolly admin rules`, `GET /api/v1/instance/rules`).
//! - [`reports`]: reports filed by local accounts, forwarded as `Flag`s from the instance
//!   actor, and handled by staff (assign, resolve, reopen).
//! - [`flag`]: `Flag`s from other servers, filed as reports.
//! - [`staff`]: the accounts notified of reports (`admin.report`).

pub mod accounts;
pub mod flag;
pub mod reports;
pub mod rules;
pub mod staff;

pub use accounts::{Action, Moderation, Undo};
pub use reports::{NewReport, Report, ReportCategory, ReportFilter};
pub use rules::Rule;
