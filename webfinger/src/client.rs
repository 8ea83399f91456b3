//! The client half: build requests, read answers, and resolve an account step by step.

use http::header::{HeaderValue, ACCEPT, LOCATION};
use http::{Request, Response, StatusCode, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::xrd::parse_xrd;
use crate::{Account, Error, Jrd, Resource};

/// Characters encoded in a query parameter value: everything except RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a string for use as a query parameter value (everything but unreserved).
pub fn encode_query_value(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// The `Accept` header sent with WebFinger queries (as Mastodon sends it).
pub const ACCEPT_JRD: &str = "application/jrd+json, application/json";
/// The `Accept` header sent with XML host-meta requests (as Mastodon sends it).
pub const ACCEPT_XRD: &str = "application/xrd+xml, application/xml, text/xml";
/// The `Accept` header sent with JSON host-meta requests.
pub const ACCEPT_HOST_META_JSON: &str = "application/json, application/jrd+json";

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Use `http://` instead of `https://` for the requests this crate builds (loopback and
    /// tests only). Also allows redirects and templates that point to `http://`.
    pub plain_http: bool,
    /// How many times a lookup may move to another account's domain to confirm a subject
    /// (Mastodon allows one). Default 3.
    pub max_hops: u8,
    /// How many HTTP redirects a lookup follows in total. Default 3.
    pub max_redirects: u8,
    /// Largest response body read, in bytes. Default 256 KiB.
    pub max_body_bytes: usize,
    /// `rel` values to ask for (RFC 7033 §4.3); empty asks for every link.
    pub rels: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            max_hops: 3,
            max_redirects: 3,
            max_body_bytes: 256 * 1024,
            rels: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// Switches to plain `http://` (loopback and tests only).
    #[must_use]
    pub fn with_plain_http(mut self, plain_http: bool) -> Self {
        self.plain_http = plain_http;
        self
    }

    /// Sets the domain-hop limit.
    #[must_use]
    pub fn with_max_hops(mut self, max_hops: u8) -> Self {
        self.max_hops = max_hops;
        self
    }

    /// Asks the server for these link relation types only.
    #[must_use]
    pub fn with_rels<I, S>(mut self, rels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rels = rels.into_iter().map(Into::into).collect();
        self
    }

    fn scheme(&self) -> &'static str {
        if self.plain_http {
            "http"
        } else {
            "https"
        }
    }
}

fn get(uri: Uri, accept: &'static str) -> Request<()> {
    let mut req = Request::new(());
    *req.uri_mut() = uri;
    req.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static(accept));
    req
}

fn to_uri(s: String) -> Result<Uri, Error> {
    Uri::try_from(s.as_str()).map_err(|_| Error::InvalidUri(s))
}

/// The WebFinger URI for a resource: `https://host/.well-known/webfinger?resource=…`.
pub fn webfinger_uri(resource: &Resource, options: &ClientOptions) -> Result<Uri, Error> {
    webfinger_uri_at(&resource.authority(), resource, options)
}

fn webfinger_uri_at(
    authority: &str,
    resource: &Resource,
    options: &ClientOptions,
) -> Result<Uri, Error> {
    let mut s = format!(
        "{}://{}/.well-known/webfinger?resource={}",
        options.scheme(),
        authority,
        encode_query_value(&resource.to_string())
    );
    for rel in &options.rels {
        s.push_str("&rel=");
        s.push_str(&encode_query_value(rel));
    }
    to_uri(s)
}

/// Builds the WebFinger `GET` for a resource, sent to the resource's own host, with
/// `Accept: application/jrd+json`.
///
/// ```
/// use webfinger::{client::{webfinger_request, ClientOptions}, Resource};
/// let r: Resource = "@alice@example.com".parse()?;
/// let req = webfinger_request(&r, &ClientOptions::default())?;
/// assert_eq!(
///     req.uri().to_string(),
///     "https://example.com/.well-known/webfinger?resource=acct%3Aalice%40example.com"
/// );
/// # Ok::<(), webfinger::Error>(())
/// ```
pub fn webfinger_request(
    resource: &Resource,
    options: &ClientOptions,
) -> Result<Request<()>, Error> {
    Ok(get(webfinger_uri(resource, options)?, ACCEPT_JRD))
}

fn validated_authority(authority: &str) -> Result<String, Error> {
    // Reuse the account parser's host rules: `x@authority`.
    Ok(Account::new("x", authority)?.authority())
}

