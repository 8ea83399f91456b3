//! How failures travel inside the crate and become [`fedi_storage::Error`] at the trait
//! boundary.
//!
//! The crate has no error enum of its own: every method of the storage traits returns
//! [`fedi_storage::Error`], and so do [`connect`](crate::connect) and the inherent methods, so
//! a caller handles one error type whichever backend it runs on. Inside, [`Fail`] keeps a
//! PostgreSQL error unconverted until the transaction retry loop has looked at its SQLSTATE.

use fedi_storage::Error;
use tokio_postgres::error::SqlState;

/// A failure inside the crate: a PostgreSQL error (kept for its SQLSTATE) or a storage error.
#[derive(Debug)]
pub(crate) enum Fail {
    Pg(tokio_postgres::Error),
    Store(Error),
}

/// The crate's internal result.
pub(crate) type R<T> = std::result::Result<T, Fail>;

impl Fail {
    /// A serialization failure or a deadlock: the transaction is retried from the start.
    pub(crate) fn is_conflict(&self) -> bool {
        match self {
            Fail::Pg(e) => matches!(
                e.code(),
                Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
            ),
            Fail::Store(_) => false,
        }
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Store(e)
    }
}

impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Fail::Pg(e),
            other => Fail::Store(Error::Backend(format!("postgres pool: {other}"))),
        }
    }
}

impl From<Fail> for Error {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Store(e) => e,
            Fail::Pg(e) => pg_error(&e),
        }
    }
}

/// A PostgreSQL error as a storage error: always [`Error::Backend`] (retryable), with the
/// SQLSTATE and the server's message when there is one.
pub(crate) fn pg_error(e: &tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Backend(format!("postgres {}: {}", db.code().code(), db.message())),
        None => Error::Backend(format!("postgres: {e}")),
    }
}

/// A stored row that does not decode.
pub(crate) fn corrupt(key: &str, reason: impl Into<String>) -> Fail {
    Fail::Store(Error::Corrupt {
        key: key.chars().take(200).collect(),
        reason: reason.into(),
    })
}
