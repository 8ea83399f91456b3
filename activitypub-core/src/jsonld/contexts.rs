//! Contexts bundled in the crate.
//!
//! Every context the normalizer may need is written here as a table of term
//! definitions (term → IRI, with `@type` / `@container` where the published
//! context has them). The JSON context documents are built from these tables
//! on first use and kept for the life of the process; nothing is ever fetched.

use serde_json::{Map, Value};
use std::sync::OnceLock;

/// One term definition of a bundled context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermDef {
    /// The term (or keyword such as `@vocab`).
    pub(crate) term: &'static str,
    /// The IRI, compact IRI or keyword the term maps to.
    pub(crate) iri: &'static str,
    /// `@type` coercion, if any.
    pub(crate) ty: Option<&'static str>,
    /// `@container`, if any.
    pub(crate) container: Option<&'static str>,
    /// A scoped context (`@context` inside the definition), empty if none.
    pub(crate) scoped: &'static [TermDef],
}

/// A plain term: `"term": "iri"`.
const fn t(term: &'static str, iri: &'static str) -> TermDef {
    TermDef {
        term,
        iri,
        ty: None,
        container: None,
        scoped: &[],
    }
}

/// A term whose values are IRIs: `{"@id": iri, "@type": "@id"}`.
const fn id(term: &'static str, iri: &'static str) -> TermDef {
    TermDef {
        term,
        iri,
        ty: Some("@id"),
        container: None,
        scoped: &[],
    }
}

/// A term with a datatype: `{"@id": iri, "@type": ty}`.
const fn typed(term: &'static str, iri: &'static str, ty: &'static str) -> TermDef {
    TermDef {
        term,
        iri,
        ty: Some(ty),
        container: None,
        scoped: &[],
    }
}

/// A language map: `{"@id": iri, "@container": "@language"}`.
const fn lang(term: &'static str, iri: &'static str) -> TermDef {
    TermDef {
        term,
        iri,
        ty: None,
        container: Some("@language"),
        scoped: &[],
    }
}

/// A term with a container: `{"@id": iri, "@type": ty, "@container": container}`.
const fn contained(
    term: &'static str,
    iri: &'static str,
    ty: Option<&'static str>,
    container: &'static str,
) -> TermDef {
    TermDef {
        term,
        iri,
        ty,
        container: Some(container),
        scoped: &[],
    }
}

/// A term with a scoped context.
const fn scoped(
    term: &'static str,
    iri: &'static str,
    ty: Option<&'static str>,
    container: Option<&'static str>,
    scoped: &'static [TermDef],
) -> TermDef {
    TermDef {
        term,
        iri,
        ty,
        container,
        scoped,
    }
}

/// A context document bundled in the crate.
#[derive(Debug)]
pub(crate) struct Bundled {
    /// Short name, for diagnostics.
    pub(crate) name: &'static str,
    /// The URLs it is published at (the canonical one first).
    pub(crate) urls: &'static [&'static str],
    /// Remote contexts the published document lists before its own terms.
    pub(crate) imports: &'static [&'static str],
    /// Whether the published context sets `"@protected": true`.
    pub(crate) protected: bool,
    /// The term definitions.
    pub(crate) terms: &'static [TermDef],
}

/// The ActivityStreams 2.0 context URL.
pub(crate) const AS_URL: &str = "https://www.w3.org/ns/activitystreams";
/// The security v1 context URL.
pub(crate) const SECURITY_V1_URL: &str = "https://w3id.org/security/v1";
/// The URL the loader serves the standard output context at. It never leaves
/// the process: the output carries [`standard_context`] inline instead.
pub(crate) const STANDARD_URL: &str = "https://woolly.invalid/ns/standard-context";

