//! The fast path: deciding, without any JSON-LD processing, whether a
//! document can be read by its plain JSON keys.

use super::contexts::{self, TermDef};
use serde_json::{Map, Value};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a: the tables are keyed by short trusted strings (terms and IRIs
/// from our own tables), so a fast non-keyed hash is fine here.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fnv>>;

/// How deep [`classify`] walks into a document. Deeper parts are not looked
/// at (the vocabulary's own depth limit rejects such documents anyway).
const MAX_WALK_DEPTH: usize = 32;

/// The verdict of [`classify`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// Every key used means what the standard (Mastodon-style) context says
    /// it means: read the document with plain serde.
    Standard,
    /// The plain keys cannot be trusted; run [`normalize`](super::normalize)
    /// first.
    NeedsNormalization(Reason),
}

impl Classification {
    /// Whether the document must go through [`normalize`](super::normalize).
    pub fn needs_normalization(&self) -> bool {
        matches!(self, Self::NeedsNormalization(_))
    }

    /// The reason normalization is needed, if it is.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Self::Standard => None,
            Self::NeedsNormalization(reason) => Some(reason),
        }
    }
}

/// Why a document needs normalization.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The document is in expanded form: a top-level array, or keys that are
    /// JSON-LD keywords (`@id`, `@type`, `@value` …) instead of terms.
    ExpandedForm {
        /// The first keyword key found (`"[array]"` for a top-level array).
        key: String,
    },
    /// A key is a compact or absolute IRI (`as:sensitive`,
    /// `https://www.w3.org/ns/activitystreams#name`) for a standard term.
    IriKey {
        /// The key.
        key: String,
    },
    /// A `type` value is a compact or absolute IRI (`as:Note`) for a
    /// standard type.
    IriType {
        /// The type value.
        value: String,
    },
    /// An inline context gives a standard term another meaning (another IRI,
    /// another container, or removes it).
    RedefinedTerm {
        /// The term.
        term: String,
    },
    /// An inline context gives a standard meaning a new name (for example
    /// `"body": "as:content"`).
    AliasedTerm {
        /// The new name.
        term: String,
        /// The standard term it stands for.
        standard: String,
    },
    /// An inline context makes a term other than `id`/`type` an alias of a
    /// JSON-LD keyword (for example `"identifier": "@id"`).
    KeywordAlias {
        /// The term.
        term: String,
    },
    /// An inline context sets `@vocab`, which gives undefined keys a meaning.
    VocabMapping,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ExpandedForm { key } => write!(f, "expanded form ({key})"),
            Self::IriKey { key } => write!(f, "IRI used as key ({key})"),
            Self::IriType { value } => write!(f, "IRI used as type ({value})"),
            Self::RedefinedTerm { term } => write!(f, "context redefines `{term}`"),
            Self::AliasedTerm { term, standard } => {
                write!(f, "context aliases `{standard}` as `{term}`")
            }
            Self::KeywordAlias { term } => write!(f, "context aliases a keyword as `{term}`"),
            Self::VocabMapping => f.write_str("context sets @vocab"),
        }
    }
}

/// What the standard context says about one term.
#[derive(Debug)]
struct Meaning {
    /// The term's expanded IRI, in canonical spelling.
    iri: String,
    /// The container, without `@set` / `@list` (which do not change keys).
    container: Option<&'static str>,
}

/// Tables derived from the standard context, built once.
#[derive(Debug)]
struct Standard {
    /// Standard term → meaning.
    terms: HashMap<&'static str, Meaning>,
    /// Canonical IRI → the standard term for it.
    by_iri: HashMap<String, &'static str>,
    /// Prefix → namespace, for expanding compact IRIs.
    prefixes: HashMap<&'static str, &'static str>,
    /// Canonical property IRI → the value coercion of its standard term.
    coercions: HashMap<String, Coercion>,
}

/// How the standard context coerces a property's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Coercion {
    /// Values are IRIs (`"@type": "@id"`).
    Id,
    /// Values are literals of this datatype (an absolute IRI).
    Datatype(String),
}

/// Security v1 terms ActivityPub documents rely on. The rest of security v1
/// (`expires`, `created`, `nonce` …) is often redefined by vendor contexts
/// and is not read by the vocabulary, so redefinitions of it are tolerated.
const SECURITY_TERMS_READ: &[&str] = &["publicKey", "publicKeyPem", "owner", "signatureValue"];