/// Builds `GET https://host/.well-known/host-meta` (XRD).
pub fn host_meta_request(authority: &str, options: &ClientOptions) -> Result<Request<()>, Error> {
    let authority = validated_authority(authority)?;
    let uri = to_uri(format!(
        "{}://{authority}/.well-known/host-meta",
        options.scheme()
    ))?;
    Ok(get(uri, ACCEPT_XRD))
}

/// Builds `GET https://host/.well-known/host-meta.json` (JRD).
pub fn host_meta_json_request(
    authority: &str,
    options: &ClientOptions,
) -> Result<Request<()>, Error> {
    let authority = validated_authority(authority)?;
    let uri = to_uri(format!(
        "{}://{authority}/.well-known/host-meta.json",
        options.scheme()
    ))?;
    Ok(get(uri, ACCEPT_HOST_META_JSON))
}

/// Fills an `lrdd` (or subscribe) template: `{uri}` becomes the percent-encoded resource.
///
/// ```
/// use webfinger::{client::expand_template, Resource};
/// let r: Resource = "acct:bob@example.org".parse()?;
/// assert_eq!(
///     expand_template("https://wf.example.net/.well-known/webfinger?resource={uri}", &r),
///     "https://wf.example.net/.well-known/webfinger?resource=acct%3Abob%40example.org"
/// );
/// # Ok::<(), webfinger::Error>(())
/// ```
pub fn expand_template(template: &str, resource: &Resource) -> String {
    template.replace("{uri}", &encode_query_value(&resource.to_string()))
}

fn check_scheme(url: &Url, options: &ClientOptions) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if options.plain_http => Ok(()),
        _ => Err(Error::InvalidUri(url.to_string())),
    }
}

/// Builds the WebFinger `GET` from a host-meta `lrdd` template.
pub fn lrdd_request(
    template: &str,
    resource: &Resource,
    options: &ClientOptions,
) -> Result<Request<()>, Error> {
    let expanded = expand_template(template, resource);
    let url = Url::parse(&expanded).map_err(|_| Error::InvalidUri(expanded.clone()))?;
    check_scheme(&url, options)?;
    if url.host_str().is_none() {
        return Err(Error::InvalidUri(expanded));
    }
    Ok(get(to_uri(url.into())?, ACCEPT_JRD))
}

fn body_of<'a, B: AsRef<[u8]>>(
    response: &'a Response<B>,
    options: &ClientOptions,
) -> Result<&'a [u8], Error> {
    let body = response.body().as_ref();
    if body.len() > options.max_body_bytes {
        return Err(Error::BodyTooLarge {
            limit: options.max_body_bytes,
        });
    }
    Ok(body)
}

fn status_error(status: StatusCode) -> Error {
    match status {
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::GONE => Error::Gone,
        s => Error::UnexpectedStatus(s),
    }
}

/// Parses a JRD or XRD body, chosen by its first non-blank byte (content types are often
/// wrong, so they are not trusted). A UTF-8 byte order mark is skipped.
pub fn parse_descriptor(body: &[u8]) -> Result<Jrd, Error> {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'<') {
        parse_xrd(body)
    } else {
        Jrd::from_slice(body)
    }
}

/// Reads a WebFinger answer: `2xx` → the JRD (an XRD body is accepted too, and the content
/// type is not checked); `404` → [`Error::NotFound`]; `410` → [`Error::Gone`]; anything
/// else → [`Error::UnexpectedStatus`].
pub fn parse_response<B: AsRef<[u8]>>(
    response: &Response<B>,
    options: &ClientOptions,
) -> Result<Jrd, Error> {
    if !response.status().is_success() {
        return Err(status_error(response.status()));
    }
    parse_descriptor(body_of(response, options)?)
}

/// Reads a host-meta answer (XRD or JSON) and returns its `lrdd` template.
pub fn parse_host_meta<B: AsRef<[u8]>>(
    response: &Response<B>,
    options: &ClientOptions,
) -> Result<String, Error> {
    if !response.status().is_success() {
        return Err(status_error(response.status()));
    }
    let jrd = parse_descriptor(body_of(response, options)?)?;
    jrd.lrdd_template()
        .map(str::to_owned)
        .ok_or(Error::NoLrddTemplate)
}

// ---------------------------------------------------------------------------------------------
// The lookup state machine.