/// Every bundled context. The order is the lookup order.
pub(crate) static BUNDLED: &[Bundled] = &[
    Bundled {
        name: "activitystreams",
        urls: &[
            AS_URL,
            "http://www.w3.org/ns/activitystreams",
            "https://www.w3.org/ns/activitystreams.jsonld",
        ],
        imports: &[],
        protected: false,
        terms: ACTIVITYSTREAMS,
    },
    Bundled {
        name: "security-v1",
        urls: &[
            SECURITY_V1_URL,
            "http://w3id.org/security/v1",
            "https://w3c-ccg.github.io/security-vocab/contexts/security-v1.jsonld",
        ],
        imports: &[],
        protected: false,
        terms: SECURITY_V1,
    },
    Bundled {
        name: "security-multikey-v1",
        urls: &["https://w3id.org/security/multikey/v1"],
        imports: &[],
        protected: true,
        terms: MULTIKEY_V1,
    },
    Bundled {
        name: "security-data-integrity-v1",
        urls: &["https://w3id.org/security/data-integrity/v1"],
        imports: &[],
        protected: true,
        terms: DATA_INTEGRITY_V1,
    },
    Bundled {
        name: "security-data-integrity-v2",
        urls: &["https://w3id.org/security/data-integrity/v2"],
        imports: &[],
        protected: true,
        terms: DATA_INTEGRITY_V2,
    },
    Bundled {
        name: "did-v1",
        urls: &["https://www.w3.org/ns/did/v1"],
        imports: &[],
        protected: true,
        terms: DID_V1,
    },
    Bundled {
        name: "identity-v1",
        urls: &["https://w3id.org/identity/v1"],
        imports: &[],
        protected: false,
        terms: IDENTITY_V1,
    },
    Bundled {
        name: "litepub-0.1",
        urls: &[
            "https://litepub.social/litepub/context.jsonld",
            "http://litepub.social/litepub/context.jsonld",
        ],
        imports: &[
            AS_URL,
            SECURITY_V1_URL,
            "https://purl.archive.org/socialweb/webfinger",
        ],
        protected: false,
        terms: LITEPUB,
    },
    Bundled {
        name: "mastodon",
        urls: &["http://joinmastodon.org/ns", "https://joinmastodon.org/ns"],
        imports: &[],
        protected: false,
        terms: MASTODON_NS,
    },
    Bundled {
        name: "gotosocial",
        urls: &["https://gotosocial.org/ns"],
        imports: &[],
        protected: false,
        terms: GOTOSOCIAL,
    },
    Bundled {
        name: "lemmy",
        urls: &["https://join-lemmy.org/context.json"],
        imports: &[SECURITY_V1_URL],
        protected: false,
        terms: LEMMY,
    },
    Bundled {
        name: "miscellany",
        urls: &["https://purl.archive.org/miscellany"],
        imports: &[],
        protected: false,
        terms: MISCELLANY,
    },
    Bundled {
        name: "webfinger",
        urls: &["https://purl.archive.org/socialweb/webfinger"],
        imports: &[],
        protected: false,
        terms: WEBFINGER,
    },
    Bundled {
        name: "schema.org",
        urls: &[
            "https://schema.org",
            "http://schema.org",
            "https://schema.org/docs/jsonldcontext.jsonld",
        ],
        imports: &[],
        protected: false,
        terms: SCHEMA_ORG,
    },
    Bundled {
        name: "standard",
        urls: &[STANDARD_URL],
        imports: &[AS_URL, SECURITY_V1_URL],
        protected: false,
        terms: STANDARD_EXTENSIONS,
    },
];

/// Finds the bundled context published at `url`.
///
/// Matching ignores a trailing `#` or `/`, and every Pleroma/Akkoma instance's
/// own copy of the LitePub context (`https://<host>/schemas/litepub-0.1.jsonld`)
/// maps to the bundled LitePub context. Returns the index into [`BUNDLED`].
pub(crate) fn lookup_index(url: &str) -> Option<usize> {
    let trimmed = url.trim_end_matches(['#', '/']);
    if let Some(found) = BUNDLED
        .iter()
        .position(|b| b.urls.iter().any(|u| u.eq_ignore_ascii_case(trimmed)))
    {
        return Some(found);
    }
    if trimmed.ends_with("/schemas/litepub-0.1.jsonld")
        && (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
    {
        return BUNDLED.iter().position(|b| b.name == "litepub-0.1");
    }
    None
}

impl Bundled {
    /// The JSON-LD document (`{"@context": …}`) built from the table.
    pub(crate) fn document(&'static self) -> &'static Value {
        static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
        let docs = DOCS.get_or_init(|| BUNDLED.iter().map(Bundled::build).collect());
        let index = BUNDLED
            .iter()
            .position(|b| std::ptr::eq(b, self))
            .unwrap_or_default();
        &docs[index]
    }

    fn build(&self) -> Value {
        let mut object = terms_object(self.terms, self.protected);
        if self.protected {
            object.insert("@protected".into(), Value::Bool(true));
        }
        let context = if self.imports.is_empty() {
            Value::Object(object)
        } else {
            let mut list: Vec<Value> = self
                .imports
                .iter()
                .map(|u| Value::String((*u).into()))
                .collect();
            list.push(Value::Object(object));
            Value::Array(list)
        };
        let mut doc = Map::new();
        doc.insert("@context".into(), context);
        Value::Object(doc)
    }
}

fn terms_object(terms: &[TermDef], protected: bool) -> Map<String, Value> {
    let mut object = Map::new();
    for def in terms {
        let value = if def.ty.is_none() && def.container.is_none() && def.scoped.is_empty() {
            Value::String(def.iri.into())
        } else {
            let mut expanded = Map::new();
            expanded.insert("@id".into(), Value::String(def.iri.into()));
            if let Some(ty) = def.ty {
                expanded.insert("@type".into(), Value::String(ty.into()));
            }
            if let Some(container) = def.container {
                expanded.insert("@container".into(), Value::String(container.into()));
            }
            if !def.scoped.is_empty() {
                let mut inner = terms_object(def.scoped, protected);
                if protected {
                    inner.insert("@protected".into(), Value::Bool(true));
                }
                expanded.insert("@context".into(), Value::Object(inner));
            }
            Value::Object(expanded)
        };
        object.insert(def.term.into(), value);
    }
    object
}

/// The `@context` of every normalized document: ActivityStreams, security v1
/// and one inline object with the Mastodon (`toot:`), schema.org
/// `PropertyValue`, LitePub, Misskey, quote-post, interaction-policy and
/// Multikey / Data Integrity terms, in the shape Mastodon writes it.
pub fn standard_context() -> &'static Value {
    static CONTEXT: OnceLock<Value> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        Value::Array(vec![
            Value::String(AS_URL.into()),
            Value::String(SECURITY_V1_URL.into()),
            Value::Object(terms_object(STANDARD_EXTENSIONS, false)),
        ])
    })
}