fn standard() -> &'static Standard {
    static STANDARD: OnceLock<Standard> = OnceLock::new();
    STANDARD.get_or_init(|| {
        let mut prefixes: HashMap<&'static str, &'static str> = HashMap::default();
        let all = contexts::ACTIVITYSTREAMS
            .iter()
            .chain(contexts::SECURITY_V1.iter())
            .chain(contexts::STANDARD_EXTENSIONS.iter());
        for def in all.clone() {
            if is_prefix_definition(def) {
                prefixes.insert(def.term, def.iri);
            }
        }
        let mut terms = HashMap::default();
        let mut by_iri = HashMap::default();
        let read = contexts::ACTIVITYSTREAMS
            .iter()
            .chain(
                contexts::SECURITY_V1
                    .iter()
                    .filter(|d| SECURITY_TERMS_READ.contains(&d.term)),
            )
            .chain(contexts::STANDARD_EXTENSIONS.iter());
        for def in read {
            if def.term.starts_with('@') || def.iri.starts_with('@') || is_prefix_definition(def) {
                continue;
            }
            let mut buffer = String::new();
            if !expand_into(&mut buffer, def.iri, &prefixes, &[]) {
                continue;
            }
            let iri = canonical_iri(&buffer).into_owned();
            // Language maps (`contentMap`) are alternative spellings of the
            // plain term; the plain term names the IRI.
            if def.container != Some("@language") && def.term != "orderedItems" {
                by_iri.entry(iri.clone()).or_insert(def.term);
            }
            terms.insert(
                def.term,
                Meaning {
                    iri,
                    container: significant_container(def.container),
                },
            );
        }
        let mut coercions = HashMap::default();
        let typed = contexts::ACTIVITYSTREAMS
            .iter()
            .chain(contexts::SECURITY_V1.iter())
            .chain(contexts::STANDARD_EXTENSIONS.iter())
            .filter(|d| d.container.is_none());
        for def in typed {
            let Some(ty) = def.ty else { continue };
            let mut buffer = String::new();
            if !expand_into(&mut buffer, def.iri, &prefixes, &[]) {
                continue;
            }
            let iri = canonical_iri(&buffer).into_owned();
            let coercion = match ty {
                "@id" => Coercion::Id,
                "@vocab" => continue,
                datatype => {
                    let mut expanded = String::new();
                    if !expand_into(&mut expanded, datatype, &prefixes, &[]) {
                        continue;
                    }
                    Coercion::Datatype(expanded)
                }
            };
            coercions.entry(iri).or_insert(coercion);
        }
        Standard {
            terms,
            by_iri,
            prefixes,
            coercions,
        }
    })
}

/// The standard context's value coercion for a (canonical) property IRI.
pub(crate) fn standard_coercion(property: &str) -> Option<&'static Coercion> {
    standard().coercions.get(property)
}

/// The IRI of a standard term whose values need no container, if `term` is
/// one.
pub(crate) fn standard_term_iri(term: &str) -> Option<&'static str> {
    standard()
        .terms
        .get(term)
        .filter(|m| m.container.is_none())
        .map(|m| m.iri.as_str())
}

/// Whether an IRI lies in a namespace the standard context has a prefix for
/// (the compactor would shorten it to `prefix:suffix`).
/// Reads `prefix:rest` as a compact IRI of the standard context when `prefix`
/// is one of its namespace prefixes (`toot:discoverable` →
/// `http://joinmastodon.org/ns#discoverable`). Normalized output carries the
/// standard context, so such a string could only ever be read that way again:
/// expanding it here keeps `normalize` idempotent.
pub(crate) fn expand_standard_prefix(iri: &str) -> Option<String> {
    let (prefix, rest) = iri.split_once(':')?;
    if rest.starts_with("//") {
        return None;
    }
    let namespace = standard().prefixes.get(prefix)?;
    Some(format!("{namespace}{rest}"))
}

pub(crate) fn in_standard_namespace(iri: &str) -> bool {
    standard()
        .prefixes
        .values()
        .any(|namespace| iri.len() > namespace.len() && iri.starts_with(namespace))
}

/// Whether a definition is a namespace prefix (`"toot": "http://…#"`).
fn is_prefix_definition(def: &TermDef) -> bool {
    def.ty.is_none()
        && def.container.is_none()
        && (def.iri.ends_with('#') || def.iri.ends_with('/'))
        && def.iri.contains("://")
}

