//! XRD 1.0 (the XML form of host-meta and of old WebFinger answers), read into a [`Jrd`] and
//! written from one (RFC 6415 §3.1 describes the mapping).

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::{Error, Jrd, Link};

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 32;

/// The XRD 1.0 namespace.
pub const XRD_NAMESPACE: &str = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

/// An attribute: full name, local name, unescaped value.
type Attr = (Vec<u8>, Vec<u8>, String);

#[derive(Debug)]
enum Elem {
    Xrd,
    Subject,
    Alias,
    Property { key: Option<String>, nil: bool },
    Link,
    Title { lang: String },
    LinkProperty { key: Option<String>, nil: bool },
    Other,
}

fn xml_err(e: impl std::fmt::Display) -> Error {
    Error::InvalidXrd(e.to_string())
}

fn attrs(e: &BytesStart<'_>) -> Result<Vec<Attr>, Error> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(xml_err)?;
        let value = attr.unescape_value().map_err(xml_err)?.into_owned();
        out.push((
            attr.key.as_ref().to_vec(),
            attr.key.local_name().as_ref().to_vec(),
            value,
        ));
    }
    Ok(out)
}

fn attr<'a>(attrs: &'a [Attr], local: &[u8]) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(full, _, _)| full.as_slice() == local)
        .or_else(|| attrs.iter().find(|(_, l, _)| l.as_slice() == local))
        .map(|(_, _, v)| v.as_str())
}

fn property(attrs: &[Attr]) -> (Option<String>, bool) {
    let key = attr(attrs, b"type").map(str::to_owned);
    let nil = attrs
        .iter()
        .any(|(_, l, v)| l.as_slice() == b"nil" && v.trim() == "true");
    (key, nil)
}