// ---------------------------------------------------------------------------
// Term tables. Term definitions are facts about each vocabulary; the tables
// are written in this crate's own format.
// ---------------------------------------------------------------------------

/// The terms Woolly's output context adds to ActivityStreams and security v1.
pub(crate) const STANDARD_EXTENSIONS: &[TermDef] = &[
    // prefixes
    t("toot", "http://joinmastodon.org/ns#"),
    t("schema", "http://schema.org#"),
    t("ostatus", "http://ostatus.org#"),
    t("litepub", "http://litepub.social/ns#"),
    t("misskey", "https://misskey-hub.net/ns#"),
    t("fedibird", "http://fedibird.com/ns#"),
    t("gts", "https://gotosocial.org/ns#"),
    // ActivityStreams extensions in the as: namespace
    t("manuallyApprovesFollowers", "as:manuallyApprovesFollowers"),
    t("sensitive", "as:sensitive"),
    t("Hashtag", "as:Hashtag"),
    id("movedTo", "as:movedTo"),
    t("quoteUrl", "as:quoteUrl"),
    // Mastodon
    t("Emoji", "toot:Emoji"),
    id("featured", "toot:featured"),
    id("featuredTags", "toot:featuredTags"),
    contained("focalPoint", "toot:focalPoint", None, "@list"),
    t("blurhash", "toot:blurhash"),
    t("discoverable", "toot:discoverable"),
    t("indexable", "toot:indexable"),
    t("memorial", "toot:memorial"),
    t("votersCount", "toot:votersCount"),
    t("suspended", "toot:suspended"),
    id("attributionDomains", "toot:attributionDomains"),
    t("conversation", "ostatus:conversation"),
    t("atomUri", "ostatus:atomUri"),
    t("inReplyToAtomUri", "ostatus:inReplyToAtomUri"),
    // schema.org profile fields
    t("PropertyValue", "schema:PropertyValue"),
    t("value", "schema:value"),
    // quote posts (FEP-044f, Fedibird, Misskey)
    id("quote", "https://w3id.org/fep/044f#quote"),
    id(
        "quoteAuthorization",
        "https://w3id.org/fep/044f#quoteAuthorization",
    ),
    t("quoteUri", "fedibird:quoteUri"),
    // interaction policies (GoToSocial, Mastodon)
    id("interactionPolicy", "gts:interactionPolicy"),
    id("canQuote", "gts:canQuote"),
    id("automaticApproval", "gts:automaticApproval"),
    id("manualApproval", "gts:manualApproval"),
    id("canLike", "gts:canLike"),
    id("canReply", "gts:canReply"),
    id("canAnnounce", "gts:canAnnounce"),
    id("always", "gts:always"),
    id("approvedBy", "gts:approvedBy"),
    id("approvalRequired", "gts:approvalRequired"),
    id("likeAuthorization", "gts:likeAuthorization"),
    id("replyAuthorization", "gts:replyAuthorization"),
    id("announceAuthorization", "gts:announceAuthorization"),
    // Misskey and its forks
    t("_misskey_content", "misskey:_misskey_content"),
    t("_misskey_summary", "misskey:_misskey_summary"),
    t("_misskey_quote", "misskey:_misskey_quote"),
    t("_misskey_reaction", "misskey:_misskey_reaction"),
    t("_misskey_votes", "misskey:_misskey_votes"),
    t("_misskey_talk", "misskey:_misskey_talk"),
    t("isCat", "misskey:isCat"),
    // LitePub (Pleroma, Akkoma)
    t("directMessage", "litepub:directMessage"),
    id("listMessage", "litepub:listMessage"),
    t("ChatMessage", "litepub:ChatMessage"),
    t("EmojiReact", "litepub:EmojiReact"),
    t("invisible", "litepub:invisible"),
    id(
        "oauthRegistrationEndpoint",
        "litepub:oauthRegistrationEndpoint",
    ),
    t("capabilities", "litepub:capabilities"),
    t("formerRepresentations", "litepub:formerRepresentations"),
    // WebFinger address (FEP-2c59), imported by LitePub
    t("wf", "https://purl.archive.org/socialweb/webfinger#"),
    typed("webfinger", "wf:webfinger", "xsd:string"),
    // Multikey and Data Integrity (FEP-521a, FEP-8b32)
    contained(
        "assertionMethod",
        "sec:assertionMethod",
        Some("@id"),
        "@set",
    ),
    t("Multikey", "sec:Multikey"),
    id("controller", "sec:controller"),
    typed(
        "publicKeyMultibase",
        "sec:publicKeyMultibase",
        "sec:multibase",
    ),
    t("DataIntegrityProof", "sec:DataIntegrityProof"),
    contained("proof", "sec:proof", Some("@id"), "@graph"),
    t("cryptosuite", "sec:cryptosuite"),
    typed("proofValue", "sec:proofValue", "sec:multibase"),
    typed("proofPurpose", "sec:proofPurpose", "@vocab"),
    id("verificationMethod", "sec:verificationMethod"),
];

