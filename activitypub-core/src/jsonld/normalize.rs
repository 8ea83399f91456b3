//! The slow path: JSON-LD expansion against the document's own context, then
//! compaction against the standard context, with the `json-ld` crate.

use super::classify::{
    canonical_iri, expand_standard_prefix, in_standard_namespace, standard_coercion,
    standard_term_iri, Coercion,
};
use super::contexts::{self, AS_URL, SECURITY_V1_URL, STANDARD_URL};
use crate::Error;
use json_ld::context_processing::{Process, ProcessedOwned};
use json_ld::expansion::Expand;
use json_ld::syntax::{IntoJsonWithContext, TryFromJson as _};
use json_ld::{Compact, Context, ExpandedDocument, Loader, RemoteDocument, TryFromJson as _};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Documents nested deeper than this are refused before JSON-LD processing
/// (the processor is recursive).
pub const MAX_DEPTH: usize = 64;

/// The result of [`normalize_with_report`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Normalized {
    /// The document, compacted against [`standard_context`](super::standard_context).
    pub document: Value,
    /// Remote contexts the document referenced that are not bundled. They
    /// were not fetched and were treated as empty: their terms survive only
    /// under their plain names (through the ActivityStreams `@vocab`).
    pub unknown_contexts: Vec<String>,
}

/// Normalizes a document into the standard compacted form.
///
/// Equivalent to [`normalize_with_report`] without the report.
///
/// # Errors
///
/// [`Error::JsonLd`] when the document is not valid JSON-LD (for example a
/// malformed IRI in `@context`, or a document nested deeper than
/// [`MAX_DEPTH`]).
pub fn normalize(doc: &Value) -> Result<Value, Error> {
    normalize_with_report(doc).map(|n| n.document)
}

/// Normalizes a document and reports which remote contexts were unknown.
///
/// Steps:
///
/// 1. The input is tidied the way lenient servers expect: properties whose
///    value is `null` are dropped (JSON-LD rejects `"id": null`, which
///    BookWyrm sends), and inline term definitions that are not valid
///    JSON-LD (Pixelfed's old `"capabilities": {"announce": {…}}`) are
///    ignored.
/// 2. The document is expanded with the `json-ld` crate against its own
///    `@context`, starting from the ActivityStreams context (so a document
///    without `@context` reads as ActivityStreams).
/// 3. Well-known alternative namespace spellings are unified
///    (`http://schema.org/` and `http://schema.org#`, the two Misskey
///    namespaces, `http:` ActivityStreams).
/// 4. The result is compacted against
///    [`standard_context`](super::standard_context), which becomes the
///    document's `@context`. Terms no context defines survive under their
///    plain names thanks to the ActivityStreams `"@vocab": "_:"`.
///
/// Remote contexts are served from the bundled tables; unknown ones are never
/// fetched, are treated as empty, are logged with `tracing::warn!`, and are
/// listed in [`Normalized::unknown_contexts`].
///
/// The processed ActivityStreams and standard contexts are cached per thread,
/// so only the document's own inline contexts are processed per call.
///
/// # Errors
///
/// [`Error::JsonLd`], as for [`normalize`].
pub fn normalize_with_report(doc: &Value) -> Result<Normalized, Error> {
    let levels = depth(doc, 0);
    if levels > MAX_DEPTH {
        return Err(json_ld_error(format!(
            "document nests deeper than {MAX_DEPTH} levels"
        )));
    }
    let doc = tidy(doc);
    if levels <= INLINE_DEPTH {
        guarded(|| run(doc))
    } else {
        workers::run_deep(doc)
    }
}

/// Documents up to this depth are processed on the calling thread. The
/// `json-ld` crate recurses with large stack frames (about 120 KiB a level in
/// a debug build, 40 KiB in release), so deeper documents go to worker
/// threads with big stacks instead of risking the caller's (a Tokio worker
/// has 2 MiB).
const INLINE_DEPTH: usize = 10;

/// Runs `f`, turning a panic inside the `json-ld` crate into an error: a
/// document from the network must never bring the process down.
fn guarded(f: impl FnOnce() -> Result<Normalized, Error>) -> Result<Normalized, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(json_ld_error("JSON-LD processor panicked")))
}

