//! Documents in the engine: the key of an IRI, the document and tombstone records, and the
//! steps of [`DocumentStore`](crate::DocumentStore).

use super::codec::*;
use super::{Core, Engine, Tx};
use crate::documents::{Document, DocumentMeta, Origin, Tombstone};
use crate::error::{Error, Result};
use crate::time::Timestamp;

pub(super) enum DocRecord {
    Doc(Document),
    Tomb(Tombstone),
}

fn enc_doc(d: &Document) -> Vec<u8> {
    Enc::new(K_DOC)
        .u8(match d.meta.origin {
            Origin::Local => 0,
            Origin::Remote => 1,
        })
        .opt_u64(d.meta.fetched_at.map(Timestamp::as_unix_millis))
        .u64(d.meta.stored_at.as_unix_millis())
        .raw(&d.meta.content_hash)
        .bytes(&d.body)
        .finish()
}

fn enc_tomb(t: &Tombstone) -> Vec<u8> {
    Enc::new(K_TOMB)
        .u64(t.deleted_at.as_unix_millis())
        .opt_str(t.former_type.as_deref())
        .finish()
}

pub(super) fn dec_doc(key: &[u8], buf: &[u8]) -> Result<DocRecord> {
    let (kind, mut d) = Dec::open(key, buf)?;
    match kind {
        K_DOC => {
            let origin = match d.u8()? {
                0 => Origin::Local,
                1 => Origin::Remote,
                o => return Err(Error::corrupt(key, format!("unknown origin {o}"))),
            };
            let fetched_at = d.opt_u64()?.map(Timestamp::from_unix_millis);
            let stored_at = Timestamp::from_unix_millis(d.u64()?);
            let content_hash = d.raw::<32>()?;
            let body = d.bytes()?;
            d.finish()?;
            Ok(DocRecord::Doc(Document {
                body,
                meta: DocumentMeta {
                    origin,
                    fetched_at,
                    stored_at,
                    content_hash,
                },
            }))
        }
        K_TOMB => {
            let deleted_at = Timestamp::from_unix_millis(d.u64()?);
            let former_type = d.opt_string()?;
            d.finish()?;
            Ok(DocRecord::Tomb(Tombstone {
                deleted_at,
                former_type,
            }))
        }
        k => Err(Error::corrupt(
            key,
            format!("record kind {k} is not a document"),
        )),
    }
}

fn doc_key(iri: &str) -> Result<Vec<u8>> {
    if iri.is_empty() {
        return Err(Error::InvalidArgument("IRI must not be empty".into()));
    }
    Ok(Key::new(T_DOC).bytes(iri.as_bytes()).build())
}

impl<E: Engine> Core<E> {
    pub(crate) fn get_document(&self, iri: &str) -> Result<Option<Document>> {
        let key = doc_key(iri)?;
        match self.engine.get(&key)? {
            None => Ok(None),
            Some(v) => match dec_doc(&key, &v)? {
                DocRecord::Doc(d) => Ok(Some(d)),
                DocRecord::Tomb(_) => Ok(None),
            },
        }
    }

    pub(crate) fn tombstone(&self, iri: &str) -> Result<Option<Tombstone>> {
        let key = doc_key(iri)?;
        match self.engine.get(&key)? {
            None => Ok(None),
            Some(v) => match dec_doc(&key, &v)? {
                DocRecord::Doc(_) => Ok(None),
                DocRecord::Tomb(t) => Ok(Some(t)),
            },
        }
    }

    pub(super) fn tx_put_document(tx: &mut Tx<'_, E>, iri: &str, doc: &Document) -> Result<()> {
        let key = doc_key(iri)?;
        if let Some(v) = tx.get(&key)? {
            // A corrupt record may be overwritten (that repairs it); a tombstone may not.
            if let Ok(DocRecord::Tomb(_)) = dec_doc(&key, &v) {
                return Err(Error::Tombstoned { iri: iri.into() });
            }
        }
        tx.put(key, enc_doc(doc));
        Ok(())
    }

    pub(super) fn tx_delete_document(tx: &mut Tx<'_, E>, iri: &str, t: &Tombstone) -> Result<bool> {
        let key = doc_key(iri)?;
        let existed = match tx.get(&key)? {
            None => false,
            Some(v) => match dec_doc(&key, &v) {
                Ok(DocRecord::Tomb(_)) => return Ok(false),
                Ok(DocRecord::Doc(_)) => true,
                Err(_) => true,
            },
        };
        tx.put(key, enc_tomb(t));
        Ok(existed)
    }

    pub(crate) fn put_document(&self, iri: &str, doc: &Document) -> Result<()> {
        self.write(|tx| Self::tx_put_document(tx, iri, doc))
    }

    pub(crate) fn delete_document(&self, iri: &str, t: &Tombstone) -> Result<bool> {
        self.write(|tx| Self::tx_delete_document(tx, iri, t))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Documents survive encoding, and every proper prefix of an encoding is Corrupt.
        #[test]
        fn documents_round_trip_and_truncations_are_corrupt(
            body in "[a-z ]{0,40}",
            fetched in proptest::option::of(any::<u64>()),
            stored in any::<u64>(),
            remote in any::<bool>(),
        ) {
            let json = serde_json::json!({ "content": body });
            let origin = if remote { Origin::Remote } else { Origin::Local };
            let mut doc = Document::from_json(&json, origin, Timestamp::from_unix_millis(stored)).unwrap();
            doc.meta.fetched_at = fetched.map(Timestamp::from_unix_millis);
            let enc = enc_doc(&doc);
            match dec_doc(b"k", &enc).unwrap() {
                DocRecord::Doc(d) => prop_assert_eq!(d, doc),
                DocRecord::Tomb(_) => prop_assert!(false, "decoded as a tombstone"),
            }
            for cut in 0..enc.len() {
                prop_assert!(dec_doc(b"k", &enc[..cut]).err().is_some_and(|e| e.is_corrupt()));
            }
        }
    }
}