/// The Mastodon namespace document, for the few servers that list
/// `http://joinmastodon.org/ns` as a remote context.
const MASTODON_NS: &[TermDef] = &[
    t("toot", "http://joinmastodon.org/ns#"),
    t("Emoji", "toot:Emoji"),
    id("featured", "toot:featured"),
    id("featuredTags", "toot:featuredTags"),
    contained("focalPoint", "toot:focalPoint", None, "@list"),
    t("blurhash", "toot:blurhash"),
    t("discoverable", "toot:discoverable"),
    t("indexable", "toot:indexable"),
    t("memorial", "toot:memorial"),
    t("votersCount", "toot:votersCount"),
    t("suspended", "toot:suspended"),
    id("attributionDomains", "toot:attributionDomains"),
];

/// The LitePub context Pleroma and Akkoma serve (after its imports).
const LITEPUB: &[TermDef] = &[
    t("as", "https://www.w3.org/ns/activitystreams#"),
    t("ostatus", "http://ostatus.org#"),
    t("schema", "http://schema.org#"),
    t("vcard", "http://www.w3.org/2006/vcard/ns#"),
    t("fedibird", "http://fedibird.com/ns#"),
    t("litepub", "http://litepub.social/ns#"),
    t("sm", "http://smithereen.software/ns#"),
    t("toot", "http://joinmastodon.org/ns#"),
    id("alsoKnownAs", "as:alsoKnownAs"),
    t("Hashtag", "as:Hashtag"),
    t("manuallyApprovesFollowers", "as:manuallyApprovesFollowers"),
    t("quoteUrl", "as:quoteUrl"),
    t("sensitive", "as:sensitive"),
    t("atomUri", "ostatus:atomUri"),
    id("conversation", "ostatus:conversation"),
    t("PropertyValue", "schema:PropertyValue"),
    t("value", "schema:value"),
    t("quoteUri", "fedibird:quoteUri"),
    t("capabilities", "litepub:capabilities"),
    t("ChatMessage", "litepub:ChatMessage"),
    t("directMessage", "litepub:directMessage"),
    t("EmojiReact", "litepub:EmojiReact"),
    t("formerRepresentations", "litepub:formerRepresentations"),
    t("invisible", "litepub:invisible"),
    id("listMessage", "litepub:listMessage"),
    id(
        "oauthRegistrationEndpoint",
        "litepub:oauthRegistrationEndpoint",
    ),
    t("nonAnonymous", "sm:nonAnonymous"),
    t("discoverable", "toot:discoverable"),
    t("Emoji", "toot:Emoji"),
];

/// A stand-in for the schema.org context: its vocabulary mapping and the
/// property-value terms profiles use. The full schema.org context is large and
/// mostly type coercions that ActivityPub documents do not rely on.
const SCHEMA_ORG: &[TermDef] = &[
    t("@vocab", "http://schema.org/"),
    t("schema", "http://schema.org/"),
    t("id", "@id"),
    t("type", "@type"),
];

const MULTIKEY_SCOPED: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    id("controller", "https://w3id.org/security#controller"),
    typed(
        "revoked",
        "https://w3id.org/security#revoked",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    typed(
        "expires",
        "https://w3id.org/security#expiration",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    typed(
        "publicKeyMultibase",
        "https://w3id.org/security#publicKeyMultibase",
        "https://w3id.org/security#multibase",
    ),
    typed(
        "secretKeyMultibase",
        "https://w3id.org/security#secretKeyMultibase",
        "https://w3id.org/security#multibase",
    ),
];

const MULTIKEY_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    scoped(
        "Multikey",
        "https://w3id.org/security#Multikey",
        None,
        None,
        MULTIKEY_SCOPED,
    ),
];

const PROOF_PURPOSES: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    contained(
        "assertionMethod",
        "https://w3id.org/security#assertionMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "authentication",
        "https://w3id.org/security#authenticationMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "capabilityInvocation",
        "https://w3id.org/security#capabilityInvocationMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "capabilityDelegation",
        "https://w3id.org/security#capabilityDelegationMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "keyAgreement",
        "https://w3id.org/security#keyAgreementMethod",
        Some("@id"),
        "@set",
    ),
];

