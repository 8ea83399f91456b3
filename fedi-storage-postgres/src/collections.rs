//! Ordered collections: a row per member in `fedi_collection_items` under its sort key, and
//! a count per collection in `fedi_collection_counts`, updated by the same statement, so
//! `count` is one row read. Pages are index range scans over `(collection, sort_key,
//! member)`.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fedi_storage::{CollectionItem, CollectionStore, Order, Page, PageRequest, Result};

use crate::codec::{from_sort_key, limit, name, sort_key, text, unsigned};
use crate::error::R;
use crate::store::{query, retrying, PostgresStore};

// One row back with `inserted` when the member was added or moved; none when it was
// already there under the same key. The count goes up in the same statement for a new one.
const INSERT: &str = "WITH up AS (
        INSERT INTO fedi_collection_items AS i (collection, member, sort_key)
        VALUES ($1, $2, $3)
        ON CONFLICT (collection, member) DO UPDATE SET sort_key = EXCLUDED.sort_key
        WHERE i.sort_key <> EXCLUDED.sort_key
        RETURNING (xmax = 0) AS inserted
    ), counted AS (
        INSERT INTO fedi_collection_counts AS c (collection, members)
        SELECT $1, 1 FROM up WHERE up.inserted
        ON CONFLICT (collection) DO UPDATE SET members = c.members + 1
    )
    SELECT inserted FROM up";

const REMOVE: &str = "WITH gone AS (
        DELETE FROM fedi_collection_items WHERE collection = $1 AND member = $2
        RETURNING 1
    ), counted AS (
        UPDATE fedi_collection_counts SET members = members - 1
        WHERE collection = $1 AND EXISTS (SELECT 1 FROM gone)
    )
    SELECT count(*) FROM gone";

const KEY_OF: &str =
    "SELECT sort_key FROM fedi_collection_items WHERE collection = $1 AND member = $2";

const COUNT: &str = "SELECT members FROM fedi_collection_counts WHERE collection = $1";

const PAGE_ASC: &str = "SELECT sort_key, member FROM fedi_collection_items
    WHERE collection = $1 AND sort_key BETWEEN $2 AND $3
    ORDER BY sort_key, member LIMIT $4";

const PAGE_DESC: &str = "SELECT sort_key, member FROM fedi_collection_items
    WHERE collection = $1 AND sort_key BETWEEN $2 AND $3
    ORDER BY sort_key DESC, member DESC LIMIT $4";

const COUNT_MANY: &str = "SELECT coalesce(c.members, 0)
    FROM unnest($1::text[]) WITH ORDINALITY AS n(collection, ord)
    LEFT JOIN fedi_collection_counts c ON c.collection = n.collection
    ORDER BY n.ord";

const NEWEST_MANY: &str = "SELECT i.sort_key, i.member
    FROM unnest($1::text[]) WITH ORDINALITY AS n(collection, ord)
    LEFT JOIN LATERAL (
        SELECT sort_key, member FROM fedi_collection_items
        WHERE collection = n.collection
        ORDER BY sort_key DESC, member DESC LIMIT 1
    ) i ON true
    ORDER BY n.ord";

const KEY_OF_MANY: &str = "SELECT i.sort_key
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(collection, member, ord)
    LEFT JOIN fedi_collection_items i
        ON i.collection = p.collection AND i.member = p.member
    ORDER BY p.ord";

pub(crate) async fn insert<C: GenericClient>(c: &C, coll: &str, item: &CollectionItem) -> R<bool> {
    let coll = name("collection", coll)?;
    let member = text("member", &item.member)?;
    let rows = query(c, INSERT, &[&coll, &member, &sort_key(item.key)]).await?;
    Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}

pub(crate) async fn remove<C: GenericClient>(c: &C, coll: &str, member: &str) -> R<bool> {
    let coll = name("collection", coll)?;
    let member = text("member", member)?;
    let rows = query(c, REMOVE, &[&coll, &member]).await?;
    Ok(rows.first().is_some_and(|r| r.get::<_, i64>(0) > 0))
}