/// Containers that change the JSON shape of a value.
fn significant_container(container: Option<&'static str>) -> Option<&'static str> {
    match container {
        Some("@set") | Some("@list") | None => None,
        other => other,
    }
}

/// Rewrites well-known alternative spellings of a namespace to the one the
/// standard context uses (`http://schema.org/` → `http://schema.org#`, the
/// old Misskey namespace → misskey-hub.net, `http:` ActivityStreams →
/// `https:`).
pub(crate) fn canonical_iri(iri: &str) -> std::borrow::Cow<'_, str> {
    const ALTERNATIVES: &[(&str, &str)] = &[
        ("http://schema.org/", "http://schema.org#"),
        ("https://schema.org/", "http://schema.org#"),
        ("https://schema.org#", "http://schema.org#"),
        ("https://misskey.io/ns#", "https://misskey-hub.net/ns#"),
        (
            "http://www.w3.org/ns/activitystreams#",
            "https://www.w3.org/ns/activitystreams#",
        ),
        (
            "https://joinmastodon.org/ns#",
            "http://joinmastodon.org/ns#",
        ),
        ("http://w3id.org/security#", "https://w3id.org/security#"),
    ];
    for (from, to) in ALTERNATIVES {
        if let Some(rest) = iri.strip_prefix(from) {
            return std::borrow::Cow::Owned(format!("{to}{rest}"));
        }
    }
    std::borrow::Cow::Borrowed(iri)
}

/// Classifies a document: can its plain keys be trusted?
///
/// This never runs JSON-LD processing. It follows every `@context` in the
/// document (top level and embedded, in order, bundled remote contexts by
/// their tables) and records which terms end up meaning something other than
/// in the standard context; then it looks at the keys actually used (walking
/// into the values of standard properties only) and at IRI-shaped `type`
/// values. A redefinition matters only when the document uses that key.
/// Unknown remote contexts are assumed to add terms, not to redefine standard
/// ones (they are never fetched).
pub fn classify(doc: &Value) -> Classification {
    let standard = standard();
    match doc {
        Value::Array(_) => Classification::NeedsNormalization(Reason::ExpandedForm {
            key: "[array]".into(),
        }),
        Value::Object(object) => {
            let mut walker = Walker {
                standard,
                prefixes: Vec::new(),
                deviations: Vec::new(),
                buffer: String::new(),
            };
            match walker.object(object, 0) {
                Some(reason) => Classification::NeedsNormalization(reason),
                None => Classification::Standard,
            }
        }
        _ => Classification::Standard,
    }
}

/// A term whose effective meaning differs from the standard one.
#[derive(Debug, Clone)]
struct Deviation<'a> {
    term: &'a str,
    reason: Reason,
}

/// The deviations a bundled context introduces and the terms it restores.
#[derive(Debug, Default)]
struct BundledEffect {
    /// Every term the context defines, with `Some(reason)` when the
    /// definition deviates from the standard meaning.
    definitions: Vec<(&'static str, Option<Reason>)>,
}

fn bundled_effects() -> &'static [BundledEffect] {
    static EFFECTS: OnceLock<Vec<BundledEffect>> = OnceLock::new();
    EFFECTS.get_or_init(|| {
        let standard = standard();
        contexts::BUNDLED
            .iter()
            .map(|bundled| {
                let local: Vec<(&str, &str)> = bundled
                    .terms
                    .iter()
                    .filter(|d| is_prefix_definition(d))
                    .map(|d| (d.term, d.iri))
                    .collect();
                let mut buffer = String::new();
                let definitions = bundled
                    .terms
                    .iter()
                    .filter(|d| !d.term.starts_with('@') || d.term == "@vocab")
                    .map(|d| {
                        let verdict = judge(
                            standard,
                            &local,
                            &mut buffer,
                            d.term,
                            Definition {
                                iri: Some(d.iri),
                                container: significant_container(d.container),
                                reverse: false,
                            },
                        );
                        (d.term, verdict)
                    })
                    .collect();
                BundledEffect { definitions }
            })
            .collect()
    })
}

/// The parts of a term definition that decide its meaning.
#[derive(Debug, Clone, Copy)]
struct Definition<'a> {
    iri: Option<&'a str>,
    container: Option<&'static str>,
    reverse: bool,
}

