//! The server's one route table: every path it answers (federation, web pages, the client API,
//! OAuth, streaming), what answers it, and whether browsers on other origins may call it
//! (CORS). Paths are matched by [`matchit`] (the radix-tree router axum uses), once per
//! request; the method is checked by whoever answers the route, because a wrong method gets a
//! different answer in each family (an HTML 404 or a `405` for pages and federation, a JSON
//! 404 for the API).
//!
//! The CORS step for every response is here too ([`cors_preflight`], [`allow_cross_origin`]):
//! the paths open to other origins are those Mastodon opens (`/api/*`, `/oauth/token`,
//! `/oauth/revoke`, `/.well-known/*`).

use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

/// A page or federation endpoint (answered by `http`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// `/`: the local timeline page.
    Home,
    /// `/.well-known/webfinger`.
    WebFinger,
    /// `/.well-known/host-meta` (XML).
    HostMeta,
    /// `/.well-known/host-meta.json`.
    HostMetaJson,
    /// `/.well-known/nodeinfo`.
    NodeinfoDiscovery,
    /// `/nodeinfo/{version}`.
    Nodeinfo,
    /// `/actor`: the instance actor.
    InstanceActor,
    /// `/actor/outbox`.
    InstanceOutbox,
    /// `/inbox` and `/actor/inbox`.
    SharedInbox,
    /// `/users/{name}`: actor or profile page.
    User,
    /// `/users/{name}/inbox`.
    UserInbox,
    /// `/users/{name}/outbox`.
    UserOutbox,
    /// `/users/{name}/followers`.
    UserFollowers,
    /// `/users/{name}/following`.
    UserFollowing,
    /// `/users/{name}/collections/featured`.
    UserFeatured,
    /// `/users/{name}/statuses/{id}`: a status or its page.
    UserStatus,
    /// `/users/{name}/statuses/{id}/activity`.
    UserStatusActivity,
    /// `/users/{name}/statuses/{id}/quote_authorizations/{qid}`: a `QuoteAuthorization`.
    QuoteAuthorization,
    /// `/@{name}`: profile page or actor.
    AtUser,
    /// `/@{name}/{id}`: status page or status.
    AtUserStatus,
    /// `/tags/{tag}`: a hashtag page.
    Tag,
    /// `/media/{*key}`: a file of the media store.
    Media,
    /// `/emojis/{shortcode}`: a local custom emoji's `Emoji` document.
    Emoji,
    /// `/avatars/original/missing.png`: the default avatar.
    MissingAvatar,
    /// `/headers/original/missing.png`: the default header.
    MissingHeader,
}

