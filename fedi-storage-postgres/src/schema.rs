//! Versioned schema migrations, applied at start.
//!
//! A small runner of its own rather than `refinery`: the schema is a handful of SQL files
//! embedded in the binary, and the runner must hold a PostgreSQL advisory lock while it reads
//! and advances the version so that several processes starting at once on one database apply
//! each migration exactly once (the others wait on the lock, then find nothing to do).
//! Each migration runs in its own transaction together with the row recording it in
//! `fedi_schema_version`, so a crash leaves the schema at a whole version.

use tokio_postgres::Client;

use crate::error::R;
use fedi_storage::Error;

/// One migration: its version, a description, and its SQL.
struct Migration {
    version: i32,
    description: &'static str,
    sql: &'static str,
}

/// Every migration, in order. A new one is appended with the next version; shipped ones are
/// never edited.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "documents, collections, keys, dedupe, key-value, queues",
    sql: include_str!("../migrations/0001_initial.sql"),
}];

/// The advisory lock held while migrating (two int4 keys: "wool" and 1). Advisory locks
/// taken with one bigint key, as the queue lanes' are, live in a separate key space.
const LOCK: (i32, i32) = (0x776F_6F6C, 1);

/// The schema version this build knows.
pub const SCHEMA_VERSION: i32 = 1;

/// What a migration run did ([`PostgresConfig::run_migrations`](crate::PostgresConfig::run_migrations)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// The version found before.
    pub from: i32,
    /// The version now.
    pub to: i32,
}

/// Brings the schema up to [`SCHEMA_VERSION`] over `client` (a connection of its own: the
/// advisory lock is a session lock, released on return, or when the connection closes if
/// the process dies halfway).
pub(crate) async fn migrate(client: &mut Client) -> R<MigrationReport> {
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK.0, &LOCK.1])
        .await?;
    let result = migrate_locked(client).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK.0, &LOCK.1])
        .await;
    let report = result?;
    unlock?;
    Ok(report)
}

async fn migrate_locked(client: &mut Client) -> R<MigrationReport> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS fedi_schema_version (
                 version     integer PRIMARY KEY,
                 description text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let from: i32 = current_version(client).await?;
    if from > SCHEMA_VERSION {
        return Err(Error::Open(format!(
            "the database schema is at version {from}, newer than this build's {SCHEMA_VERSION}; \
             run a newer build"
        ))
        .into());
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > from) {
        let tx = client.transaction().await?;
        tx.batch_execute(m.sql).await?;
        tx.execute(
            "INSERT INTO fedi_schema_version (version, description) VALUES ($1, $2)",
            &[&m.version, &m.description],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, m.description, "schema migrated");
    }
    Ok(MigrationReport {
        from,
        to: SCHEMA_VERSION.max(from),
    })
}

/// The schema version recorded in the database (0 when none is).
pub(crate) async fn current_version(client: &Client) -> R<i32> {
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM fedi_schema_version",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