fn item(key: i64, member: String) -> CollectionItem {
    CollectionItem::new(from_sort_key(key), member)
}

#[async_trait]
impl CollectionStore for PostgresStore {
    async fn insert(&self, collection: &str, item: &CollectionItem) -> Result<bool> {
        Ok(retrying!(
            async { insert(&self.client().await?, collection, item).await }.await
        )?)
    }

    async fn remove(&self, collection: &str, member: &str) -> Result<bool> {
        Ok(retrying!(
            async { remove(&self.client().await?, collection, member).await }.await
        )?)
    }

    async fn key_of(&self, collection: &str, member: &str) -> Result<Option<u64>> {
        let coll = name("collection", collection)?;
        let member = text("member", member)?;
        let rows = query(&self.client().await?, KEY_OF, &[&coll, &member]).await?;
        Ok(rows.first().map(|r| from_sort_key(r.get(0))))
    }

    async fn count(&self, collection: &str) -> Result<u64> {
        let coll = name("collection", collection)?;
        let rows = query(&self.client().await?, COUNT, &[&coll]).await?;
        Ok(rows.first().map_or(0, |r| unsigned(r.get(0))))
    }

    async fn page(&self, collection: &str, req: &PageRequest) -> Result<Page> {
        let coll = name("collection", collection)?;
        // Inclusive bounds over the u64 keys.
        let lo = match req.lower_bound() {
            Some(u64::MAX) => return Ok(Page::default()),
            Some(b) => b + 1,
            None => 0,
        };
        let hi = match req.max_id {
            Some(0) => return Ok(Page::default()),
            Some(m) => m - 1,
            None => u64::MAX,
        };
        if req.limit == 0 || lo > hi {
            return Ok(Page::default());
        }
        let oldest = req.anchored_at_oldest();
        let sql = if oldest { PAGE_ASC } else { PAGE_DESC };
        let rows = query(
            &self.client().await?,
            sql,
            &[&coll, &sort_key(lo), &sort_key(hi), &limit(req.limit)],
        )
        .await?;
        let mut items: Vec<CollectionItem> =
            rows.iter().map(|r| item(r.get(0), r.get(1))).collect();
        if oldest && req.order == Order::NewestFirst {
            items.reverse();
        }
        let mut page = Page::default();
        page.items = items;
        Ok(page)
    }

    async fn count_many(&self, collections: &[&str]) -> Result<Vec<u64>> {
        if collections.is_empty() {
            return Ok(Vec::new());
        }
        let names = collections
            .iter()
            .map(|c| name("collection", c))
            .collect::<R<Vec<&str>>>()?;
        let rows = query(&self.client().await?, COUNT_MANY, &[&names]).await?;
        Ok(rows.iter().map(|r| unsigned(r.get(0))).collect())
    }

    async fn newest_many(&self, collections: &[&str]) -> Result<Vec<Option<CollectionItem>>> {
        if collections.is_empty() {
            return Ok(Vec::new());
        }
        let names = collections
            .iter()
            .map(|c| name("collection", c))
            .collect::<R<Vec<&str>>>()?;
        let rows = query(&self.client().await?, NEWEST_MANY, &[&names]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let key: Option<i64> = r.get(0);
                let member: Option<String> = r.get(1);
                key.zip(member).map(|(k, m)| item(k, m))
            })
            .collect())
    }

    async fn key_of_many(&self, pairs: &[(&str, &str)]) -> Result<Vec<Option<u64>>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut colls = Vec::with_capacity(pairs.len());
        let mut members = Vec::with_capacity(pairs.len());
        for (c, m) in pairs {
            colls.push(name("collection", c)?);
            members.push(text("member", m)?);
        }
        let rows = query(&self.client().await?, KEY_OF_MANY, &[&colls, &members]).await?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, Option<i64>>(0).map(from_sort_key))
            .collect())
    }
}