/// A client-API or OAuth endpoint (answered by `api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is named after its path, given beside it in `TABLE`
pub(crate) enum Api {
    /// Any other path under `/api`, `/oauth` (a JSON 404).
    Unknown,
    OAuthMetadata,
    OAuthAuthorize,
    OAuthToken,
    OAuthRevoke,
    Apps,
    AppsVerify,
    Instance,
    InstancePeers,
    InstanceActivity,
    InstanceRules,
    InstanceExtendedDescription,
    InstanceDomainBlocks,
    InstanceTranslationLanguages,
    InstanceLanguages,
    CustomEmojis,
    Preferences,
    AccountsVerify,
    AccountsUpdate,
    AccountsRelationships,
    AccountsLookup,
    AccountsSearch,
    AccountsFamiliarFollowers,
    Accounts,
    Account,
    AccountStatuses,
    AccountFollowers,
    AccountFollowing,
    AccountFeaturedTags,
    AccountLists,
    AccountAction,
    FollowRequests,
    FollowRequestAuthorize,
    FollowRequestReject,
    Blocks,
    Mutes,
    Statuses,
    Status,
    StatusContext,
    StatusFavouritedBy,
    StatusRebloggedBy,
    StatusHistory,
    StatusSource,
    StatusCard,
    StatusAction,
    TimelineHome,
    TimelinePublic,
    TimelineTag,
    TimelineList,
    Favourites,
    Notifications,
    NotificationsUnreadCount,
    NotificationsPolicy,
    NotificationsRequests,
    NotificationsRequestsAccept,
    NotificationsRequestsDismiss,
    NotificationsRequestsMerged,
    NotificationRequest,
    NotificationRequestAccept,
    NotificationRequestDismiss,
    NotificationsClear,
    NotificationsDismiss,
    Notification,
    NotificationDismiss,
    Search,
    TagInfo,
    Lists,
    List,
    ListAccounts,
    Filters,
    /// `/api/v1/filters/{id}`.
    Filter,
    Bookmarks,
    Conversations,
    Conversation,
    ConversationRead,
    DomainBlocks,
    Endorsements,
    FeaturedTags,
    FeaturedTagSuggestions,
    FollowedTags,
    ScheduledStatuses,
    /// `/settings/imports`.
    SettingsImports,
    /// `/settings/imports/{id}`.
    SettingsImport,
    /// `/settings/imports/{id}/failures.csv`.
    SettingsImportFailures,
    /// `/api/v1/scheduled_statuses/{id}`.
    ScheduledStatus,
    Announcements,
    Suggestions,
    Markers,
    Trends,
    TrendsTags,
    TrendsStatuses,
    TrendsLinks,
    Directory,
    PushSubscription,
    Media,
    MediaItem,
    Reports,
    AdminReports,
    AdminReport,
    AdminReportAction,
    Poll,
    PollVotes,
    /// `/api/v1/admin/domain_blocks`.
    AdminDomainBlocks,
    /// `/api/v1/admin/domain_blocks/{id}`.
    AdminDomainBlock,
    /// `/api/v1/admin/domain_allows`.
    AdminDomainAllows,
    /// `/api/v1/admin/domain_allows/{id}`.
    AdminDomainAllow,
    V2Instance,
    V2Search,
    V2Notifications,
    V2NotificationsUnreadCount,
    V2NotificationsPolicy,
    V2NotificationGroup,
    V2NotificationGroupAccounts,
    V2NotificationGroupDismiss,
    V2Filters,
    V2Filter,
    V2FilterKeywords,
    V2FilterKeyword,
    V2FilterStatuses,
    V2FilterStatus,
    V2Suggestions,
    V2Media,
    ProfileAvatar,
    ProfileHeader,
    AdminAccountApprove,
    AdminAccountReject,
    AdminAccounts,
    AdminAccount,
    AdminAccountAction,
    V2AdminAccounts,
    /// `/settings/exports/{file}`: a CSV export (issue #19).
    ExportCsv,
    /// `/settings/export`: the account archive's state, and its request.
    ExportArchive,
    /// `/settings/exports/archive/{id}`: an archive's file.
    ExportArchiveFile,
}

/// What a path leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// A page or federation endpoint.
    Site(Site),
    /// A client-API or OAuth endpoint (its body collected).
    Api(Api),
    /// `/api/v1/streaming…`: server-sent events or a WebSocket, given the raw request.
    Streaming,
}

