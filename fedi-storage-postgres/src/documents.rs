//! Documents and tombstones: one row per IRI in `fedi_documents`, a tombstone being a row
//! with no body. A put is one `INSERT … ON CONFLICT DO UPDATE … WHERE` not tombstoned, so
//! the tombstone check and the write are one atomic statement.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{Document, DocumentStore, Error, Origin, Result, Tombstone};
use tokio_postgres::Row;

use crate::codec::{free_text, from_ts, name, ts};
use crate::error::{corrupt, R};
use crate::store::{query, retrying, PostgresStore};

const PUT: &str = "INSERT INTO fedi_documents AS d
        (iri, body, origin, fetched_at, stored_at, content_hash)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (iri) DO UPDATE SET body = EXCLUDED.body, origin = EXCLUDED.origin,
        fetched_at = EXCLUDED.fetched_at, stored_at = EXCLUDED.stored_at,
        content_hash = EXCLUDED.content_hash
    WHERE d.deleted_at IS NULL
    RETURNING 1";

// A row comes back unless the IRI was already tombstoned; `xmax = 0` tells a fresh insert
// (an unknown IRI tombstoned) from an update (a document removed).
const DELETE: &str = "INSERT INTO fedi_documents AS d (iri, deleted_at, former_type)
    VALUES ($1, $2, $3)
    ON CONFLICT (iri) DO UPDATE SET body = NULL, origin = NULL, fetched_at = NULL,
        stored_at = NULL, content_hash = NULL, deleted_at = EXCLUDED.deleted_at,
        former_type = EXCLUDED.former_type
    WHERE d.deleted_at IS NULL
    RETURNING (xmax = 0) AS inserted";

const GET: &str = "SELECT body, origin, fetched_at, stored_at, content_hash, deleted_at,
        former_type
    FROM fedi_documents WHERE iri = $1";

pub(crate) async fn put<C: GenericClient>(c: &C, iri: &str, doc: &Document) -> R<()> {
    let iri = name("IRI", iri)?;
    let origin: i16 = match doc.meta.origin {
        Origin::Local => 0,
        _ => 1,
    };
    let rows = query(
        c,
        PUT,
        &[
            &iri,
            &doc.body,
            &origin,
            &doc.meta.fetched_at.map(ts),
            &ts(doc.meta.stored_at),
            &&doc.meta.content_hash[..],
        ],
    )
    .await?;
    if rows.is_empty() {
        return Err(Error::Tombstoned { iri: iri.into() }.into());
    }
    Ok(())
}

pub(crate) async fn delete<C: GenericClient>(c: &C, iri: &str, t: &Tombstone) -> R<bool> {
    let iri = name("IRI", iri)?;
    let former = t.former_type.as_deref().map(free_text);
    let rows = query(c, DELETE, &[&iri, &ts(t.deleted_at), &former]).await?;
    Ok(rows.first().is_some_and(|r| !r.get::<_, bool>(0)))
}

enum Record {
    Doc(Document),
    Tomb(Tombstone),
}

fn decode(iri: &str, row: &Row) -> R<Record> {
    let deleted_at: Option<i64> = row.get(5);
    if let Some(at) = deleted_at {
        let mut t = Tombstone::new(from_ts(at));
        if let Some(ft) = row.get::<_, Option<String>>(6) {
            t = t.with_former_type(ft);
        }
        return Ok(Record::Tomb(t));
    }
    let body: Option<Vec<u8>> = row.get(0);
    let body = body.ok_or_else(|| corrupt(iri, "a document row without a body"))?;
    let origin = match row.get::<_, Option<i16>>(1) {
        Some(0) => Origin::Local,
        Some(1) => Origin::Remote,
        o => return Err(corrupt(iri, format!("unknown origin {o:?}"))),
    };
    let stored_at = row
        .get::<_, Option<i64>>(3)
        .ok_or_else(|| corrupt(iri, "a document row without stored_at"))?;
    let hash: Option<Vec<u8>> = row.get(4);
    let hash: [u8; 32] = hash
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .ok_or_else(|| corrupt(iri, "the content hash is not 32 bytes"))?;
    let mut doc = Document::from_bytes(body, origin, from_ts(stored_at))
        .map_err(|e| corrupt(iri, format!("stored body: {e}")))?;
    if let Some(f) = row.get::<_, Option<i64>>(2) {
        doc = doc.with_fetched_at(from_ts(f));
    }
    doc.meta.content_hash = hash;
    Ok(Record::Doc(doc))
}

impl PostgresStore {
    async fn document_record(&self, iri: &str) -> R<Option<Record>> {
        let iri = name("IRI", iri)?;
        let client = self.client().await?;
        let rows = query(&client, GET, &[&iri]).await?;
        rows.first().map(|r| decode(iri, r)).transpose()
    }
}

#[async_trait]
impl DocumentStore for PostgresStore {
    async fn get_document(&self, iri: &str) -> Result<Option<Document>> {
        Ok(match self.document_record(iri).await? {
            Some(Record::Doc(d)) => Some(d),
            _ => None,
        })
    }

    async fn put_document(&self, iri: &str, document: &Document) -> Result<()> {
        Ok(retrying!(
            async { put(&self.client().await?, iri, document).await }.await
        )?)
    }

    async fn delete_document(&self, iri: &str, tombstone: &Tombstone) -> Result<bool> {
        Ok(retrying!(
            async { delete(&self.client().await?, iri, tombstone).await }.await
        )?)
    }

    async fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>> {
        Ok(match self.document_record(iri).await? {
            Some(Record::Tomb(t)) => Some(t),
            _ => None,
        })
    }
}
