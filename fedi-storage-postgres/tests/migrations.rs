//! Schema migrations: applied once when several stores start at once; refused when off.

use fedi_storage_postgres::schema::SCHEMA_VERSION;
use fedi_storage_postgres::PostgresConfig;

use crate::common::database;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_migrate_once() {
    let db = database().await;
    let refused = PostgresConfig::new(db.url()).migrate(false).connect().await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("version 0")),
        "an unmigrated database is refused when migrations are off: {refused:?}"
    );
    let starts = (0..6).map(|_| PostgresConfig::new(db.url()).connect());
    let stores = futures::future::join_all(starts).await;
    assert!(
        stores.iter().all(|s| s.is_ok()),
        "every concurrent start succeeds"
    );
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT version FROM fedi_schema_version ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        versions,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>(),
        "each version recorded once"
    );
    // A later start finds nothing to do, and a start with migrations off is accepted now.
    let report = PostgresConfig::new(db.url())
        .run_migrations()
        .await
        .unwrap();
    assert_eq!((report.from, report.to), (SCHEMA_VERSION, SCHEMA_VERSION));
    assert!(PostgresConfig::new(db.url())
        .migrate(false)
        .connect()
        .await
        .is_ok());
}

#[tokio::test]
async fn bad_urls_and_unreachable_servers_are_open_errors() {
    let bad = PostgresConfig::new("postgres://[::1").connect().await;
    assert!(matches!(bad, Err(fedi_storage::Error::Open(_))), "{bad:?}");
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = PostgresConfig::new(format!("postgres://x@127.0.0.1:{port}/x?sslmode=disable"))
        .connect()
        .await;
    assert!(
        matches!(down, Err(fedi_storage::Error::Open(_))),
        "{down:?}"
    );
}