/// Every path the server answers. Static segments win over parameters, so
/// `/api/v1/accounts/verify_credentials` is not taken for an account id.
const TABLE: &[(&str, Route)] = {
    use Api as A;
    use Route::{Api as R, Site as S};
    &[
        ("/", S(Site::Home)),
        ("/.well-known/webfinger", S(Site::WebFinger)),
        ("/.well-known/host-meta", S(Site::HostMeta)),
        ("/.well-known/host-meta.json", S(Site::HostMetaJson)),
        ("/.well-known/nodeinfo", S(Site::NodeinfoDiscovery)),
        (
            "/.well-known/oauth-authorization-server",
            R(A::OAuthMetadata),
        ),
        ("/nodeinfo/{version}", S(Site::Nodeinfo)),
        ("/actor", S(Site::InstanceActor)),
        ("/actor/outbox", S(Site::InstanceOutbox)),
        ("/actor/inbox", S(Site::SharedInbox)),
        ("/inbox", S(Site::SharedInbox)),
        ("/users/{name}", S(Site::User)),
        ("/users/{name}/inbox", S(Site::UserInbox)),
        ("/users/{name}/outbox", S(Site::UserOutbox)),
        ("/users/{name}/followers", S(Site::UserFollowers)),
        ("/users/{name}/following", S(Site::UserFollowing)),
        ("/users/{name}/collections/featured", S(Site::UserFeatured)),
        ("/users/{name}/statuses/{id}", S(Site::UserStatus)),
        (
            "/users/{name}/statuses/{id}/activity",
            S(Site::UserStatusActivity),
        ),
        (
            "/users/{name}/statuses/{id}/quote_authorizations/{qid}",
            S(Site::QuoteAuthorization),
        ),
        ("/@{name}", S(Site::AtUser)),
        ("/@{name}/{id}", S(Site::AtUserStatus)),
        ("/tags/{tag}", S(Site::Tag)),
        ("/media/{*key}", S(Site::Media)),
        ("/emojis/{shortcode}", S(Site::Emoji)),
        ("/avatars/original/missing.png", S(Site::MissingAvatar)),
        ("/headers/original/missing.png", S(Site::MissingHeader)),
        // OAuth.
        ("/oauth/authorize", R(A::OAuthAuthorize)),
        ("/oauth/token", R(A::OAuthToken)),
        ("/oauth/revoke", R(A::OAuthRevoke)),
        ("/oauth/{*rest}", R(A::Unknown)),
        // Streaming.
        ("/api/v1/streaming", Route::Streaming),
        ("/api/v1/streaming/{*stream}", Route::Streaming),
        // Client API v1.
        ("/api", R(A::Unknown)),
        ("/api/{*rest}", R(A::Unknown)),
        ("/api/v1/apps", R(A::Apps)),
        ("/api/v1/apps/verify_credentials", R(A::AppsVerify)),
        ("/api/v1/instance", R(A::Instance)),
        ("/api/v1/instance/peers", R(A::InstancePeers)),
        ("/api/v1/instance/activity", R(A::InstanceActivity)),
        ("/api/v1/instance/rules", R(A::InstanceRules)),
        (
            "/api/v1/instance/extended_description",
            R(A::InstanceExtendedDescription),
        ),
        ("/api/v1/instance/domain_blocks", R(A::InstanceDomainBlocks)),
        (
            "/api/v1/instance/translation_languages",
            R(A::InstanceTranslationLanguages),
        ),
        ("/api/v1/instance/languages", R(A::InstanceLanguages)),
        ("/api/v1/custom_emojis", R(A::CustomEmojis)),
        ("/api/v1/preferences", R(A::Preferences)),
        ("/api/v1/accounts", R(A::Accounts)),
        ("/api/v1/accounts/verify_credentials", R(A::AccountsVerify)),
        ("/api/v1/accounts/update_credentials", R(A::AccountsUpdate)),
        (
            "/api/v1/accounts/relationships",
            R(A::AccountsRelationships),
        ),
        ("/api/v1/accounts/lookup", R(A::AccountsLookup)),
        ("/api/v1/accounts/search", R(A::AccountsSearch)),
        (
            "/api/v1/accounts/familiar_followers",
            R(A::AccountsFamiliarFollowers),
        ),
        ("/api/v1/accounts/{id}", R(A::Account)),
        ("/api/v1/accounts/{id}/statuses", R(A::AccountStatuses)),
        ("/api/v1/accounts/{id}/followers", R(A::AccountFollowers)),
        ("/api/v1/accounts/{id}/following", R(A::AccountFollowing)),
        (
            "/api/v1/accounts/{id}/featured_tags",
            R(A::AccountFeaturedTags),
        ),
        ("/api/v1/accounts/{id}/lists", R(A::AccountLists)),
        ("/api/v1/accounts/{id}/{action}", R(A::AccountAction)),
        ("/api/v1/follow_requests", R(A::FollowRequests)),
        (
            "/api/v1/follow_requests/{id}/authorize",
            R(A::FollowRequestAuthorize),
        ),
        (
            "/api/v1/follow_requests/{id}/reject",
            R(A::FollowRequestReject),
        ),
        ("/api/v1/blocks", R(A::Blocks)),
        ("/api/v1/mutes", R(A::Mutes)),
        ("/api/v1/statuses", R(A::Statuses)),
        ("/api/v1/statuses/{id}", R(A::Status)),
        ("/api/v1/statuses/{id}/context", R(A::StatusContext)),
        (
            "/api/v1/statuses/{id}/favourited_by",
            R(A::StatusFavouritedBy),
        ),
        (
            "/api/v1/statuses/{id}/reblogged_by",
            R(A::StatusRebloggedBy),
        ),
        ("/api/v1/statuses/{id}/history", R(A::StatusHistory)),
        ("/api/v1/statuses/{id}/source", R(A::StatusSource)),
        ("/api/v1/statuses/{id}/card", R(A::StatusCard)),
        ("/api/v1/statuses/{id}/{action}", R(A::StatusAction)),
        ("/api/v1/timelines/home", R(A::TimelineHome)),
        ("/api/v1/timelines/public", R(A::TimelinePublic)),
        ("/api/v1/timelines/tag/{tag}", R(A::TimelineTag)),
        ("/api/v1/timelines/list/{id}", R(A::TimelineList)),
        ("/api/v1/favourites", R(A::Favourites)),
        ("/api/v1/notifications", R(A::Notifications)),
        (
            "/api/v1/notifications/unread_count",
            R(A::NotificationsUnreadCount),
        ),
        ("/api/v1/notifications/policy", R(A::NotificationsPolicy)),
        (
            "/api/v1/notifications/requests",
            R(A::NotificationsRequests),
        ),
        (
            "/api/v1/notifications/requests/accept",
            R(A::NotificationsRequestsAccept),
        ),
        (
            "/api/v1/notifications/requests/dismiss",
            R(A::NotificationsRequestsDismiss),
        ),
        (
            "/api/v1/notifications/requests/merged",
            R(A::NotificationsRequestsMerged),
        ),
        (
            "/api/v1/notifications/requests/{id}",
            R(A::NotificationRequest),
        ),
        (
            "/api/v1/notifications/requests/{id}/accept",
            R(A::NotificationRequestAccept),
        ),
        (
            "/api/v1/notifications/requests/{id}/dismiss",
            R(A::NotificationRequestDismiss),
        ),
        ("/api/v1/notifications/clear", R(A::NotificationsClear)),
        ("/api/v1/notifications/dismiss", R(A::NotificationsDismiss)),
        ("/api/v1/notifications/{id}", R(A::Notification)),
        (
            "/api/v1/notifications/{id}/dismiss",
            R(A::NotificationDismiss),
        ),
        ("/api/v1/search", R(A::Search)),
        ("/api/v1/tags/{tag}", R(A::TagInfo)),
        ("/api/v1/lists", R(A::Lists)),
        ("/api/v1/lists/{id}", R(A::List)),
        ("/api/v1/lists/{id}/accounts", R(A::ListAccounts)),
        ("/api/v1/filters", R(A::Filters)),
        ("/api/v1/filters/{id}", R(A::Filter)),
        ("/api/v1/bookmarks", R(A::Bookmarks)),
        ("/api/v1/conversations", R(A::Conversations)),
        ("/api/v1/conversations/{id}", R(A::Conversation)),
        ("/api/v1/conversations/{id}/read", R(A::ConversationRead)),
        ("/api/v1/domain_blocks", R(A::DomainBlocks)),
        ("/api/v1/endorsements", R(A::Endorsements)),
        ("/api/v1/featured_tags", R(A::FeaturedTags)),
        (
            "/api/v1/featured_tags/suggestions",
            R(A::FeaturedTagSuggestions),
        ),
        ("/api/v1/followed_tags", R(A::FollowedTags)),
        ("/api/v1/scheduled_statuses", R(A::ScheduledStatuses)),
        // Mastodon's settings pages for imports (app/import, api/imports.rs).
        ("/settings/imports", R(A::SettingsImports)),
        ("/settings/imports/{id}", R(A::SettingsImport)),
        (
            "/settings/imports/{id}/failures.csv",
            R(A::SettingsImportFailures),
        ),
        ("/api/v1/scheduled_statuses/{id}", R(A::ScheduledStatus)),
        ("/api/v1/announcements", R(A::Announcements)),
        ("/api/v1/suggestions", R(A::Suggestions)),
        ("/api/v1/markers", R(A::Markers)),
        ("/api/v1/trends", R(A::Trends)),
        ("/api/v1/trends/tags", R(A::TrendsTags)),
        ("/api/v1/trends/statuses", R(A::TrendsStatuses)),
        ("/api/v1/trends/links", R(A::TrendsLinks)),
        ("/api/v1/directory", R(A::Directory)),
        ("/api/v1/push/subscription", R(A::PushSubscription)),
        ("/api/v1/media", R(A::Media)),
        ("/api/v1/media/{id}", R(A::MediaItem)),
        ("/api/v1/profile/avatar", R(A::ProfileAvatar)),
        ("/api/v1/profile/header", R(A::ProfileHeader)),
        ("/api/v1/reports", R(A::Reports)),
        ("/api/v1/admin/reports", R(A::AdminReports)),
        ("/api/v1/admin/reports/{id}", R(A::AdminReport)),
        (
            "/api/v1/admin/reports/{id}/{action}",
            R(A::AdminReportAction),
        ),
        ("/api/v1/polls/{id}", R(A::Poll)),
        ("/api/v1/polls/{id}/votes", R(A::PollVotes)),
        (
            "/api/v1/admin/accounts/{id}/approve",
            R(A::AdminAccountApprove),
        ),
        (
            "/api/v1/admin/accounts/{id}/reject",
            R(A::AdminAccountReject),
        ),
        ("/api/v1/admin/accounts", R(A::AdminAccounts)),
        ("/api/v1/admin/accounts/{id}", R(A::AdminAccount)),
        (
            "/api/v1/admin/accounts/{id}/{action}",
            R(A::AdminAccountAction),
        ),
        ("/api/v1/admin/domain_blocks", R(A::AdminDomainBlocks)),
        ("/api/v1/admin/domain_blocks/{id}", R(A::AdminDomainBlock)),
        ("/api/v1/admin/domain_allows", R(A::AdminDomainAllows)),
        ("/api/v1/admin/domain_allows/{id}", R(A::AdminDomainAllow)),
        // Client API v2.
        ("/api/v2/instance", R(A::V2Instance)),
        ("/api/v2/search", R(A::V2Search)),
        ("/api/v2/notifications", R(A::V2Notifications)),
        (
            "/api/v2/notifications/unread_count",
            R(A::V2NotificationsUnreadCount),
        ),
        ("/api/v2/notifications/policy", R(A::V2NotificationsPolicy)),
        (
            "/api/v2/notifications/{group_key}",
            R(A::V2NotificationGroup),
        ),
        (
            "/api/v2/notifications/{group_key}/accounts",
            R(A::V2NotificationGroupAccounts),
        ),
        (
            "/api/v2/notifications/{group_key}/dismiss",
            R(A::V2NotificationGroupDismiss),
        ),
        ("/api/v2/filters", R(A::V2Filters)),
        ("/api/v2/filters/{id}", R(A::V2Filter)),
        ("/api/v2/filters/{id}/keywords", R(A::V2FilterKeywords)),
        ("/api/v2/filters/{id}/statuses", R(A::V2FilterStatuses)),
        // Mastodon's paths for one keyword or status (`namespace :filters`), and the
        // underscored aliases some clients use.
        ("/api/v2/filters/keywords/{id}", R(A::V2FilterKeyword)),
        ("/api/v2/filters/statuses/{id}", R(A::V2FilterStatus)),
        ("/api/v2/filter_keywords/{id}", R(A::V2FilterKeyword)),
        ("/api/v2/filter_statuses/{id}", R(A::V2FilterStatus)),
        ("/api/v2/suggestions", R(A::V2Suggestions)),
        ("/api/v2/media", R(A::V2Media)),
        ("/api/v2/admin/accounts", R(A::V2AdminAccounts)),
        // Account exports, at Mastodon's settings paths (a bearer token for now; #20 adds the
        // web session).
        ("/settings/exports/{file}", R(A::ExportCsv)),
        ("/settings/exports/archive/{id}", R(A::ExportArchiveFile)),
        ("/settings/export", R(A::ExportArchive)),
    ]
};

