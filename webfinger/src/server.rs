//! The server half: answer WebFinger and host-meta queries.

use http::header::{HeaderValue, ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use url::Url;

use crate::jrd::{media_type, rel};
use crate::xrd::to_xrd;
use crate::{Account, Error, Jrd, Link, Resource, ResourceErrorKind};

/// `Content-Type` of a JRD answer.
pub const JRD_CONTENT_TYPE: &str = "application/jrd+json; charset=utf-8";
/// `Content-Type` of an XRD answer.
pub const XRD_CONTENT_TYPE: &str = "application/xrd+xml; charset=utf-8";
/// `Content-Type` of error answers.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// What a server knows about one of its accounts; turns into a Mastodon-shaped JRD.
///
/// ```
/// use webfinger::{server::AccountDescriptor, Account, Jrd};
/// let d = AccountDescriptor::new(
///     Account::parse("alice@example.com")?,
///     "https://example.com/users/alice".parse()?,
/// )
/// .with_profile_page("https://example.com/@alice".parse()?);
/// let jrd = Jrd::from(d);
/// assert_eq!(jrd.aliases, ["https://example.com/@alice", "https://example.com/users/alice"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AccountDescriptor {
    /// The canonical account (the JRD `subject`).
    pub subject: Account,
    /// The ActivityPub actor URL (`rel="self"`, also an alias).
    pub actor: Url,
    /// The HTML profile page (`profile-page` link, also the first alias).
    pub profile_page: Option<Url>,
    /// The OStatus subscribe template, e.g. `https://example.com/authorize_interaction?uri={uri}`.
    pub subscribe_template: Option<String>,
    /// The avatar URL and its media type.
    pub avatar: Option<(Url, Option<String>)>,
}

impl AccountDescriptor {
    /// A descriptor with a subject and an actor URL.
    pub fn new(subject: Account, actor: Url) -> Self {
        Self {
            subject,
            actor,
            profile_page: None,
            subscribe_template: None,
            avatar: None,
        }
    }

    /// A descriptor for `user` on the host that serves its `actor`, as on a server whose
    /// accounts are named after its own host (no separate web domain): the subject is
    /// `user@host[:port]` of the actor URL.
    ///
    /// ```
    /// use webfinger::server::AccountDescriptor;
    /// let d = AccountDescriptor::for_actor("blog", "http://127.0.0.1:3000/blog".parse()?)?;
    /// assert_eq!(d.subject.to_string(), "acct:blog@127.0.0.1:3000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// An empty `user`, or an actor URL without a host, is an [`Error::InvalidResource`].
    pub fn for_actor(user: &str, actor: Url) -> Result<Self, Error> {
        let host = actor
            .host_str()
            .ok_or(Error::InvalidResource(ResourceErrorKind::InvalidUrl))?;
        let subject = match actor.port() {
            Some(port) => Account::new(user, &format!("{host}:{port}"))?,
            None => Account::new(user, host)?,
        };
        Ok(Self::new(subject, actor))
    }

    /// Sets the profile page.
    #[must_use]
    pub fn with_profile_page(mut self, url: Url) -> Self {
        self.profile_page = Some(url);
        self
    }

    /// Sets the subscribe template.
    #[must_use]
    pub fn with_subscribe_template(mut self, template: impl Into<String>) -> Self {
        self.subscribe_template = Some(template.into());
        self
    }

    /// Sets the avatar.
    #[must_use]
    pub fn with_avatar(mut self, url: Url, media_type: Option<String>) -> Self {
        self.avatar = Some((url, media_type));
        self
    }

    /// Whether a WebFinger query for `resource` is about this account, as Mastodon decides:
    /// the subject with the user part in any case (`acct:Alice@example.com`), or the actor URL,
    /// or the profile page.
    ///
    /// ```
    /// use webfinger::{server::AccountDescriptor, Account, Resource};
    /// let d = AccountDescriptor::new(
    ///     Account::parse("alice@example.com")?,
    ///     "https://example.com/users/alice".parse()?,
    /// );
    /// assert!(d.matches(&Resource::parse("acct:ALICE@example.com")?));
    /// assert!(d.matches(&Resource::parse("https://example.com/users/alice")?));
    /// assert!(!d.matches(&Resource::parse("acct:bob@example.com")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(&self, resource: &Resource) -> bool {
        match resource {
            Resource::Acct(account) => account.eq_ignore_case(&self.subject),
            Resource::Url(url) => *url == self.actor || self.profile_page.as_ref() == Some(url),
        }
    }
}