/// A finished lookup.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Resolved {
    /// The canonical account, confirmed by its own domain.
    pub account: Account,
    /// The ActivityPub actor URL.
    pub actor: Url,
    /// The JRD that settled it.
    pub jrd: Jrd,
    /// How many times the lookup moved to another domain to confirm the subject.
    pub hops: u8,
}

/// What to do next in a [`Lookup`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Step {
    /// Perform this request and [`Lookup::feed`] the response.
    Request(Request<()>),
    /// Done.
    Done(Resolved),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    WebFinger { via_template: bool },
    HostMeta,
}

#[derive(Debug)]
enum State {
    Pending { kind: Kind, uri: Uri },
    Finished,
}

/// Resolves a resource to an actor, without I/O, the way Mastodon does:
///
/// 1. WebFinger at the resource's host; on `404`, host-meta and its `lrdd` template.
/// 2. If the subject is an account on another domain (the account/web-domain split, e.g.
///    `alice@example.com` served by `social.example.com`), ask that domain to confirm it,
///    up to [`ClientOptions::max_hops`] times.
/// 3. Done when a domain answers for its own account: the actor is its `rel="self"` link.
///
/// ```
/// use webfinger::client::{ClientOptions, Lookup, Step};
/// use webfinger::Resource;
///
/// let mut lookup = Lookup::new("@alice@example.com".parse::<Resource>()?, ClientOptions::default())?;
/// let request = lookup.next_request().expect("a first request");
/// assert_eq!(request.uri().host(), Some("example.com"));
/// // ... perform `request` with any HTTP client, then feed the answer:
/// let body = br#"{"subject":"acct:alice@example.com","links":[
///     {"rel":"self","type":"application/activity+json","href":"https://example.com/users/alice"}]}"#;
/// let response = http::Response::builder().status(200).body(&body[..])?;
/// match lookup.feed(&response)? {
///     Step::Done(found) => {
///         assert_eq!(found.actor.as_str(), "https://example.com/users/alice");
///         assert_eq!(found.account.to_string(), "acct:alice@example.com");
///     }
///     Step::Request(_) => unreachable!("same domain: nothing to confirm"),
///     _ => unreachable!(),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Lookup {
    options: ClientOptions,
    original: Resource,
    target: Resource,
    state: State,
    hops: u8,
    redirects: u8,
    host_meta_tried: bool,
    tried_webfinger: Vec<Uri>,
}

impl Lookup {
    /// Starts a lookup.
    pub fn new(resource: Resource, options: ClientOptions) -> Result<Self, Error> {
        let uri = webfinger_uri(&resource, &options)?;
        Ok(Self {
            original: resource.clone(),
            target: resource,
            state: State::Pending {
                kind: Kind::WebFinger {
                    via_template: false,
                },
                uri,
            },
            options,
            hops: 0,
            redirects: 0,
            host_meta_tried: false,
            tried_webfinger: Vec::new(),
        })
    }

    /// The resource the lookup started from.
    pub fn original(&self) -> &Resource {
        &self.original
    }

    /// The resource currently being asked about (differs from the original after a hop).
    pub fn target(&self) -> &Resource {
        &self.target
    }

    /// The request to perform now, or `None` once the lookup has finished (done or failed).
    pub fn next_request(&self) -> Option<Request<()>> {
        match &self.state {
            State::Pending { kind, uri } => Some(get(
                uri.clone(),
                match kind {
                    Kind::WebFinger { .. } => ACCEPT_JRD,
                    Kind::HostMeta => ACCEPT_XRD,
                },
            )),
            State::Finished => None,
        }
    }

    /// Feeds the response to the request from [`Lookup::next_request`]. An error ends the
    /// lookup.
    pub fn feed<B: AsRef<[u8]>>(&mut self, response: &Response<B>) -> Result<Step, Error> {
        let state = std::mem::replace(&mut self.state, State::Finished);
        let State::Pending { kind, uri } = state else {
            return Err(Error::LookupFinished);
        };
        let (kind, next) = self.advance(kind, &uri, response)?;
        match next {
            Some(next_uri) => {
                let req = get(
                    next_uri.clone(),
                    match kind {
                        Kind::WebFinger { .. } => ACCEPT_JRD,
                        Kind::HostMeta => ACCEPT_XRD,
                    },
                );
                self.state = State::Pending {
                    kind,
                    uri: next_uri,
                };
                Ok(Step::Request(req))
            }
            None => self.finish(response),
        }
    }