const DATA_INTEGRITY_PROOF_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    t("challenge", "https://w3id.org/security#challenge"),
    typed(
        "created",
        "http://purl.org/dc/terms/created",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    t("domain", "https://w3id.org/security#domain"),
    typed(
        "expires",
        "https://w3id.org/security#expiration",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    t("nonce", "https://w3id.org/security#nonce"),
    scoped(
        "proofPurpose",
        "https://w3id.org/security#proofPurpose",
        Some("@vocab"),
        None,
        PROOF_PURPOSES,
    ),
    t("cryptosuite", "https://w3id.org/security#cryptosuite"),
    typed(
        "proofValue",
        "https://w3id.org/security#proofValue",
        "https://w3id.org/security#multibase",
    ),
    id(
        "verificationMethod",
        "https://w3id.org/security#verificationMethod",
    ),
];

const DATA_INTEGRITY_PROOF_V2: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    t("challenge", "https://w3id.org/security#challenge"),
    typed(
        "created",
        "http://purl.org/dc/terms/created",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    t("domain", "https://w3id.org/security#domain"),
    typed(
        "expires",
        "https://w3id.org/security#expiration",
        "http://www.w3.org/2001/XMLSchema#dateTime",
    ),
    t("nonce", "https://w3id.org/security#nonce"),
    id("previousProof", "https://w3id.org/security#previousProof"),
    scoped(
        "proofPurpose",
        "https://w3id.org/security#proofPurpose",
        Some("@vocab"),
        None,
        PROOF_PURPOSES,
    ),
    typed(
        "cryptosuite",
        "https://w3id.org/security#cryptosuite",
        "https://w3id.org/security#cryptosuiteString",
    ),
    typed(
        "proofValue",
        "https://w3id.org/security#proofValue",
        "https://w3id.org/security#multibase",
    ),
    id(
        "verificationMethod",
        "https://w3id.org/security#verificationMethod",
    ),
];

const DATA_INTEGRITY_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    contained(
        "proof",
        "https://w3id.org/security#proof",
        Some("@id"),
        "@graph",
    ),
    scoped(
        "DataIntegrityProof",
        "https://w3id.org/security#DataIntegrityProof",
        None,
        None,
        DATA_INTEGRITY_PROOF_V1,
    ),
];

const DATA_INTEGRITY_V2: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    contained(
        "proof",
        "https://w3id.org/security#proof",
        Some("@id"),
        "@graph",
    ),
    scoped(
        "DataIntegrityProof",
        "https://w3id.org/security#DataIntegrityProof",
        None,
        None,
        DATA_INTEGRITY_PROOF_V2,
    ),
];

const DID_SERVICE: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    id(
        "serviceEndpoint",
        "https://www.w3.org/ns/did#serviceEndpoint",
    ),
];

const DID_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    id(
        "alsoKnownAs",
        "https://www.w3.org/ns/activitystreams#alsoKnownAs",
    ),
    contained(
        "assertionMethod",
        "https://w3id.org/security#assertionMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "authentication",
        "https://w3id.org/security#authenticationMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "capabilityDelegation",
        "https://w3id.org/security#capabilityDelegationMethod",
        Some("@id"),
        "@set",
    ),
    contained(
        "capabilityInvocation",
        "https://w3id.org/security#capabilityInvocationMethod",
        Some("@id"),
        "@set",
    ),
    id("controller", "https://w3id.org/security#controller"),
    contained(
        "keyAgreement",
        "https://w3id.org/security#keyAgreementMethod",
        Some("@id"),
        "@set",
    ),
    scoped(
        "service",
        "https://www.w3.org/ns/did#service",
        Some("@id"),
        None,
        DID_SERVICE,
    ),
    id(
        "verificationMethod",
        "https://w3id.org/security#verificationMethod",
    ),
];