/// Decides whether one term definition deviates from the standard context.
fn judge(
    standard: &Standard,
    local: &[(&str, &str)],
    buffer: &mut String,
    term: &str,
    definition: Definition<'_>,
) -> Option<Reason> {
    if term == "@vocab" {
        return match definition.iri {
            Some("_:") | None => None,
            Some(_) => Some(Reason::VocabMapping),
        };
    }
    if let Some(keyword) = definition.iri.filter(|i| i.starts_with('@')) {
        let allowed = (term == "id" && keyword == "@id") || (term == "type" && keyword == "@type");
        return (!allowed).then(|| Reason::KeywordAlias { term: term.into() });
    }
    let expanded = match definition.iri {
        Some(iri) if !definition.reverse => {
            expand_into(buffer, iri, &standard.prefixes, local).then(|| canonical_iri(buffer))
        }
        _ => None,
    };
    match standard.terms.get(term) {
        Some(meaning) => {
            let same_iri = expanded
                .as_deref()
                .is_some_and(|e| e == meaning.iri.as_str());
            let same_container = definition.container == meaning.container;
            (!(same_iri && same_container)).then(|| Reason::RedefinedTerm { term: term.into() })
        }
        None => {
            // A prefix or a vendor term: fine unless it is a new name for a
            // standard meaning.
            let named = standard.by_iri.get(expanded?.as_ref())?;
            Some(Reason::AliasedTerm {
                term: term.into(),
                standard: (*named).into(),
            })
        }
    }
}

/// Expands a compact IRI into `buffer` (the document's own prefixes first,
/// then the standard ones). Returns `false` for something that is not an IRI.
fn expand_into(
    buffer: &mut String,
    value: &str,
    standard_prefixes: &HashMap<&'static str, &'static str>,
    local: &[(&str, &str)],
) -> bool {
    buffer.clear();
    let Some((prefix, suffix)) = value.split_once(':') else {
        return false;
    };
    if suffix.starts_with("//") || prefix == "_" {
        buffer.push_str(value);
        return true;
    }
    let namespace = local
        .iter()
        .rev()
        .find(|(p, _)| *p == prefix)
        .map(|(_, n)| *n)
        .or_else(|| standard_prefixes.get(prefix).copied());
    match namespace {
        Some(namespace) => {
            buffer.push_str(namespace);
            buffer.push_str(suffix);
        }
        // An absolute IRI with another scheme (`urn:`, `did:` …).
        None => buffer.push_str(value),
    }
    true
}

struct Walker<'a> {
    standard: &'a Standard,
    /// Prefixes defined by the inline contexts seen so far.
    prefixes: Vec<(&'a str, &'a str)>,
    /// Terms whose effective meaning is not the standard one.
    deviations: Vec<Deviation<'a>>,
    /// Scratch space for IRI expansion.
    buffer: String,
}

impl<'a> Walker<'a> {
    fn object(&mut self, object: &'a Map<String, Value>, depth: usize) -> Option<Reason> {
        if depth > MAX_WALK_DEPTH {
            return None;
        }
        let Some(context) = object.get("@context") else {
            return self.entries(object, depth);
        };
        // An embedded context applies to this object and what it contains.
        let saved = (self.prefixes.len(), self.deviations.clone());
        self.context(context, 0);
        let result = match self.deviations.iter().find(|d| d.term == "@vocab") {
            Some(vocab) => Some(vocab.reason.clone()),
            None => self.entries(object, depth),
        };
        self.prefixes.truncate(saved.0);
        self.deviations = saved.1;
        result
    }

    fn deviation(&self, key: &str) -> Option<Reason> {
        if self.deviations.is_empty() {
            return None;
        }
        self.deviations
            .iter()
            .find(|d| d.term == key)
            .map(|d| d.reason.clone())
    }

    fn entries(&mut self, object: &'a Map<String, Value>, depth: usize) -> Option<Reason> {
        for (key, value) in object {
            if let Some(keyword) = key.strip_prefix('@') {
                if keyword == "context" {
                    continue;
                }
                return Some(Reason::ExpandedForm { key: key.clone() });
            }
            if let Some(reason) = self.deviation(key) {
                return Some(reason);
            }
            if key.contains(':') {
                if self.names_standard(key) {
                    return Some(Reason::IriKey { key: key.clone() });
                }
                continue;
            }
            if key == "type" {
                if let Some(reason) = self.type_value(value) {
                    return Some(reason);
                }
                continue;
            }
            if (value.is_object() || value.is_array())
                && self.standard.terms.contains_key(key.as_str())
            {
                if let Some(reason) = self.value(value, depth + 1) {
                    return Some(reason);
                }
            }
        }
        None
    }