/// Worker threads with big stacks for deeply nested documents.
mod workers {
    use super::{guarded, json_ld_error, run, Normalized};
    use crate::Error;
    use serde_json::Value;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex, OnceLock};

    /// Stack of each worker: enough for [`super::MAX_DEPTH`] levels even in
    /// a debug build (only the pages touched are committed).
    const STACK_SIZE: usize = 64 * 1024 * 1024;
    const WORKERS: usize = 2;

    type Job = (Value, mpsc::SyncSender<Result<Normalized, Error>>);

    fn queue() -> Option<&'static Mutex<mpsc::Sender<Job>>> {
        static QUEUE: OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = OnceLock::new();
        QUEUE
            .get_or_init(|| {
                let (sender, receiver) = mpsc::channel::<Job>();
                let receiver = Arc::new(Mutex::new(receiver));
                let mut started = 0;
                for i in 0..WORKERS {
                    let receiver = Arc::clone(&receiver);
                    let spawned = std::thread::Builder::new()
                        .name(format!("woolly-jsonld-{i}"))
                        .stack_size(STACK_SIZE)
                        .spawn(move || loop {
                            let job = match receiver.lock() {
                                Ok(guard) => guard.recv(),
                                Err(_) => return,
                            };
                            let Ok((doc, reply)) = job else { return };
                            let _ = reply.send(guarded(|| run(doc)));
                        });
                    if spawned.is_ok() {
                        started += 1;
                    }
                }
                (started > 0).then(|| Mutex::new(sender))
            })
            .as_ref()
    }

    /// Runs one normalization on a worker thread and waits for it.
    pub(super) fn run_deep(doc: Value) -> Result<Normalized, Error> {
        let Some(queue) = queue() else {
            return Err(json_ld_error("no JSON-LD worker thread could be started"));
        };
        let (reply, result) = mpsc::sync_channel(1);
        queue
            .lock()
            .map_err(|_| json_ld_error("JSON-LD worker queue poisoned"))?
            .send((doc, reply))
            .map_err(|_| json_ld_error("JSON-LD workers stopped"))?;
        result
            .recv()
            .unwrap_or_else(|_| Err(json_ld_error("JSON-LD worker stopped")))
    }
}

/// Normalizes a tidied document on the current thread.
fn run(doc: Value) -> Result<Normalized, Error> {
    let loader = BundledLoader::default();
    let (initial, mut input) = prepare(doc);
    // The document's own top-level context, processed once per thread and
    // reused: servers send the same context with every document.
    let context = match &mut input {
        Value::Object(object) => object.remove("@context"),
        _ => None,
    };
    CACHE.with(|cell| {
        let cache = cell.get_or_init_cache()?;
        let initial = match initial {
            Initial::ActivityStreams => &cache.activitystreams,
            Initial::ActivityStreamsAndSecurity => &cache.activitystreams_security,
        };
        let mut unknown = Vec::new();
        let active = match context {
            None => initial.clone(),
            Some(context) => {
                let key = (initial_kind(initial, cache), context.to_string());
                let cached = cell.contexts.borrow().get(&key).cloned();
                match cached {
                    Some(entry) => {
                        unknown.extend(entry.unknown.iter().cloned());
                        entry.context
                    }
                    None => {
                        let processed =
                            futures::executor::block_on(process_local(context, initial, &loader))?;
                        let entry = CachedContext {
                            context: processed,
                            unknown: loader.unknown.borrow().clone(),
                        };
                        let mut contexts = cell.contexts.borrow_mut();
                        if contexts.len() >= CONTEXT_CACHE_SIZE {
                            contexts.clear();
                        }
                        contexts.insert(key, entry.clone());
                        entry.context
                    }
                }
            }
        };
        let input = json_syntax::Value::from_serde_json(input);
        let expanded = futures::executor::block_on(expand(input, active, &loader))?;
        let mut placeholders = Placeholders::default();
        let canonical = canonicalize(expanded, &mut placeholders);
        let compacted = futures::executor::block_on(compact(canonical, &cache.standard, &loader))?;
        let document = finish(compacted, &placeholders);
        unknown.extend(loader.unknown.into_inner());
        unknown.dedup();
        Ok(Normalized {
            document,
            unknown_contexts: unknown,
        })
    })
}

