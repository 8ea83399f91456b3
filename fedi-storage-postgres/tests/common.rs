//! Helpers: a test database and stores on it.

use fedi_storage_postgres::test_support::TestDatabase;
use fedi_storage_postgres::{PostgresConfig, PostgresStore};

/// A fresh database.
pub async fn database() -> TestDatabase {
    TestDatabase::create()
        .await
        .unwrap_or_else(|e| panic!("no test database: {e}"))
}

/// A store (a pool of its own) on `db`, with `config` applied to the defaults.
pub async fn store_with(
    db: &TestDatabase,
    config: impl FnOnce(PostgresConfig) -> PostgresConfig,
) -> PostgresStore {
    config(PostgresConfig::new(db.url()))
        .connect()
        .await
        .expect("connect")
}

/// A store with the default configuration.
pub async fn store(db: &TestDatabase) -> PostgresStore {
    store_with(db, |c| c).await
}