pub(crate) const ACTIVITYSTREAMS: &[TermDef] = &[
    t("@vocab", "_:"),
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    t("as", "https://www.w3.org/ns/activitystreams#"),
    t("ldp", "http://www.w3.org/ns/ldp#"),
    t("vcard", "http://www.w3.org/2006/vcard/ns#"),
    t("id", "@id"),
    t("type", "@type"),
    t("Accept", "as:Accept"),
    t("Activity", "as:Activity"),
    t("IntransitiveActivity", "as:IntransitiveActivity"),
    t("Add", "as:Add"),
    t("Announce", "as:Announce"),
    t("Application", "as:Application"),
    t("Arrive", "as:Arrive"),
    t("Article", "as:Article"),
    t("Audio", "as:Audio"),
    t("Block", "as:Block"),
    t("Collection", "as:Collection"),
    t("CollectionPage", "as:CollectionPage"),
    t("Relationship", "as:Relationship"),
    t("Create", "as:Create"),
    t("Delete", "as:Delete"),
    t("Dislike", "as:Dislike"),
    t("Document", "as:Document"),
    t("Event", "as:Event"),
    t("Follow", "as:Follow"),
    t("Flag", "as:Flag"),
    t("Group", "as:Group"),
    t("Ignore", "as:Ignore"),
    t("Image", "as:Image"),
    t("Invite", "as:Invite"),
    t("Join", "as:Join"),
    t("Leave", "as:Leave"),
    t("Like", "as:Like"),
    t("Link", "as:Link"),
    t("Mention", "as:Mention"),
    t("Note", "as:Note"),
    t("Object", "as:Object"),
    t("Offer", "as:Offer"),
    t("OrderedCollection", "as:OrderedCollection"),
    t("OrderedCollectionPage", "as:OrderedCollectionPage"),
    t("Organization", "as:Organization"),
    t("Page", "as:Page"),
    t("Person", "as:Person"),
    t("Place", "as:Place"),
    t("Profile", "as:Profile"),
    t("Question", "as:Question"),
    t("Reject", "as:Reject"),
    t("Remove", "as:Remove"),
    t("Service", "as:Service"),
    t("TentativeAccept", "as:TentativeAccept"),
    t("TentativeReject", "as:TentativeReject"),
    t("Tombstone", "as:Tombstone"),
    t("Undo", "as:Undo"),
    t("Update", "as:Update"),
    t("Video", "as:Video"),
    t("View", "as:View"),
    t("Listen", "as:Listen"),
    t("Read", "as:Read"),
    t("Move", "as:Move"),
    t("Travel", "as:Travel"),
    t("IsFollowing", "as:IsFollowing"),
    t("IsFollowedBy", "as:IsFollowedBy"),
    t("IsContact", "as:IsContact"),
    t("IsMember", "as:IsMember"),
    id("subject", "as:subject"),
    id("relationship", "as:relationship"),
    id("actor", "as:actor"),
    id("attributedTo", "as:attributedTo"),
    id("attachment", "as:attachment"),
    id("bcc", "as:bcc"),
    id("bto", "as:bto"),
    id("cc", "as:cc"),
    id("context", "as:context"),
    id("current", "as:current"),
    id("first", "as:first"),
    id("generator", "as:generator"),
    id("icon", "as:icon"),
    id("image", "as:image"),
    id("inReplyTo", "as:inReplyTo"),
    id("items", "as:items"),
    id("instrument", "as:instrument"),
    contained("orderedItems", "as:items", Some("@id"), "@list"),
    id("last", "as:last"),
    id("location", "as:location"),
    id("next", "as:next"),
    id("object", "as:object"),
    id("oneOf", "as:oneOf"),
    id("anyOf", "as:anyOf"),
    typed("closed", "as:closed", "xsd:dateTime"),
    id("origin", "as:origin"),
    typed("accuracy", "as:accuracy", "xsd:float"),
    id("prev", "as:prev"),
    id("preview", "as:preview"),
    id("replies", "as:replies"),
    id("result", "as:result"),
    id("audience", "as:audience"),
    id("partOf", "as:partOf"),
    id("tag", "as:tag"),
    id("target", "as:target"),
    id("to", "as:to"),
    id("url", "as:url"),
    typed("altitude", "as:altitude", "xsd:float"),
    t("content", "as:content"),
    lang("contentMap", "as:content"),
    t("name", "as:name"),
    lang("nameMap", "as:name"),
    typed("duration", "as:duration", "xsd:duration"),
    typed("endTime", "as:endTime", "xsd:dateTime"),
    typed("height", "as:height", "xsd:nonNegativeInteger"),
    id("href", "as:href"),
    t("hreflang", "as:hreflang"),
    typed("latitude", "as:latitude", "xsd:float"),
    typed("longitude", "as:longitude", "xsd:float"),
    t("mediaType", "as:mediaType"),
    typed("published", "as:published", "xsd:dateTime"),
    typed("radius", "as:radius", "xsd:float"),
    t("rel", "as:rel"),
    typed("startIndex", "as:startIndex", "xsd:nonNegativeInteger"),
    typed("startTime", "as:startTime", "xsd:dateTime"),
    t("summary", "as:summary"),
    lang("summaryMap", "as:summary"),
    typed("totalItems", "as:totalItems", "xsd:nonNegativeInteger"),
    t("units", "as:units"),
    typed("updated", "as:updated", "xsd:dateTime"),
    typed("width", "as:width", "xsd:nonNegativeInteger"),
    id("describes", "as:describes"),
    id("formerType", "as:formerType"),
    typed("deleted", "as:deleted", "xsd:dateTime"),
    id("inbox", "ldp:inbox"),
    id("outbox", "as:outbox"),
    id("following", "as:following"),
    id("followers", "as:followers"),
    id("streams", "as:streams"),
    t("preferredUsername", "as:preferredUsername"),
    id("endpoints", "as:endpoints"),
    id("uploadMedia", "as:uploadMedia"),
    id("proxyUrl", "as:proxyUrl"),
    id("liked", "as:liked"),
    id(
        "oauthAuthorizationEndpoint",
        "as:oauthAuthorizationEndpoint",
    ),
    id("oauthTokenEndpoint", "as:oauthTokenEndpoint"),
    id("provideClientKey", "as:provideClientKey"),
    id("signClientKey", "as:signClientKey"),
    id("sharedInbox", "as:sharedInbox"),
    id("Public", "as:Public"),
    t("source", "as:source"),
    id("likes", "as:likes"),
    id("shares", "as:shares"),
    id("alsoKnownAs", "as:alsoKnownAs"),
];