impl From<AccountDescriptor> for Jrd {
    /// Mastodon's shape: aliases `[profile, actor]`; links profile-page, self, subscribe, avatar.
    fn from(d: AccountDescriptor) -> Self {
        let mut jrd = Jrd::new(d.subject.to_string());
        if let Some(p) = &d.profile_page {
            jrd.aliases.push(p.to_string());
        }
        jrd.aliases.push(d.actor.to_string());
        if let Some(p) = &d.profile_page {
            jrd.links.push(
                Link::new(rel::PROFILE_PAGE)
                    .with_type(media_type::HTML)
                    .with_href(p.as_str()),
            );
        }
        jrd.links.push(
            Link::new(rel::SELF)
                .with_type(media_type::ACTIVITY_JSON)
                .with_href(d.actor.as_str()),
        );
        if let Some(t) = d.subscribe_template {
            jrd.links.push(Link::new(rel::SUBSCRIBE).with_template(t));
        }
        if let Some((url, t)) = d.avatar {
            let mut link = Link::new(rel::AVATAR).with_href(url.as_str());
            link.media_type = t;
            jrd.links.push(link);
        }
        jrd
    }
}

fn response(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res
}

fn text(status: StatusCode, message: &str) -> Response<Vec<u8>> {
    response(
        status,
        TEXT_CONTENT_TYPE,
        format!("{message}\n").into_bytes(),
    )
}

/// A WebFinger query read from a query string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// The `resource` parameter.
    pub resource: Resource,
    /// The `rel` parameters, in order.
    pub rels: Vec<String>,
}

/// Why a query string is not a WebFinger query this crate can look up. Each answers
/// `400 Bad Request`, except [`QueryError::UnknownScheme`] (`404 Not Found`); see
/// [`QueryError::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// No `resource` parameter.
    MissingResource,
    /// More than one `resource` parameter.
    DuplicateResource,
    /// A `resource` that does not parse.
    InvalidResource,
    /// A `resource` that is a syntactically valid URI of a scheme other than `acct:`,
    /// `http:` and `https:` (`mailto:alice@example.com`, `foo://bar`): a well-formed query
    /// about something the server has no information on, which RFC 7033 §4.5 answers with
    /// `404`.
    UnknownScheme,
}

impl QueryError {
    fn message(self) -> &'static str {
        match self {
            Self::MissingResource => "missing resource parameter",
            Self::DuplicateResource => "more than one resource parameter",
            Self::InvalidResource => "malformed resource parameter",
            Self::UnknownScheme => NOT_FOUND_MESSAGE,
        }
    }

    /// The status this error answers with: `404` for [`QueryError::UnknownScheme`], `400`
    /// for the others.
    pub fn status(self) -> StatusCode {
        match self {
            Self::UnknownScheme => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The body of every `404` answer (with a trailing newline).
const NOT_FOUND_MESSAGE: &str = "resource not found";

/// Whether `input` is an absolute URI (RFC 3986 characters only, and one the `url` crate
/// parses) of a scheme [`Resource`] does not read: not `acct`, `http` or `https`.
fn is_uri_of_unknown_scheme(input: &str) -> bool {
    let input = input.trim();
    let uri_chars = input
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b));
    uri_chars && Url::parse(input).is_ok_and(|u| !matches!(u.scheme(), "acct" | "http" | "https"))
}

impl Query {
    /// Parses a query string (`resource=…&rel=…`, form-urlencoded).
    pub fn parse(query: Option<&str>) -> Result<Self, QueryError> {
        let mut resource = None;
        let mut rels = Vec::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "resource" => {
                    if resource.is_some() {
                        return Err(QueryError::DuplicateResource);
                    }
                    resource = Some(v.into_owned());
                }
                "rel" => rels.push(v.into_owned()),
                _ => {}
            }
        }
        let resource = resource.ok_or(QueryError::MissingResource)?;
        let resource = Resource::parse(&resource).map_err(|e| match e {
            Error::InvalidResource(ResourceErrorKind::UnsupportedScheme)
                if is_uri_of_unknown_scheme(&resource) =>
            {
                QueryError::UnknownScheme
            }
            _ => QueryError::InvalidResource,
        })?;
        Ok(Self { resource, rels })
    }
}