    fn value(&mut self, value: &'a Value, depth: usize) -> Option<Reason> {
        match value {
            Value::Object(object) => self.object(object, depth),
            Value::Array(items) => {
                for item in items {
                    if let Some(reason) = self.value(item, depth + 1) {
                        return Some(reason);
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn type_value(&mut self, value: &Value) -> Option<Reason> {
        let items: &[Value] = match value {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        };
        for item in items {
            let Some(s) = item.as_str() else { continue };
            if let Some(reason) = self.deviation(s) {
                return Some(reason);
            }
            if s.contains(':') && self.names_standard(s) {
                return Some(Reason::IriType {
                    value: s.to_owned(),
                });
            }
        }
        None
    }

    /// Whether an IRI-shaped key or type names a standard term.
    fn names_standard(&mut self, iri: &str) -> bool {
        if !expand_into(
            &mut self.buffer,
            iri,
            &self.standard.prefixes,
            &self.prefixes,
        ) {
            return false;
        }
        self.standard
            .by_iri
            .contains_key(canonical_iri(&self.buffer).as_ref())
    }

    /// Applies one `@context` value, in order.
    fn context(&mut self, context: &'a Value, nesting: usize) {
        match context {
            Value::Array(items) => items.iter().for_each(|c| self.context(c, nesting)),
            Value::String(url) => {
                if let Some(index) = contexts::lookup_index(url) {
                    self.bundled(index, nesting);
                }
            }
            Value::Object(object) => {
                for (term, value) in object {
                    if let Value::String(iri) = value {
                        if !term.starts_with('@')
                            && (iri.ends_with('#') || iri.ends_with('/'))
                            && iri.contains("://")
                        {
                            self.prefixes.push((term.as_str(), iri.as_str()));
                        }
                    }
                }
                for (term, value) in object {
                    if term.starts_with('@') && term != "@vocab" {
                        continue;
                    }
                    if !super::normalize::valid_definition(term, value) {
                        // Not JSON-LD; normalization ignores it too.
                        continue;
                    }
                    let definition = match value {
                        Value::String(iri) => Definition {
                            iri: Some(iri.as_str()),
                            container: None,
                            reverse: false,
                        },
                        Value::Object(definition) => Definition {
                            iri: definition.get("@id").and_then(Value::as_str),
                            container: container_of(definition.get("@container")),
                            reverse: definition.contains_key("@reverse"),
                        },
                        _ => Definition {
                            iri: None,
                            container: None,
                            reverse: false,
                        },
                    };
                    let verdict = judge(
                        self.standard,
                        &self.prefixes,
                        &mut self.buffer,
                        term,
                        definition,
                    );
                    self.set(term, verdict);
                }
            }
            // `null` resets the context; nothing standard is redefined by it.
            _ => {}
        }
    }

    fn bundled(&mut self, index: usize, nesting: usize) {
        let Some(bundled) = contexts::BUNDLED.get(index) else {
            return;
        };
        if nesting < 4 {
            for import in bundled.imports {
                if let Some(i) = contexts::lookup_index(import) {
                    self.bundled(i, nesting + 1);
                }
            }
        }
        let Some(effect) = bundled_effects().get(index) else {
            return;
        };
        for (term, verdict) in &effect.definitions {
            if verdict.is_some() || !self.deviations.is_empty() {
                self.set(term, verdict.clone());
            }
        }
    }

    fn set(&mut self, term: &'a str, verdict: Option<Reason>) {
        if !self.deviations.is_empty() {
            self.deviations.retain(|d| d.term != term);
        }
        if let Some(reason) = verdict {
            self.deviations.push(Deviation { term, reason });
        }
    }
}

/// The significant container of a definition's `@container` value.
fn container_of(container: Option<&Value>) -> Option<&'static str> {
    let pick = |s: &str| -> Option<&'static str> {
        match s {
            "@language" => Some("@language"),
            "@index" => Some("@index"),
            "@id" => Some("@id"),
            "@type" => Some("@type"),
            "@graph" => Some("@graph"),
            _ => None,
        }
    };
    match container? {
        Value::String(s) => pick(s),
        Value::Array(items) => items.iter().filter_map(Value::as_str).find_map(pick),
        _ => None,
    }
}

/// Whether the document must go through [`normalize`](super::normalize):
/// shorthand for `classify(doc).needs_normalization()`.
pub fn needs_normalization(doc: &Value) -> bool {
    classify(doc).needs_normalization()
}
