//! Moving local records from one base URL to another, for a data directory that is not bound
//! to a base URL yet (see `cli::serve`).
//!
//! Local accounts store absolute IRIs made from the base URL (actor, profile page, inboxes,
//! followers), index themselves by actor IRI, and their key pairs are stored under
//! `{actor}#main-key`; so does the instance actor, `{base}/actor`. Admin commands run on a
//! directory before `woolly serve` has bound it work under a provisional base URL (the
//! default, unless one was given); when the directory is bound to another one, this rewrites
//! those records. Nothing has federated yet then (only `serve` federates, and it binds the
//! directory first), so no other server knows the old IRIs.
//!
//! Each account is moved by one atomic batch (its record and its IRI index entry), after its
//! keys were copied to the new key ids; a run interrupted half-way is completed by the next
//! one, since only records still under the old base URL are touched.

use fedi_storage::{CollectionStoreExt, KvStoreExt, LocalKeyPair, Store, WriteBatch};

use super::model::{coll, ns, Account};
use crate::error::Error;

/// `iri` with the base URL `from` replaced by `to`, if it is under `from`.
fn moved(iri: &str, from: &str, to: &str) -> Option<String> {
    let rest = iri.strip_prefix(from)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
}

/// Replaces `from` by `to` in `field` when it is under `from`; whether it did.
fn move_field(field: &mut String, from: &str, to: &str) -> bool {
    match moved(field, from, to) {
        Some(m) => {
            *field = m;
            true
        }
        None => false,
    }
}

fn move_opt(field: &mut Option<String>, from: &str, to: &str) -> bool {
    field.as_mut().is_some_and(|f| move_field(f, from, to))
}

/// Copies the key pairs of local actor `from_actor` to `to_actor` (same keys, key ids under
/// the new IRI).
async fn move_keys(
    store: &dyn Store,
    from_actor: &str,
    to_actor: &str,
    from: &str,
    to: &str,
) -> Result<(), Error> {
    for key in store.local_keys_of(from_actor).await? {
        let key_id = moved(&key.key_id, from, to).unwrap_or_else(|| format!("{to_actor}#main-key"));
        let copy = LocalKeyPair::new(
            key_id,
            to_actor,
            key.algorithm,
            key.private_key_pkcs8,
            key.public_key_pem,
            key.created_at,
        );
        store.put_local_key(&copy).await?;
    }
    Ok(())
}

/// Moves every local account under base URL `from` to base URL `to` (both without a trailing
/// slash), with its keys, and the instance actor's keys; returns how many accounts moved.
pub async fn rebase_local_records(store: &dyn Store, from: &str, to: &str) -> Result<usize, Error> {
    move_keys(
        store,
        &format!("{from}/actor"),
        &format!("{to}/actor"),
        from,
        to,
    )
    .await?;
    let mut count = 0;
    for item in store.all_members(coll::LOCAL_ACCOUNTS, 500).await? {
        let Some(mut account) = store
            .kv_get_json::<Account>(ns::ACCOUNTS, item.member.as_bytes())
            .await?
        else {
            continue;
        };
        let old_actor = account.actor.clone();
        if !move_field(&mut account.actor, from, to) {
            continue;
        }
        move_field(&mut account.url, from, to);
        move_opt(&mut account.inbox, from, to);
        move_opt(&mut account.shared_inbox, from, to);
        move_opt(&mut account.followers_url, from, to);
        move_opt(&mut account.avatar, from, to);
        move_opt(&mut account.header, from, to);
        move_keys(store, &old_actor, &account.actor, from, to).await?;
        let batch = WriteBatch::new()
            .kv_put(
                ns::ACCOUNTS,
                account.id.to_string(),
                serde_json::to_vec(&account)?,
            )
            .kv_delete(ns::ACCOUNT_BY_IRI, old_actor)
            .kv_put(
                ns::ACCOUNT_BY_IRI,
                account.actor.clone(),
                account.id.to_string(),
            );
        store.apply(&batch).await?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::moved;

    #[test]
    fn only_iris_under_the_base_move() {
        let (from, to) = ("http://localhost:8080", "https://wool.example");
        assert_eq!(
            moved("http://localhost:8080/users/a", from, to).as_deref(),
            Some("https://wool.example/users/a")
        );
        assert_eq!(
            moved("http://localhost:8080", from, to).as_deref(),
            Some("https://wool.example")
        );
        assert_eq!(moved("http://localhost:80801/users/a", from, to), None);
        assert_eq!(moved("https://other.example/users/a", from, to), None);
    }
}