pub(crate) const SECURITY_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    t("dc", "http://purl.org/dc/terms/"),
    t("sec", "https://w3id.org/security#"),
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    t("EcdsaKoblitzSignature2016", "sec:EcdsaKoblitzSignature2016"),
    t("Ed25519Signature2018", "sec:Ed25519Signature2018"),
    t("EncryptedMessage", "sec:EncryptedMessage"),
    t("GraphSignature2012", "sec:GraphSignature2012"),
    t("LinkedDataSignature2015", "sec:LinkedDataSignature2015"),
    t("LinkedDataSignature2016", "sec:LinkedDataSignature2016"),
    t("CryptographicKey", "sec:Key"),
    t("authenticationTag", "sec:authenticationTag"),
    t("canonicalizationAlgorithm", "sec:canonicalizationAlgorithm"),
    t("cipherAlgorithm", "sec:cipherAlgorithm"),
    t("cipherData", "sec:cipherData"),
    t("cipherKey", "sec:cipherKey"),
    typed("created", "dc:created", "xsd:dateTime"),
    id("creator", "dc:creator"),
    t("digestAlgorithm", "sec:digestAlgorithm"),
    t("digestValue", "sec:digestValue"),
    t("domain", "sec:domain"),
    t("encryptionKey", "sec:encryptionKey"),
    typed("expiration", "sec:expiration", "xsd:dateTime"),
    typed("expires", "sec:expiration", "xsd:dateTime"),
    t("initializationVector", "sec:initializationVector"),
    t("iterationCount", "sec:iterationCount"),
    t("nonce", "sec:nonce"),
    t("normalizationAlgorithm", "sec:normalizationAlgorithm"),
    id("owner", "sec:owner"),
    t("password", "sec:password"),
    id("privateKey", "sec:privateKey"),
    t("privateKeyPem", "sec:privateKeyPem"),
    id("publicKey", "sec:publicKey"),
    t("publicKeyBase58", "sec:publicKeyBase58"),
    t("publicKeyPem", "sec:publicKeyPem"),
    t("publicKeyWif", "sec:publicKeyWif"),
    id("publicKeyService", "sec:publicKeyService"),
    typed("revoked", "sec:revoked", "xsd:dateTime"),
    t("salt", "sec:salt"),
    t("signature", "sec:signature"),
    t("signatureAlgorithm", "sec:signingAlgorithm"),
    t("signatureValue", "sec:signatureValue"),
];

const GOTOSOCIAL: &[TermDef] = &[
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    t("gts", "https://gotosocial.org/ns#"),
    t("LikeRequest", "gts:LikeRequest"),
    t("ReplyRequest", "gts:ReplyRequest"),
    t("AnnounceRequest", "gts:AnnounceRequest"),
    t("QuoteRequest", "https://w3id.org/fep/044f#QuoteRequest"),
    t("LikeAuthorization", "gts:LikeApproval"),
    t("ReplyAuthorization", "gts:ReplyAuthorization"),
    t("AnnounceAuthorization", "gts:AnnounceAuthorization"),
    t(
        "QuoteAuthorization",
        "https://w3id.org/fep/044f#QuoteAuthorization",
    ),
    id("likeAuthorization", "gts:likeAuthorization"),
    id("replyAuthorization", "gts:replyAuthorization"),
    id("announceAuthorization", "gts:announceAuthorization"),
    id(
        "quoteAuthorization",
        "https://w3id.org/fep/044f#quoteAuthorization",
    ),
    id("interactingObject", "gts:interactingObject"),
    id("interactionTarget", "gts:interactionTarget"),
    id("interactionPolicy", "gts:interactionPolicy"),
    id("canLike", "gts:canLike"),
    id("canReply", "gts:canReply"),
    id("canAnnounce", "gts:canAnnounce"),
    id("canQuote", "gts:canQuote"),
    id("automaticApproval", "gts:automaticApproval"),
    id("manualApproval", "gts:manualApproval"),
    typed(
        "hidesToPublicFromUnauthedWeb",
        "gts:hidesToPublicFromUnauthedWeb",
        "xsd:boolean",
    ),
    typed(
        "hidesCcPublicFromUnauthedWeb",
        "gts:hidesCcPublicFromUnauthedWeb",
        "xsd:boolean",
    ),
    id("always", "gts:always"),
    id("approvalRequired", "gts:approvalRequired"),
    id("approvedBy", "gts:approvedBy"),
    id("approvalRequired", "gts:approvalRequired"),
    id("likeAuthorization", "gts:likeAuthorization"),
    id("replyAuthorization", "gts:replyAuthorization"),
    id("announceAuthorization", "gts:announceAuthorization"),
];

const MISCELLANY: &[TermDef] = &[
    t("as", "https://www.w3.org/ns/activitystreams#"),
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    t("Hashtag", "as:Hashtag"),
    t("manuallyApprovesFollowers", "as:manuallyApprovesFollowers"),
    id("movedTo", "as:movedTo"),
    t("sensitive", "as:sensitive"),
];