/// Parses an XRD document into a JRD: `Subject`, `Alias`, `Property` (with `xsi:nil`), and
/// `Link` (`rel`, `type`, `href`, `template`, `Title`, `Property`). Unknown elements are
/// skipped; namespace prefixes are ignored.
pub fn parse_xrd(bytes: &[u8]) -> Result<Jrd, Error> {
    let text = std::str::from_utf8(bytes).map_err(xml_err)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut jrd = Jrd::default();
    let mut stack: Vec<Elem> = Vec::new();
    let mut buf = String::new();
    let mut root_done = false;
    loop {
        let event = reader.read_event().map_err(xml_err)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            if root_done {
                return Err(Error::InvalidXrd("content after the root element".into()));
            }
            if stack.len() >= MAX_DEPTH {
                return Err(Error::InvalidXrd("elements nested too deeply".into()));
            }
            let name = e.local_name();
            let name = name.as_ref();
            let elem = match stack.last() {
                None if name == b"XRD" => Elem::Xrd,
                None => return Err(Error::InvalidXrd("root element is not XRD".into())),
                Some(Elem::Xrd) => match name {
                    b"Subject" => Elem::Subject,
                    b"Alias" => Elem::Alias,
                    b"Property" => {
                        let (key, nil) = property(&attrs(&e)?);
                        Elem::Property { key, nil }
                    }
                    b"Link" => {
                        let a = attrs(&e)?;
                        let mut link = Link::new(attr(&a, b"rel").unwrap_or_default());
                        link.media_type = attr(&a, b"type").map(str::to_owned);
                        link.href = attr(&a, b"href").map(str::to_owned);
                        link.template = attr(&a, b"template").map(str::to_owned);
                        jrd.links.push(link);
                        Elem::Link
                    }
                    _ => Elem::Other,
                },
                Some(Elem::Link) => match name {
                    b"Title" => {
                        let a = attrs(&e)?;
                        let lang = attr(&a, b"xml:lang").unwrap_or("und").to_owned();
                        Elem::Title { lang }
                    }
                    b"Property" => {
                        let (key, nil) = property(&attrs(&e)?);
                        Elem::LinkProperty { key, nil }
                    }
                    _ => Elem::Other,
                },
                Some(_) => Elem::Other,
            };
            buf.clear();
            if empty {
                finish(&mut jrd, elem, String::new());
                if stack.is_empty() {
                    root_done = true;
                }
            } else {
                stack.push(elem);
            }
            continue;
        }
        match event {
            Event::End(_) => {
                let elem = stack
                    .pop()
                    .ok_or_else(|| Error::InvalidXrd("unbalanced end tag".into()))?;
                finish(&mut jrd, elem, std::mem::take(&mut buf));
                if stack.is_empty() {
                    root_done = true;
                }
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(xml_err)?;
                if stack.is_empty() {
                    if t.trim().is_empty() {
                        continue;
                    }
                    return Err(Error::InvalidXrd("text outside the root element".into()));
                }
                buf.push_str(&t);
            }
            Event::CData(c) => {
                let raw = c.into_inner();
                buf.push_str(std::str::from_utf8(&raw).map_err(xml_err)?);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_done || !stack.is_empty() {
        return Err(Error::InvalidXrd("unterminated XRD document".into()));
    }
    Ok(jrd)
}

fn finish(jrd: &mut Jrd, elem: Elem, text: String) {
    match elem {
        // URIs hold no whitespace: pretty-printed ones are trimmed. Titles and property
        // values are kept exactly.
        Elem::Subject => jrd.subject = Some(text.trim().to_owned()),
        Elem::Alias => jrd.aliases.push(text.trim().to_owned()),
        Elem::Property { key: Some(k), nil } => {
            jrd.properties.insert(k, (!nil).then_some(text));
        }
        Elem::Title { lang } => {
            if let Some(link) = jrd.links.last_mut() {
                link.titles.insert(lang, text);
            }
        }
        Elem::LinkProperty { key: Some(k), nil } => {
            if let Some(link) = jrd.links.last_mut() {
                link.properties.insert(k, (!nil).then_some(text));
            }
        }
        _ => {}
    }
}

/// Writes the typed parts of a JRD as an XRD document (`extra` members have no XML form and
/// are left out).
pub fn to_xrd(jrd: &Jrd) -> String {
    let needs_xsi = jrd.properties.values().any(Option::is_none)
        || jrd
            .links
            .iter()
            .any(|l| l.properties.values().any(Option::is_none));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<XRD xmlns=\"");
    out.push_str(XRD_NAMESPACE);
    out.push('"');
    if needs_xsi {
        out.push_str(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
    }
    out.push_str(">\n");
    if let Some(s) = &jrd.subject {
        out.push_str(&format!("  <Subject>{}</Subject>\n", escape(s.as_str())));
    }
    for a in &jrd.aliases {
        out.push_str(&format!("  <Alias>{}</Alias>\n", escape(a.as_str())));
    }
    for (k, v) in &jrd.properties {
        write_property(&mut out, "  ", k, v.as_deref());
    }
    for link in &jrd.links {
        out.push_str("  <Link");
        let attrs = [
            ("rel", (!link.rel.is_empty()).then_some(link.rel.as_str())),
            ("type", link.media_type.as_deref()),
            ("href", link.href.as_deref()),
            ("template", link.template.as_deref()),
        ];
        for (name, value) in attrs {
            if let Some(v) = value {
                out.push_str(&format!(" {name}=\"{}\"", escape(v)));
            }
        }
        if link.titles.is_empty() && link.properties.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for (lang, title) in &link.titles {
            out.push_str(&format!(
                "    <Title xml:lang=\"{}\">{}</Title>\n",
                escape(lang.as_str()),
                escape(title.as_str())
            ));
        }
        for (k, v) in &link.properties {
            write_property(&mut out, "    ", k, v.as_deref());
        }
        out.push_str("  </Link>\n");
    }
    out.push_str("</XRD>\n");
    out
}

fn write_property(out: &mut String, indent: &str, key: &str, value: Option<&str>) {
    match value {
        Some(v) => out.push_str(&format!(
            "{indent}<Property type=\"{}\">{}</Property>\n",
            escape(key),
            escape(v)
        )),
        None => out.push_str(&format!(
            "{indent}<Property type=\"{}\" xsi:nil=\"true\"/>\n",
            escape(key)
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc6415_example_shape() {
        // The host-meta example of RFC 6415 §1.1.1 (facts of the spec, restated).
        let xml = br#"<?xml version='1.0' encoding='UTF-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'
     xmlns:hm='http://host-meta.net/xrd/1.0'>
  <hm:Host>example.com</hm:Host>
  <Link rel='copyright' href='http://example.com/copyright' />
  <Link rel='lrdd' type='application/xrd+xml'
        template='http://example.com/lrdd?uri={uri}'>
    <Title xml:lang='en'>Resource Descriptor</Title>
  </Link>
</XRD>"#;
        let jrd = parse_xrd(xml).unwrap();
        assert_eq!(jrd.links.len(), 2);
        assert_eq!(
            jrd.links[0].href.as_deref(),
            Some("http://example.com/copyright")
        );
        assert_eq!(
            jrd.lrdd_template(),
            Some("http://example.com/lrdd?uri={uri}")
        );
        assert_eq!(
            jrd.links[1].titles.get("en").map(String::as_str),
            Some("Resource Descriptor")
        );
    }

    #[test]
    fn write_then_read() {
        let mut jrd = Jrd::new("acct:a&b@example.com");
        jrd.aliases.push("https://example.com/@a<b>".into());
        jrd.properties.insert("http://p/\"q\"".into(), None);
        jrd.properties
            .insert("http://p/r".into(), Some("x & y".into()));
        let mut link = Link::new("lrdd").with_template("https://example.com/wf?a=1&resource={uri}");
        link.titles.insert("en".into(), "T'".into());
        link.properties.insert("k".into(), None);
        jrd.links.push(link);
        jrd.links
            .push(Link::new("self").with_href("https://example.com/u"));
        let xml = to_xrd(&jrd);
        assert!(xml.contains("template=\"https://example.com/wf?a=1&amp;resource={uri}\""));
        assert_eq!(parse_xrd(xml.as_bytes()).unwrap(), jrd);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"<notxrd/>",
            b"<XRD><Link></XRD>",
            b"<XRD>",
            b"<XRD/><XRD/>",
            b"\xff\xfe",
            b"<XRD><Subject>&bogus;</Subject></XRD>",
        ] {
            assert!(
                parse_xrd(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut xml = String::from("<XRD>");
        for _ in 0..100 {
            xml.push_str("<a>");
        }
        assert!(matches!(
            parse_xrd(xml.as_bytes()),
            Err(Error::InvalidXrd(_))
        ));
    }
}