/// How many distinct document contexts each thread keeps processed.
const CONTEXT_CACHE_SIZE: usize = 64;

fn initial_kind(initial: &Context, cache: &Cache) -> u8 {
    u8::from(std::ptr::eq(initial, &cache.activitystreams_security))
}

/// Processes a document's own `@context` on top of `initial`.
async fn process_local(
    context: Value,
    initial: &Context,
    loader: &BundledLoader,
) -> Result<Context, Error> {
    let syntax = json_ld::syntax::context::Context::try_from_json(
        json_syntax::Value::from_serde_json(context),
    )
    .map_err(|e| json_ld_error(format!("invalid @context: {e}")))?;
    let processed = syntax
        .process_full(
            &mut (),
            initial,
            loader,
            None,
            json_ld::context_processing::Options::default(),
            (),
        )
        .await
        .map_err(|e| json_ld_error(format!("context processing failed: {e}")))?;
    Ok(processed.into_processed())
}

fn json_ld_error(reason: impl Into<String>) -> Error {
    Error::JsonLd {
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------
// Per-thread cache of processed contexts.
// ---------------------------------------------------------------------------

struct Cache {
    /// The ActivityStreams context, processed.
    activitystreams: Context,
    /// ActivityStreams then security v1, processed.
    activitystreams_security: Context,
    /// The standard output context, processed (with its inverse context
    /// built on first compaction and kept).
    standard: ProcessedOwned<json_ld::IriBuf, json_ld::BlankIdBuf>,
}

#[derive(Clone)]
struct CachedContext {
    context: Context,
    unknown: Vec<String>,
}

#[derive(Default)]
struct CacheCell {
    fixed: std::cell::OnceCell<Cache>,
    contexts: RefCell<std::collections::HashMap<(u8, String), CachedContext>>,
}

thread_local! {
    static CACHE: CacheCell = CacheCell::default();
}

impl CacheCell {
    fn get_or_init_cache(&self) -> Result<&Cache, Error> {
        if let Some(cache) = self.fixed.get() {
            return Ok(cache);
        }
        let cache = futures::executor::block_on(build_cache())?;
        Ok(self.fixed.get_or_init(|| cache))
    }
}

async fn process(
    urls: &[&str],
) -> Result<ProcessedOwned<json_ld::IriBuf, json_ld::BlankIdBuf>, Error> {
    let loader = BundledLoader::default();
    let value = json_syntax::Value::Array(
        urls.iter()
            .map(|u| json_syntax::Value::String((*u).into()))
            .collect(),
    );
    let syntax = json_ld::syntax::context::Context::try_from_json(value)
        .map_err(|e| json_ld_error(format!("bundled context: {e}")))?;
    let processed = syntax
        .process_full(
            &mut (),
            &Context::default(),
            &loader,
            None,
            json_ld::context_processing::Options::default(),
            (),
        )
        .await
        .map_err(|e| json_ld_error(format!("bundled context: {e}")))?;
    Ok(processed.into_owned())
}

async fn build_cache() -> Result<Cache, Error> {
    let activitystreams = process(&[AS_URL]).await?.processed;
    let activitystreams_security = process(&[AS_URL, SECURITY_V1_URL]).await?.processed;
    let standard = process(&[STANDARD_URL]).await?;
    Ok(Cache {
        activitystreams,
        activitystreams_security,
        standard,
    })
}

// ---------------------------------------------------------------------------
// Input preparation.
// ---------------------------------------------------------------------------

/// Which cached context the expansion starts from.
enum Initial {
    ActivityStreams,
    ActivityStreamsAndSecurity,
}

/// Tidies the input and strips a leading ActivityStreams (+ security v1)
/// context, which the cached initial context already holds.
fn prepare(mut doc: Value) -> (Initial, Value) {
    let mut initial = Initial::ActivityStreams;
    if let Value::Object(object) = &mut doc {
        match object.get_mut("@context") {
            Some(Value::String(url)) if is_url(url, AS_URL) => {
                object.remove("@context");
            }
            Some(Value::Array(list)) if list.first().is_some_and(|u| is_url_value(u, AS_URL)) => {
                if list
                    .get(1)
                    .is_some_and(|u| is_url_value(u, SECURITY_V1_URL))
                {
                    list.drain(..2);
                    initial = Initial::ActivityStreamsAndSecurity;
                } else {
                    list.remove(0);
                }
            }
            _ => {}
        }
    }
    (initial, doc)
}

fn is_url_value(value: &Value, canonical: &str) -> bool {
    value.as_str().is_some_and(|u| is_url(u, canonical))
}

fn is_url(url: &str, canonical: &str) -> bool {
    let (Some(a), Some(b)) = (
        contexts::lookup_index(url),
        contexts::lookup_index(canonical),
    ) else {
        return false;
    };
    a == b
}

/// Drops `null`-valued properties and invalid inline term definitions.
fn tidy(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(tidy).collect()),
        Value::Object(object) => {
            let mut out = Map::with_capacity(object.len());
            for (key, value) in object {
                if key == "@context" {
                    out.insert(key.clone(), tidy_context(value));
                } else if value.is_null() && key != "@value" {
                    continue;
                } else {
                    out.insert(key.clone(), tidy(value));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn tidy_context(context: &Value) -> Value {
    match context {
        Value::Array(items) => Value::Array(items.iter().map(tidy_context).collect()),
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(term, definition)| {
                    let valid = valid_definition(term, definition);
                    if !valid {
                        tracing::debug!(term = term.as_str(), "ignoring invalid term definition");
                    }
                    valid
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether an inline term definition has a shape JSON-LD accepts.
pub(crate) fn valid_definition(term: &str, definition: &Value) -> bool {
    if term.starts_with('@') {
        return true;
    }
    match definition {
        Value::Null | Value::String(_) => true,
        Value::Object(object) => object.keys().all(|k| k.starts_with('@')),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Expansion and compaction.
// ---------------------------------------------------------------------------

/// Expands `input` from `initial` and returns the expanded form as JSON.
async fn expand(
    input: json_syntax::Value,
    initial: Context,
    loader: &BundledLoader,
) -> Result<Value, Error> {
    let expanded = input
        .expand_full(
            &mut (),
            initial,
            None,
            loader,
            json_ld::expansion::Options::default(),
            (),
        )
        .await
        .map_err(|e| json_ld_error(format!("expansion failed: {e}")))?;
    let vocabulary = json_ld::rdf_types::vocabulary::no_vocabulary();
    Ok(Value::Array(
        expanded
            .into_iter()
            .map(|object| object.into_json_with(vocabulary).into_serde_json())
            .collect(),
    ))
}

/// Compacts expanded JSON against the standard context.
async fn compact(
    expanded: Value,
    standard: &ProcessedOwned<json_ld::IriBuf, json_ld::BlankIdBuf>,
    loader: &BundledLoader,
) -> Result<Value, Error> {
    let document =
        ExpandedDocument::try_from_json_in(&mut (), json_syntax::Value::from_serde_json(expanded))
            .map_err(|e| json_ld_error(format!("invalid expanded form: {e:?}")))?;
    let compacted = document
        .compact_full(
            &mut (),
            standard.as_ref(),
            loader,
            json_ld::compaction::Options::default(),
        )
        .await
        .map_err(|e| json_ld_error(format!("compaction failed: {e}")))?;
    Ok(compacted.into_serde_json())
}

/// IRIs the compactor would mangle: `tag:…` IRIs, whose scheme is also the
/// ActivityStreams term `tag` (the compactor refuses them), and IRIs in a
/// namespace the standard context has a prefix for (`as:Public` instead of
/// the full IRI Mastodon writes). They are swapped for placeholders before
/// compaction and put back afterwards.
#[derive(Default)]
struct Placeholders {
    originals: Vec<String>,
}

const PLACEHOLDER_PREFIX: &str = "https://woolly.invalid/iri/";

impl Placeholders {
    fn protect(&mut self, iri: String) -> String {
        let iri = expand_standard_prefix(&iri).unwrap_or(iri);
        let Some((scheme, rest)) = iri.split_once(':') else {
            return iri;
        };
        let confusable = !rest.starts_with("//") && standard_term_names().contains(scheme);
        if scheme == "_" || !(confusable || in_standard_namespace(&iri)) {
            return iri;
        }
        self.originals.push(iri);
        format!("{PLACEHOLDER_PREFIX}{}", self.originals.len() - 1)
    }

    fn restore<'a>(&'a self, s: &str) -> Option<&'a str> {
        let index: usize = s.strip_prefix(PLACEHOLDER_PREFIX)?.parse().ok()?;
        self.originals.get(index).map(String::as_str)
    }
}

/// Every term of the standard context (the names a scheme may collide with).
fn standard_term_names() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        contexts::ACTIVITYSTREAMS
            .iter()
            .chain(contexts::SECURITY_V1)
            .chain(contexts::STANDARD_EXTENSIONS)
            .map(|d| d.term)
            .collect()
    })
}

/// Unifies alternative namespace spellings in expanded JSON (keys and
/// `@type` values), merging properties that become the same, reads undefined
/// terms named like standard terms by their names, drops language tags where
/// they carry nothing, and protects IRIs the compactor would mangle.
fn canonicalize(value: Value, placeholders: &mut Placeholders) -> Value {
    canonicalize_in(value, placeholders, false)
}

/// Properties whose values are natural-language text, where a language tag
/// means something (it selects the `contentMap` / `nameMap` / `summaryMap`
/// entry). Elsewhere (`mediaType`, `quoteUrl` …) a default `@language`
/// tag is noise and is dropped.
fn is_text_property(iri: &str) -> bool {
    matches!(
        iri,
        "https://www.w3.org/ns/activitystreams#content"
            | "https://www.w3.org/ns/activitystreams#name"
            | "https://www.w3.org/ns/activitystreams#summary"
    )
}

fn canonicalize_in(value: Value, placeholders: &mut Placeholders, text: bool) -> Value {
    fn canonical_string(value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(canonical_iri(&s).into_owned()),
            other => other,
        }
    }
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| canonicalize_in(v, placeholders, text))
                .collect(),
        ),
        Value::Object(object) => {
            let mut out = Map::with_capacity(object.len());
            for (key, value) in object {
                let value = match key.as_str() {
                    "@type" => match value {
                        Value::Array(items) => {
                            Value::Array(items.into_iter().map(canonical_string).collect())
                        }
                        other => canonical_string(other),
                    },
                    "@id" => match value {
                        Value::String(s) => Value::String(placeholders.protect(s)),
                        other => other,
                    },
                    // `und` is "no language" (Pleroma makes it the default
                    // language of every string).
                    "@language" if !text || value.as_str() == Some("und") => continue,
                    "@value" | "@language" | "@direction" | "@index" => value,
                    _ if key.starts_with('@') => canonicalize_in(value, placeholders, false),
                    _ => value,
                };
                if key.starts_with('@') {
                    out.insert(key, value);
                    continue;
                }
                let key = if let Some(iri) = key.strip_prefix("_:").and_then(standard_term_iri) {
                    // A term no context defines, named like a standard term:
                    // read it by its name, as plain-JSON readers do.
                    iri.to_owned()
                } else {
                    canonical_iri(&key).into_owned()
                };
                let value = canonicalize_in(value, placeholders, is_text_property(&key));
                let value = match standard_coercion(&key) {
                    Some(coercion) => coerce(value, coercion, placeholders),
                    None => value,
                };
                match out.get_mut(&key) {
                    Some(Value::Array(existing)) => match value {
                        Value::Array(more) => existing.extend(more),
                        other => existing.push(other),
                    },
                    _ => {
                        out.insert(key, value);
                    }
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// Gives untyped literals of a property the type its standard term expects,
/// the way a plain-JSON reader would read them: a string under an IRI-valued
/// property becomes an IRI, a literal under a date property becomes a date.
/// Without this, the compactor could not use the standard term for values
/// that arrived through an alias without type coercion.
fn coerce(value: Value, coercion: &Coercion, placeholders: &mut Placeholders) -> Value {
    let Value::Array(items) = value else {
        return value;
    };
    Value::Array(
        items
            .into_iter()
            .map(|item| {
                let Value::Object(mut object) = item else {
                    return item;
                };
                let plain = object.len() == 1 && object.contains_key("@value");
                if !plain {
                    return Value::Object(object);
                }
                match (coercion, object.remove("@value")) {
                    (Coercion::Id, Some(Value::String(s))) if s.contains(':') => {
                        let mut node = Map::new();
                        node.insert("@id".into(), Value::String(placeholders.protect(s)));
                        Value::Object(node)
                    }
                    (
                        Coercion::Datatype(datatype),
                        Some(literal @ (Value::String(_) | Value::Number(_))),
                    ) => {
                        object.insert("@value".into(), literal);
                        object.insert("@type".into(), Value::String(datatype.clone()));
                        Value::Object(object)
                    }
                    (_, Some(literal)) => {
                        object.insert("@value".into(), literal);
                        Value::Object(object)
                    }
                    (_, None) => Value::Object(object),
                }
            })
            .collect(),
    )
}

/// Puts the standard context first, restores protected IRIs and writes
/// bare references (`{"id": "…"}`) as plain IRIs, as ActivityPub servers do.
fn finish(compacted: Value, placeholders: &Placeholders) -> Value {
    fn restore(value: Value, placeholders: &Placeholders) -> Value {
        match value {
            Value::String(s) => match placeholders.restore(&s) {
                Some(original) => Value::String(original.to_owned()),
                None => Value::String(s),
            },
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| restore(v, placeholders))
                    .collect(),
            ),
            Value::Object(object) => {
                if object.len() == 1 {
                    if let Some(Value::String(id)) = object.get("id") {
                        return restore(Value::String(id.clone()), placeholders);
                    }
                }
                Value::Object(
                    object
                        .into_iter()
                        .map(|(k, v)| (k, restore(v, placeholders)))
                        .collect(),
                )
            }
            other => other,
        }
    }
    let compacted = match compacted {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(k, v)| {
                    if k == "@context" {
                        (k, v)
                    } else {
                        (k, restore(v, placeholders))
                    }
                })
                .collect(),
        ),
        other => restore(other, placeholders),
    };
    let Value::Object(object) = compacted else {
        return compacted;
    };
    let mut out = Map::with_capacity(object.len() + 1);
    out.insert("@context".into(), contexts::standard_context().clone());
    for (key, value) in object {
        if key != "@context" {
            out.insert(key, value);
        }
    }
    Value::Object(out)
}

fn depth(value: &Value, current: usize) -> usize {
    if current > MAX_DEPTH {
        return current;
    }
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| depth(v, current + 1))
            .max()
            .unwrap_or(current + 1),
        Value::Object(object) => object
            .values()
            .map(|v| depth(v, current + 1))
            .max()
            .unwrap_or(current + 1),
        _ => current,
    }
}