fn router() -> &'static matchit::Router<Route> {
    static ROUTER: OnceLock<matchit::Router<Route>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut r = matchit::Router::new();
        for (path, route) in TABLE {
            // The table is fixed and checked by `every_path_in_the_table_is_reachable`.
            if let Err(e) = r.insert(*path, *route) {
                tracing::error!(%path, error = %e, "route table conflict");
            }
        }
        r
    })
}

/// A path matched against the table, with its parameters (raw path text, not decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched {
    /// What answers it.
    pub(crate) route: Route,
    params: Vec<(&'static str, String)>,
}

impl Matched {
    /// A parameter of the path (`""` if the route has none of that name).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Looks a path up. Client-API and OAuth paths are matched without their trailing slashes, as
/// Mastodon's router does; other paths exactly.
pub(crate) fn lookup(path: &str) -> Option<Matched> {
    let api = path.starts_with("/api/") || path.starts_with("/oauth/");
    let path = if api {
        match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        }
    } else {
        path
    };
    let m = router().at(path).ok()?;
    let params = m.params.iter().map(|(k, v)| (k, v.to_owned())).collect();
    Some(Matched {
        route: *m.value,
        params,
    })
}

/// Whether browsers on other origins may call `path` (as on Mastodon).
pub(crate) fn is_cross_origin(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/oauth/token"
        || path == "/oauth/revoke"
        || path.starts_with("/.well-known/")
}

