//! NodeInfo 2.0 / 2.1 documents and the `/.well-known/nodeinfo` discovery document, lossless
//! like the rest of the vocabulary.

use crate::vocab::macros::record;

/// The `rel` of a NodeInfo 2.0 link.
pub const REL_2_0: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";
/// The `rel` of a NodeInfo 2.1 link.
pub const REL_2_1: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

record! {
    /// One link of the discovery document.
    pub struct NodeInfoLink {
        /// `rel` (the schema IRI, e.g. [`REL_2_1`]).
        rel: String = "rel",
        /// `href` (where the NodeInfo document is).
        href: String = "href",
    }
}

record! {
    /// The `/.well-known/nodeinfo` discovery document.
    pub struct Discovery {
        /// `links`.
        links: Vec<NodeInfoLink> = "links",
    }
}

impl Discovery {
    /// A discovery document pointing at one NodeInfo 2.1 and one 2.0 document, as Mastodon
    /// and most servers publish (2.1 first).
    pub fn new(nodeinfo_2_1: &str, nodeinfo_2_0: Option<&str>) -> Self {
        let mut links = vec![link(REL_2_1, nodeinfo_2_1)];
        if let Some(h) = nodeinfo_2_0 {
            links.push(link(REL_2_0, h));
        }
        Discovery {
            links: Some(links),
            ..Discovery::default()
        }
    }

    /// The best NodeInfo document to fetch: 2.1, then 2.0, then any other schema link.
    pub fn best_href(&self) -> Option<&str> {
        let links = self.links.as_deref().unwrap_or_default();
        let find = |rel: &str| {
            links
                .iter()
                .find(|l| l.rel.as_deref() == Some(rel))
                .and_then(|l| l.href.as_deref())
        };
        find(REL_2_1).or_else(|| find(REL_2_0)).or_else(|| {
            links
                .iter()
                .find(|l| {
                    l.rel.as_deref().is_some_and(|r| {
                        r.starts_with("http://nodeinfo.diaspora.software/ns/schema/")
                    })
                })
                .and_then(|l| l.href.as_deref())
        })
    }
}

fn link(rel: &str, href: &str) -> NodeInfoLink {
    NodeInfoLink {
        rel: Some(rel.to_owned()),
        href: Some(href.to_owned()),
        ..NodeInfoLink::default()
    }
}

record! {
    /// `software`.
    pub struct Software {
        /// `name` (lowercase, e.g. `mastodon`).
        name: String = "name",
        /// `version`.
        version: String = "version",
        /// `repository` (2.1).
        repository: String = "repository",
        /// `homepage` (2.1).
        homepage: String = "homepage",
    }
}

record! {
    /// `services`.
    pub struct Services {
        /// `inbound`.
        inbound: Vec<String> = "inbound",
        /// `outbound`.
        outbound: Vec<String> = "outbound",
    }
}

record! {
    /// `usage.users`.
    pub struct Users {
        /// `total`.
        total: u64 = "total",
        /// `activeHalfyear`.
        active_halfyear: u64 = "activeHalfyear",
        /// `activeMonth`.
        active_month: u64 = "activeMonth",
    }
}

record! {
    /// `usage`.
    pub struct Usage {
        /// `users`.
        users: Users = "users",
        /// `localPosts`.
        local_posts: u64 = "localPosts",
        /// `localComments`.
        local_comments: u64 = "localComments",
    }
}

record! {
    /// A NodeInfo 2.0 or 2.1 document.
    pub struct NodeInfo {
        /// `version` (`2.0` or `2.1`).
        version: String = "version",
        /// `software`.
        software: Software = "software",
        /// `protocols` (e.g. `activitypub`).
        protocols: Vec<String> = "protocols",
        /// `services`.
        services: Services = "services",
        /// `openRegistrations`.
        open_registrations: bool = "openRegistrations",
        /// `usage`.
        usage: Usage = "usage",
        /// `metadata` (free-form).
        metadata: serde_json::Map<String, serde_json::Value> = "metadata",
    }
}

impl crate::lenient::Tolerant for serde_json::Map<String, serde_json::Value> {
    fn from_map<'de, A: serde::de::MapAccess<'de>>(
        map: A,
    ) -> Result<crate::lenient::Parsed<Self>, A::Error> {
        use serde::Deserialize;
        Self::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(crate::lenient::Parsed::Typed)
    }
}

impl NodeInfo {
    /// A NodeInfo 2.1 document for ActivityPub software.
    pub fn new_2_1(name: &str, version: &str, open_registrations: bool) -> Self {
        NodeInfo {
            version: Some("2.1".to_owned()),
            software: Some(Software {
                name: Some(name.to_owned()),
                version: Some(version.to_owned()),
                ..Software::default()
            }),
            protocols: Some(vec!["activitypub".to_owned()]),
            services: Some(Services {
                inbound: Some(Vec::new()),
                outbound: Some(Vec::new()),
                ..Services::default()
            }),
            open_registrations: Some(open_registrations),
            usage: Some(Usage {
                users: Some(Users::default()),
                ..Usage::default()
            }),
            metadata: Some(serde_json::Map::new()),
            ..NodeInfo::default()
        }
    }

    /// Whether this looks like a NodeInfo document (`version` and `software` present).
    pub fn is_plausible(&self) -> bool {
        self.version.is_some() && self.software.is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn discovery_prefers_2_1() {
        let d: Discovery = serde_json::from_str(
            r#"{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://a.example/nodeinfo/2.0"},{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://a.example/nodeinfo/2.1"}]}"#,
        )
        .unwrap();
        assert_eq!(d.best_href(), Some("https://a.example/nodeinfo/2.1"));
    }

    #[test]
    fn builds_2_1() {
        let n = NodeInfo::new_2_1("woolly", "0.1.0", false);
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"version":"2.1","software":{"name":"woolly","version":"0.1.0"},"protocols":["activitypub"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{}}"#
        );
    }
}