const WEBFINGER: &[TermDef] = &[
    t("wf", "https://purl.archive.org/socialweb/webfinger#"),
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    typed("webfinger", "wf:webfinger", "xsd:string"),
];

const LEMMY: &[TermDef] = &[
    t("as", "https://www.w3.org/ns/activitystreams#"),
    t("lemmy", "https://join-lemmy.org/ns#"),
    t("litepub", "http://litepub.social/ns#"),
    t("pt", "https://joinpeertube.org/ns#"),
    t("sc", "http://schema.org/"),
    t("mastodon", "http://joinmastodon.org/ns#"),
    t("ChatMessage", "litepub:ChatMessage"),
    t("commentsEnabled", "pt:commentsEnabled"),
    t("sensitive", "as:sensitive"),
    t("matrixUserId", "lemmy:matrixUserId"),
    t("postingRestrictedToMods", "lemmy:postingRestrictedToMods"),
    t("removeData", "lemmy:removeData"),
    t("stickied", "lemmy:stickied"),
    id("moderators", "lemmy:moderators"),
    t("expires", "as:endTime"),
    t("distinguished", "lemmy:distinguished"),
    t("language", "sc:inLanguage"),
    t("identifier", "sc:identifier"),
    t("Hashtag", "as:Hashtag"),
    id("featured", "mastodon:featured"),
];

const IDENTITY_V1: &[TermDef] = &[
    t("id", "@id"),
    t("type", "@type"),
    t("cred", "https://w3id.org/credentials#"),
    t("dc", "http://purl.org/dc/terms/"),
    t("identity", "https://w3id.org/identity#"),
    t("perm", "https://w3id.org/permissions#"),
    t("ps", "https://w3id.org/payswarm#"),
    t("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    t("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    t("sec", "https://w3id.org/security#"),
    t("schema", "http://schema.org/"),
    t("xsd", "http://www.w3.org/2001/XMLSchema#"),
    t("Group", "https://www.w3.org/ns/activitystreams#Group"),
    id("claim", "cred:claim"),
    id("credential", "cred:credential"),
    typed("issued", "cred:issued", "xsd:dateTime"),
    id("issuer", "cred:issuer"),
    id("recipient", "cred:recipient"),
    t("Credential", "cred:Credential"),
    t(
        "CryptographicKeyCredential",
        "cred:CryptographicKeyCredential",
    ),
    id("about", "schema:about"),
    id("address", "schema:address"),
    t("addressCountry", "schema:addressCountry"),
    t("addressLocality", "schema:addressLocality"),
    t("addressRegion", "schema:addressRegion"),
    t("comment", "rdfs:comment"),
    typed("created", "dc:created", "xsd:dateTime"),
    id("creator", "dc:creator"),
    t("description", "schema:description"),
    t("email", "schema:email"),
    t("familyName", "schema:familyName"),
    t("givenName", "schema:givenName"),
    id("image", "schema:image"),
    t("label", "rdfs:label"),
    t("name", "schema:name"),
    t("postalCode", "schema:postalCode"),
    t("streetAddress", "schema:streetAddress"),
    t("title", "dc:title"),
    id("url", "schema:url"),
    t("Person", "schema:Person"),
    t("PostalAddress", "schema:PostalAddress"),
    t("Organization", "schema:Organization"),
    id("identityService", "identity:identityService"),
    id("idp", "identity:idp"),
    t("Identity", "identity:Identity"),
    t("paymentProcessor", "ps:processor"),
    typed("preferences", "ps:preferences", "@vocab"),
    t("cipherAlgorithm", "sec:cipherAlgorithm"),
    t("cipherData", "sec:cipherData"),
    t("cipherKey", "sec:cipherKey"),
    t("digestAlgorithm", "sec:digestAlgorithm"),
    t("digestValue", "sec:digestValue"),
    t("domain", "sec:domain"),
    typed("expires", "sec:expiration", "xsd:dateTime"),
    t("initializationVector", "sec:initializationVector"),
    id("member", "schema:member"),
    id("memberOf", "schema:memberOf"),
    t("nonce", "sec:nonce"),
    t("normalizationAlgorithm", "sec:normalizationAlgorithm"),
    id("owner", "sec:owner"),
    t("password", "sec:password"),
    id("privateKey", "sec:privateKey"),
    t("privateKeyPem", "sec:privateKeyPem"),
    id("publicKey", "sec:publicKey"),
    t("publicKeyPem", "sec:publicKeyPem"),
    id("publicKeyService", "sec:publicKeyService"),
    typed("revoked", "sec:revoked", "xsd:dateTime"),
    t("signature", "sec:signature"),
    t("signatureAlgorithm", "sec:signatureAlgorithm"),
    t("signatureValue", "sec:signatureValue"),
    t("CryptographicKey", "sec:Key"),
    t("EncryptedMessage", "sec:EncryptedMessage"),
    t("GraphSignature2012", "sec:GraphSignature2012"),
    t("LinkedDataSignature2015", "sec:LinkedDataSignature2015"),
    id("accessControl", "perm:accessControl"),
    id("writePermission", "perm:writePermission"),
];
