//! The crate's integration tests, one binary. Each test gets a database of its own from
//! `fedi_storage_postgres::test_support` (on `WOOLLY_TEST_DATABASE_URL`, or on a private
//! cluster the tests start and stop themselves).
#![allow(clippy::unwrap_used, missing_docs)]

mod bad_input;
mod common;
mod conformance;
mod migrations;
mod shared_database;
mod waiting;