const ALLOW_METHODS: &str = "POST, PUT, DELETE, GET, PATCH, OPTIONS";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key";
const EXPOSE_HEADERS: &str =
    "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key";

/// The answer to a CORS preflight (`OPTIONS` on a cross-origin path): `204`, the request's
/// `Access-Control-Request-Headers` allowed (or the API's usual ones), cached for two hours.
pub(crate) fn cors_preflight(request: &HeaderMap) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    allow_cross_origin(&mut r);
    let h = r.headers_mut();
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("7200"),
    );
    r
}

/// Adds the CORS headers of a cross-origin path to a response.
pub(crate) fn allow_cross_origin(response: &mut Response<Bytes>) {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills each `{param}` of a table path with a sample value.
    fn sample(path: &str) -> String {
        path.split('/')
            .map(|seg| match seg.find('{') {
                Some(i) => format!("{}x1", &seg[..i]),
                None => seg.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_path_in_the_table_is_reachable() {
        for (path, route) in TABLE {
            let probe = if *path == "/" {
                "/".to_owned()
            } else {
                sample(path)
            };
            let m = lookup(&probe).unwrap_or_else(|| panic!("{path} ({probe}) not found"));
            assert_eq!(m.route, *route, "{path} via {probe}");
        }
    }

    #[test]
    fn static_segments_win_and_params_are_read() {
        let m = lookup("/api/v1/accounts/verify_credentials").expect("in the table");
        assert_eq!(m.route, Route::Api(Api::AccountsVerify));
        let m = lookup("/api/v1/accounts/123/follow").expect("in the table");
        assert_eq!(m.route, Route::Api(Api::AccountAction));
        assert_eq!((m.param("id"), m.param("action")), ("123", "follow"));
        let m = lookup("/@alice/42").expect("in the table");
        assert_eq!(m.route, Route::Site(Site::AtUserStatus));
        assert_eq!((m.param("name"), m.param("id")), ("alice", "42"));
        assert_eq!(m.param("nope"), "");
    }

    #[test]
    fn api_paths_lose_trailing_slashes_and_others_do_not() {
        let m = lookup("/api/v1/statuses/").expect("in the table");
        assert_eq!(m.route, Route::Api(Api::Statuses));
        assert_eq!(lookup("/users/alice/"), None);
        assert_eq!(
            lookup("/api/v1/no/such/thing").expect("in the table").route,
            Route::Api(Api::Unknown)
        );
        assert_eq!(
            lookup("/api/v1/streaming/public/local")
                .expect("in the table")
                .route,
            Route::Streaming
        );
        assert_eq!(lookup("/@"), None);
        assert_eq!(lookup("/nothing-here"), None);
    }

    #[test]
    fn cross_origin_paths_are_mastodons() {
        for p in [
            "/api/v1/statuses",
            "/oauth/token",
            "/oauth/revoke",
            "/.well-known/nodeinfo",
        ] {
            assert!(is_cross_origin(p), "{p}");
        }
        for p in ["/", "/oauth/authorize", "/users/alice", "/inbox"] {
            assert!(!is_cross_origin(p), "{p}");
        }
    }
}