    /// Works out the next request; `None` means the response holds the answer to read.
    fn advance<B: AsRef<[u8]>>(
        &mut self,
        kind: Kind,
        uri: &Uri,
        response: &Response<B>,
    ) -> Result<(Kind, Option<Uri>), Error> {
        let status = response.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            return Ok((kind, Some(self.redirect(uri, response)?)));
        }
        match kind {
            Kind::WebFinger { via_template } => {
                self.tried_webfinger.push(uri.clone());
                if status == StatusCode::NOT_FOUND && !via_template && !self.host_meta_tried {
                    self.host_meta_tried = true;
                    let authority = uri
                        .authority()
                        .map(|a| a.as_str().to_owned())
                        .ok_or_else(|| Error::InvalidUri(uri.to_string()))?;
                    let req = host_meta_request(&authority, &self.options)?;
                    return Ok((Kind::HostMeta, Some(req.uri().clone())));
                }
                Ok((kind, None))
            }
            Kind::HostMeta => {
                // WebFinger already answered 404: a host-meta failure means "not found".
                let template = match parse_host_meta(response, &self.options) {
                    Ok(t) => t,
                    Err(e) if e.is_not_found() => return Err(Error::NotFound),
                    Err(Error::UnexpectedStatus(s)) if s.is_client_error() => {
                        return Err(Error::NotFound)
                    }
                    Err(e) => return Err(e),
                };
                let req = lrdd_request(&template, &self.target, &self.options)?;
                let next = req.uri().clone();
                if self.tried_webfinger.contains(&next) {
                    // The template points back at the query that already said 404.
                    return Err(Error::NotFound);
                }
                Ok((Kind::WebFinger { via_template: true }, Some(next)))
            }
        }
    }

    fn redirect<B>(&mut self, uri: &Uri, response: &Response<B>) -> Result<Uri, Error> {
        self.redirects += 1;
        if self.redirects > self.options.max_redirects {
            return Err(Error::TooManyHops {
                limit: self.options.max_redirects,
            });
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::UnexpectedStatus(response.status()))?;
        let base = Url::parse(&uri.to_string()).map_err(|_| Error::InvalidUri(uri.to_string()))?;
        let next = base
            .join(location)
            .map_err(|_| Error::InvalidUri(location.to_owned()))?;
        check_scheme(&next, &self.options)?;
        if next.host_str().is_none() {
            return Err(Error::InvalidUri(next.into()));
        }
        to_uri(next.into())
    }

    fn finish<B: AsRef<[u8]>>(&mut self, response: &Response<B>) -> Result<Step, Error> {
        let jrd = parse_response(response, &self.options)?;
        let subject = match jrd.subject.as_deref().map(Account::parse) {
            Some(Ok(a)) => a,
            // Tolerated: no subject, or one without a host (Hubzilla's `acct:user`), when we
            // asked about an account — the queried domain answers for it.
            _ => match &self.target {
                Resource::Acct(a) => a.clone(),
                Resource::Url(_) => return Err(Error::InvalidSubject(jrd.subject.clone())),
            },
        };
        let confirmed = match &self.target {
            Resource::Acct(asked) => subject.eq_ignore_case(asked),
            // A URL query: the subject must live on the URL's own host, else confirm it.
            Resource::Url(_) => subject.authority() == self.target.authority(),
        };
        if confirmed {
            let actor = jrd.actor_url().ok_or(Error::NoActorLink)?;
            return Ok(Step::Done(Resolved {
                account: subject,
                actor,
                jrd,
                hops: self.hops,
            }));
        }
        if self.options.max_hops == 0 {
            return Err(Error::SubjectMismatch {
                expected: self.target.to_string(),
                found: subject.to_string(),
            });
        }
        if self.hops >= self.options.max_hops {
            return Err(Error::TooManyHops {
                limit: self.options.max_hops,
            });
        }
        self.hops += 1;
        self.host_meta_tried = false;
        self.target = Resource::Acct(subject);
        let uri = webfinger_uri(&self.target, &self.options)?;
        let req = get(uri.clone(), ACCEPT_JRD);
        self.state = State::Pending {
            kind: Kind::WebFinger {
                via_template: false,
            },
            uri,
        };
        Ok(Step::Request(req))
    }
}