// ---------------------------------------------------------------------------
// The loader.
// ---------------------------------------------------------------------------

/// Serves the bundled contexts; never touches the network.
#[derive(Default)]
struct BundledLoader {
    unknown: RefCell<Vec<String>>,
}

impl Loader for BundledLoader {
    async fn load(
        &self,
        url: &json_ld::Iri,
    ) -> Result<RemoteDocument<json_ld::IriBuf>, json_ld::LoadError> {
        let document = match contexts::lookup_index(url.as_str()) {
            Some(index) => syntax_document(index),
            None => {
                tracing::warn!(
                    context = url.as_str(),
                    "JSON-LD context not bundled; treated as empty (never fetched)"
                );
                self.unknown.borrow_mut().push(url.as_str().to_owned());
                empty_context()
            }
        };
        Ok(RemoteDocument::new(Some(url.to_owned()), None, document))
    }
}

/// The bundled context as `json_syntax`, converted once.
fn syntax_document(index: usize) -> json_syntax::Value {
    static DOCS: OnceLock<Vec<json_syntax::Value>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        contexts::BUNDLED
            .iter()
            .map(|b| json_syntax::Value::from_serde_json(b.document().clone()))
            .collect()
    });
    docs.get(index).cloned().unwrap_or_else(empty_context)
}

fn empty_context() -> json_syntax::Value {
    let mut object = json_syntax::Object::new();
    object.insert(
        "@context".into(),
        json_syntax::Value::Object(json_syntax::Object::new()),
    );
    json_syntax::Value::Object(object)
}