/// Answers a WebFinger query string: `lookup` gets the parsed resource and returns the
/// account's JRD (or anything that turns into one), or `None` for an unknown resource.
///
/// `200` with `Content-Type: application/jrd+json; charset=utf-8` and the links filtered by
/// the `rel` parameters (`"links":[]` when none matches); `400` for a missing or malformed
/// `resource`; `404` for an unknown one, and without calling `lookup` for a URI of another
/// scheme (`mailto:…`), which this server has no information about (RFC 7033 §4.5).
/// Every answer carries `Access-Control-Allow-Origin: *`.
pub fn respond_to_query<F, J>(query: Option<&str>, lookup: F) -> Response<Vec<u8>>
where
    F: FnOnce(&Resource) -> Option<J>,
    J: Into<Jrd>,
{
    let query = match Query::parse(query) {
        Ok(q) => q,
        Err(e) => return text(e.status(), e.message()),
    };
    match lookup(&query.resource) {
        Some(found) => {
            let mut jrd: Jrd = found.into();
            jrd.retain_rels(&query.rels);
            response(StatusCode::OK, JRD_CONTENT_TYPE, jrd.to_vec())
        }
        None => text(StatusCode::NOT_FOUND, NOT_FOUND_MESSAGE),
    }
}

/// Answers a WebFinger request (see [`respond_to_query`]). `GET` and `HEAD` are answered
/// (`HEAD` with an empty body); other methods get `405`.
///
/// ```
/// use webfinger::server::{respond, AccountDescriptor};
/// use webfinger::{Account, Resource};
///
/// let req = http::Request::get("/.well-known/webfinger?resource=acct%3Aalice%40example.com")
///     .body(())?;
/// let res = respond(&req, |r: &Resource| {
///     let account = r.as_account()?;
///     (account.user() == "alice" && account.host() == "example.com").then(|| {
///         AccountDescriptor::new(account.clone(), "https://example.com/users/alice".parse().unwrap())
///     })
/// });
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "application/jrd+json; charset=utf-8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn respond<B, F, J>(request: &Request<B>, lookup: F) -> Response<Vec<u8>>
where
    F: FnOnce(&Resource) -> Option<J>,
    J: Into<Jrd>,
{
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let mut res = respond_to_query(request.uri().query(), lookup);
    if head {
        res.body_mut().clear();
    }
    res
}

/// Answers a WebFinger request for a server's local accounts (see [`respond`]): the first
/// account that [matches](AccountDescriptor::matches) the queried resource gets its JRD;
/// any other resource gets `404`.
///
/// ```
/// use webfinger::server::{respond_for_accounts, AccountDescriptor};
/// use webfinger::Account;
///
/// let alice = AccountDescriptor::new(
///     Account::parse("alice@example.com")?,
///     "https://example.com/users/alice".parse()?,
/// );
/// let req = http::Request::get("/.well-known/webfinger?resource=acct%3AAlice%40example.com")
///     .body(())?;
/// let res = respond_for_accounts(&req, &[alice]);
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "application/jrd+json; charset=utf-8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn respond_for_accounts<B>(
    request: &Request<B>,
    accounts: &[AccountDescriptor],
) -> Response<Vec<u8>> {
    respond(request, |r: &Resource| {
        accounts.iter().find(|a| a.matches(r)).cloned()
    })
}

/// The `lrdd` template for a server: `{origin}/.well-known/webfinger?resource={uri}`.
pub fn lrdd_template(base: &Url) -> String {
    format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        base.origin().ascii_serialization()
    )
}

/// The host-meta document for a server, as a JRD with the `lrdd` template.
pub fn host_meta_jrd(base: &Url) -> Jrd {
    let mut jrd = Jrd::default();
    jrd.links
        .push(Link::new(rel::LRDD).with_template(lrdd_template(base)));
    jrd
}

/// Answers `/.well-known/host-meta` with Mastodon's XRD: one `lrdd` link whose template
/// points at this server's WebFinger endpoint.
pub fn host_meta_response(base: &Url) -> Response<Vec<u8>> {
    response(
        StatusCode::OK,
        XRD_CONTENT_TYPE,
        to_xrd(&host_meta_jrd(base)).into_bytes(),
    )
}

/// Answers `/.well-known/host-meta.json` with the JRD form.
pub fn host_meta_json_response(base: &Url) -> Response<Vec<u8>> {
    response(
        StatusCode::OK,
        JRD_CONTENT_TYPE,
        host_meta_jrd(base).to_vec(),
    )
}
