"""A real Mastodon client against Woolly: Mastodon.py (PyPI, pinned in requirements.txt)
driving two `woolly serve` instances on loopback, as an app would.

Run by reference-server/tests/mastodon_py.rs, which starts the servers and passes:

    python test_mastodon_py.py --a http://127.0.0.2:PORT --user alice --password P \
        --b http://127.0.0.3:PORT --b-token TOKEN_OF_BOB

Steps: register an app; the authorization-code flow (this script fetches /oauth/authorize,
fills in and submits the sign-in form, reads `code` and `state` from the redirect); post with
each visibility and a content warning; reply; favourite; boost; search and resolve bob on the
second instance and follow him; read home, public and tag timelines and notifications; upload
an image with a description and a focal point and post it, filter with `only_media`, set an
avatar; lists and conversations; edit and delete; receive a live `update` on the streaming API;
bookmarks, read markers and scheduled statuses (`saving`); a report and the admin reports API
(`reports_and_admin`, with `--admin-token`). Every step checks the returned
entities' fields. Exit status 0 on success; an AssertionError (with context) otherwise.
Every wait is bounded.
"""

import argparse
import html.parser
import struct
import sys
import threading
import time
import urllib.parse
import zlib

import requests
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError, StreamListener

REDIRECT = "http://127.0.0.1/woolly-client-test/callback"
SCOPES = ["read", "write", "follow", "push"]
TIMEOUT = 30.0


START = time.monotonic()


def step(name):
    print(f"-- [{time.monotonic() - START:6.2f} s] {name}", flush=True)


def poll(what, fn, timeout=TIMEOUT):
    """Calls fn every 0.2 s until it returns something truthy; bounded in time and count."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.2) + 1):
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {what}")


def png(width, height):
    """An RGB PNG of a gradient, written with the standard library."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\0" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 90))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def text(html_content):
    """Content HTML to plain text."""

    class P(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.out = []

        def handle_data(self, data):
            self.out.append(data)

    p = P()
    p.feed(html_content or "")
    return "".join(p.out)


class FormParser(html.parser.HTMLParser):
    """The first <form> of a page: its action, method and inputs."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.method = "get"
        self.fields = {}
        self.in_form = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done:
            self.in_form = True
            self.action = a.get("action")
            self.method = (a.get("method") or "get").lower()
        elif tag == "input" and self.in_form and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def authorize(base, client_id, username, password):
    """The authorization-code flow, as a browser would do it: returns the code."""
    api = Mastodon(client_id=client_id, client_secret="unused", api_base_url=base)
    url = api.auth_request_url(
        redirect_uris=REDIRECT, scopes=SCOPES, state="state-123", allow_http=True
    )
    parsed = urllib.parse.urlparse(url)
    assert parsed.path == "/oauth/authorize", url
    session = requests.Session()
    page = session.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    assert page.headers.get("content-type", "").startswith("text/html"), page.headers
    form = FormParser()
    form.feed(page.text)
    assert form.action, f"no sign-in form on {url}: {page.text[:500]}"
    assert form.method == "post", form.method
    assert "password" in form.fields or "password" in page.text, form.fields
    fields = dict(form.fields)
    fields.update({"username": username, "password": password, "decision": "approve"})
    # A wrong password first: the form comes back, no redirect.
    bad = session.post(
        urllib.parse.urljoin(url, form.action),
        data={**fields, "password": "wrong"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert bad.status_code in (200, 401, 403, 422), (bad.status_code, bad.text[:300])
    assert "location" not in {k.lower() for k in bad.headers}, bad.headers
    done = session.post(
        urllib.parse.urljoin(url, form.action), data=fields, allow_redirects=False, timeout=TIMEOUT
    )
    assert done.status_code in (302, 303), (done.status_code, done.text[:500])
    location = done.headers["Location"]
    assert location.startswith(REDIRECT), location
    q = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    assert q.get("state") == ["state-123"], location
    assert q.get("code") and q["code"][0], location
    return q["code"][0]


class Collector(StreamListener):
    def __init__(self):
        super().__init__()
        self.updates = []
        self.event = threading.Event()

    def on_update(self, status):
        self.updates.append(status)
        self.event.set()


def lists_and_conversations(api, bob, args, me, bob_acc, a_domain, b_domain):
    """Lists (CRUD, accounts, a remote member's post in the list timeline, errors) and
    conversations (a direct message from the other instance, read, hidden)."""
    step("lists")
    lst = api.list_create("From B", replies_policy="followed", exclusive=False)
    assert lst.title == "From B" and lst.replies_policy == "followed", lst
    assert lst.exclusive is False, lst
    assert lst.id in [x.id for x in api.lists()], api.lists()
    api.list_accounts_add(lst.id, [bob_acc.id])
    members = api.list_accounts(lst.id)
    assert [m.acct for m in members] == [f"bob@{b_domain}"], members
    assert [x.id for x in api.account_lists(bob_acc.id)] == [lst.id]
    renamed = api.list_update(lst.id, "Friends on B", replies_policy="list", exclusive=True)
    assert renamed.title == "Friends on B" and renamed.exclusive is True, renamed
    assert api.list(lst.id).replies_policy == "list"
    try:
        api.list_accounts_add(lst.id, [me.id, bob_acc.id])
        raise AssertionError("an account was added twice")
    except AssertionError:
        raise
    except Exception as e:  # Mastodon.py's API error for the 422
        assert "already been taken" in str(e), e
    listed = bob.status_post("For alice's list")
    got = poll(
        "bob's post in the list timeline",
        lambda: [s for s in api.timeline_list(lst.id, limit=40) if s.uri == listed.uri],
    )
    assert got[0].account.acct == f"bob@{b_domain}", got[0].account
    api.list_accounts_delete(lst.id, [bob_acc.id])
    assert list(api.list_accounts(lst.id)) == []
    api.list_delete(lst.id)
    try:
        api.list(lst.id)
        raise AssertionError("a deleted list is still there")
    except MastodonNotFoundError:
        pass

    step("conversations")
    dm = bob.status_post(f"@{args.user}@{a_domain} just for you", visibility="direct")
    conv = poll(
        "bob's direct message is a conversation",
        lambda: [c for c in api.conversations() if c.last_status and c.last_status.uri == dm.uri],
    )[0]
    assert conv.unread is True, conv
    assert [a.acct for a in conv.accounts] == [f"bob@{b_domain}"], conv.accounts
    read = api.conversations_read(conv.id)
    assert read.id == conv.id and read.unread is False, read
    hidden = requests.delete(
        f"{args.a}/api/v1/conversations/{conv.id}",
        headers={"Authorization": f"Bearer {api.access_token}"},
        timeout=TIMEOUT,
    )
    assert hidden.status_code == 200 and hidden.json() == {}, hidden.text
    assert conv.id not in [c.id for c in api.conversations()]


def grouped_notifications_and_requests(api, bob, user, a_domain, b_domain):
    """Grouped notifications, the notification policy and requests (Mastodon 4.3)."""
    step("grouped notifications, notification policy and requests")
    res = api.grouped_notifications(limit=40)
    by_type = {g.type: g for g in res.notification_groups}
    assert {"favourite", "mention"} <= set(by_type), res.notification_groups
    fav = by_type["favourite"]
    assert fav.group_key.startswith("favourite-"), fav.group_key
    assert fav.notifications_count >= 1 and fav.page_max_id, fav
    named = {str(a.id) for a in res.accounts} | {str(a.id) for a in (res.partial_accounts or [])}
    for g in res.notification_groups:
        assert {str(i) for i in g.sample_account_ids} <= named, (g, named)
    assert str(fav.status_id) in {str(s.id) for s in res.statuses}, res.statuses
    assert len({str(s.id) for s in res.statuses}) == len(res.statuses), "statuses once each"
    one = api.grouped_notification(fav.group_key)
    assert [g.group_key for g in one.notification_groups] == [fav.group_key], one
    who = api.grouped_notification_accounts(fav.group_key)
    assert f"bob@{b_domain}" in [a.acct for a in who], who
    assert api.unread_grouped_notifications_count() >= 2
    first = api.grouped_notifications(limit=1, expand_accounts="full")
    assert len(first.notification_groups) == 1 and first.partial_accounts is None, first
    second = api.fetch_next(first)
    assert second and len(second.notification_groups) == 1, second
    assert second.notification_groups[0].group_key != first.notification_groups[0].group_key

    policy = api.notifications_policy()
    assert policy.for_private_mentions == "filter" and policy.for_not_following == "accept", policy
    assert policy.summary.pending_requests_count == 0, policy.summary
    updated = api.update_notifications_policy(for_new_accounts="filter")
    assert updated.for_new_accounts == "filter", updated
    api.update_notifications_policy(for_new_accounts="accept")

    # bob does not follow alice: her private mention waits in a request on B.
    dm = api.status_post(f"@bob@{b_domain} just between us", visibility="direct")
    req = poll(
        "B: bob's notification request from alice",
        lambda: [r for r in bob.notification_requests() if r.account.acct == f"{user}@{a_domain}"],
    )[0]
    assert req.last_status.uri == dm.uri, req.last_status
    assert str(req.notifications_count) == "1", req.notifications_count
    assert bob.notification_request(req.id).id == req.id
    assert bob.notifications_policy().summary.pending_requests_count == 1
    assert not [n for n in bob.notifications(types=["mention"]) if n.status and n.status.uri == dm.uri]
    bob.accept_notification_request(req.id)
    assert bob.notifications_merged() is True
    assert [n for n in bob.notifications(types=["mention"]) if n.status and n.status.uri == dm.uri]
    assert bob.notification_requests() == []

    api.dismiss_grouped_notification(fav.group_key)
    after = api.grouped_notifications(limit=40)
    assert fav.group_key not in [g.group_key for g in after.notification_groups], after


def check_polls(api, bob):
    """A poll made with Mastodon.py on A, read and voted in from B, counted on A."""
    step("polls: create, read, vote from the other instance")
    st = api.status_post(
        "Mastodon.py asks: which ones?",
        poll=api.make_poll(["one", "two", "three"], expires_in=600, multiple=True),
    )
    assert [o.title for o in st.poll.options] == ["one", "two", "three"], st.poll
    assert st.poll.multiple is True and st.poll.expired is False, st.poll
    assert st.poll.votes_count == 0 and st.poll.voters_count == 0, st.poll
    assert str(st.poll.id) == str(st.id), st.poll
    assert api.poll(st.poll.id).options[1].votes_count == 0
    found = bob.search_v2(st.uri, resolve=True, result_type="statuses").statuses
    assert found and found[0].poll is not None, found
    on_b = found[0].poll
    assert [o.title for o in on_b.options] == ["one", "two", "three"], on_b
    voted = bob.poll_vote(on_b.id, [0, 2])
    assert voted.voted is True and list(voted.own_votes) == [0, 2], voted
    try:
        bob.poll_vote(on_b.id, [1])
        raise AssertionError("a second vote was accepted")
    except AssertionError:
        raise
    except Exception as e:  # Mastodon.py's API error for the 422
        assert "422" in str(e) or "already voted" in str(e), e
    counted = poll(
        "A counts bob's votes",
        lambda: (lambda p: p if p.votes_count == 2 else None)(api.poll(st.poll.id)),
    )
    assert [o.votes_count for o in counted.options] == [1, 0, 1], counted
    assert counted.voters_count == 1, counted
def quote_posts(api):
    """Mastodon 4.5 quotes: `quoted_status_id`, the `quote` and `quote_approval` entities."""
    step("quote posts")
    orig = api.status_post("Worth quoting")
    assert orig.quote is None, orig.quote
    assert list(orig.quote_approval.automatic) == ["public"], orig.quote_approval
    q = api.status_post("Quoting it", quoted_status_id=orig.id)
    assert q.quote.state == "accepted", q.quote
    assert q.quote.quoted_status.id == orig.id, q.quote
    assert "quote-inline" in q.content, q.content
    again = api.status(q.id)
    assert again.quote.quoted_status.content == orig.content, again.quote
def check_custom_emojis(anon, api):
    """`custom_emojis()` lists the emoji the driver added (`woolly emoji add woolly_sheep`),
    and a toot naming it carries it in `emojis`."""
    step("custom emoji")
    emojis = anon.custom_emojis()
    sheep = [e for e in emojis if e.shortcode == "woolly_sheep"]
    assert sheep, emojis
    assert sheep[0].url and sheep[0].url == sheep[0].static_url, sheep[0]
    assert sheep[0].visible_in_picker is True, sheep[0]
    st = api.status_post("Baa :woolly_sheep:", visibility="unlisted")
    assert [e.shortcode for e in st.emojis] == ["woolly_sheep"], st.emojis
    assert st.emojis[0].url == sheep[0].url, st.emojis


def sign_up(args):
    """POST /api/v1/accounts with open registrations: a new account signs in at once, and a
    reserved name gets Mastodon's detailed error."""
    step("sign up (open registrations)")
    client_id, client_secret = Mastodon.create_app("woolly-signup-test", api_base_url=args.a)
    fresh = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=args.a)
    token = fresh.create_account(
        "newcomer", "long-enough-pw", "newcomer@example.invalid", agreement=True, locale="en"
    )
    assert token
    me = fresh.account_verify_credentials()
    assert me.username == "newcomer", me
    other = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=args.a)
    token, err = other.create_account(
        "Admin", "long-enough-pw", "admin@example.invalid", agreement=True,
        return_detailed_error=True,
    )
    assert token is None, token
    assert err["error"] == "Validation failed: Username is reserved", err
    assert err["details"]["username"][0]["error"] == "ERR_RESERVED", err
    assert err["details"]["username"][0]["description"] == "is reserved", err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--b-token", required=True)
    ap.add_argument("--admin-token", required=True)
    args = ap.parse_args()
    a_domain = urllib.parse.urlparse(args.a).netloc
    b_domain = urllib.parse.urlparse(args.b).netloc

    step("instance")
    anon = Mastodon(api_base_url=args.a)
    inst = anon.instance_v1()
    assert inst.version.startswith("4."), inst.version
    assert "Woolly" in inst.version, inst.version
    assert inst.urls.streaming_api, inst.urls

    step("register an app")
    client_id, client_secret = Mastodon.create_app(
        "woolly-client-test",
        scopes=SCOPES,
        redirect_uris=REDIRECT,
        website="https://example.invalid/woolly-client-test",
        api_base_url=args.a,
    )
    assert client_id and client_secret

    step("authorization-code flow (sign-in form)")
    code = authorize(args.a, client_id, args.user, args.password)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=args.a)
    token = api.log_in(code=code, redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    assert token
    app = api.app_verify_credentials()
    assert app.name == "woolly-client-test", app
    me = api.account_verify_credentials()
    assert me.username == args.user and me.acct == args.user, me
    assert me.source is not None and "privacy" in me.source, me.source
    assert me.url == f"{args.a}/@{args.user}", me.url

    step("post with each visibility and a content warning")
    posts = {}
    for vis in ["public", "unlisted", "private", "direct"]:
        body = f"Mastodon.py says hello ({vis}) #WoollyPy"
        if vis == "direct":
            body = f"@{args.user} a note to myself (direct)"
        st = api.status_post(body, visibility=vis, language="en")
        assert st.visibility == vis, (vis, st.visibility)
        assert st.account.id == me.id, st.account
        assert st.language == "en", st.language
        assert st.uri.startswith(f"{args.a}/users/{args.user}/statuses/"), st.uri
        assert isinstance(st.id, (int, str)), st.id
        if vis != "direct":
            assert "Mastodon.py says hello" in text(st.content), st.content
            assert [t.name.lower() for t in st.tags] == ["woollypy"], st.tags
        posts[vis] = st
    cw = api.status_post("The butler did it", spoiler_text="Spoilers", sensitive=True)
    assert cw.spoiler_text == "Spoilers" and cw.sensitive is True, cw
    pub = posts["public"]

    step("reply")
    reply = api.status_post("A reply to myself", in_reply_to_id=pub.id)
    assert reply.in_reply_to_id == pub.id, reply.in_reply_to_id
    assert reply.in_reply_to_account_id == me.id
    ctx = api.status_context(pub.id)
    assert reply.id in [s.id for s in ctx.descendants], ctx
    assert api.status(pub.id).replies_count == 1

    step("favourite and boost")
    fav = api.status_favourite(pub.id)
    assert fav.favourited is True and fav.favourites_count == 1, fav
    boost = api.status_reblog(pub.id)
    assert boost.reblog is not None and boost.reblog.id == pub.id, boost
    assert boost.reblog.reblogged is True and boost.reblog.reblogs_count == 1, boost.reblog
    assert [a.id for a in api.status_favourited_by(pub.id)] == [me.id]
    try:
        api.status_reblog(posts["private"].id)
        raise AssertionError("a followers-only status was boosted")
    except AssertionError:
        raise
    except Exception as e:  # Mastodon.py raises its API error for the 4xx
        assert "40" in str(e) or "42" in str(e), e

    step("search and resolve a remote account; follow it")
    res = api.search_v2(f"@bob@{b_domain}", resolve=True, result_type="accounts")
    bobs = [x for x in res.accounts if x.acct == f"bob@{b_domain}"]
    assert len(bobs) == 1, res
    bob_acc = bobs[0]
    assert bob_acc.username == "bob" and bob_acc.url == f"{args.b}/@bob", bob_acc
    rel = api.account_follow(bob_acc.id)
    assert rel.id == bob_acc.id
    poll("the follow of bob is accepted", lambda: api.account_relationships(bob_acc.id)[0].following)

    step("the remote user posts, mentions and favourites")
    bob = Mastodon(access_token=args.b_token, api_base_url=args.b)
    alice_on_b = bob.search_v2(f"@{args.user}@{a_domain}", resolve=True, result_type="accounts").accounts
    assert alice_on_b and alice_on_b[0].acct == f"{args.user}@{a_domain}", alice_on_b
    bpost = bob.status_post(f"Hello @{args.user}@{a_domain} from B #WoollyPy")
    home = poll(
        "bob's post in the home timeline",
        lambda: [s for s in api.timeline_home(limit=40) if s.uri == bpost.uri],
    )
    assert home[0].account.acct == f"bob@{b_domain}", home[0].account
    assert "from B" in text(home[0].content), home[0].content
    pub_on_b = bob.search_v2(pub.uri, resolve=True, result_type="statuses").statuses
    assert pub_on_b and pub_on_b[0].uri == pub.uri, pub_on_b
    bob.status_favourite(pub_on_b[0].id)

    step("timelines")
    home_ids = [s.id for s in api.timeline_home(limit=40)]
    for vis in ["public", "unlisted", "private"]:
        assert posts[vis].id in home_ids, vis
    local = api.timeline_public(local=True, limit=40)
    assert pub.id in [s.id for s in local] and posts["unlisted"].id not in [s.id for s in local]
    tag = poll(
        "the tag timeline has both posts",
        lambda: (lambda t: t if pub.uri in t and bpost.uri in t else None)(
            [s.uri for s in api.timeline_hashtag("WoollyPy", limit=40)]
        ),
    )
    assert posts["unlisted"].uri not in tag

    step("notifications")
    notes = poll(
        "mention and favourite notifications from bob",
        lambda: (lambda ns: ns if {"mention", "favourite"} <= {n.type for n in ns} else None)(
            [n for n in api.notifications(limit=40) if n.account.acct == f"bob@{b_domain}"]
        ),
    )
    mention = [n for n in notes if n.type == "mention"][0]
    assert mention.status.uri == bpost.uri, mention
    favn = [n for n in notes if n.type == "favourite"][0]
    assert favn.status.id == pub.id, favn
    check_polls(api, bob)
    only = api.notifications(types=["favourite"])
    assert only and all(n.type == "favourite" for n in only), only
    grouped_notifications_and_requests(api, bob, args.user, a_domain, b_domain)

    lists_and_conversations(api, bob, args, me, bob_acc, a_domain, b_domain)

    step("media: upload with description and focus, post it, set an avatar")
    media = api.media_post(
        png(64, 48),
        mime_type="image/png",
        file_name="gradient.png",
        description="A gradient, described",
        focus=(0.25, -0.5),
        synchronous=True,
    )
    assert media.type == "image", media
    assert media.description == "A gradient, described", media
    assert (media.meta.focus.x, media.meta.focus.y) == (0.25, -0.5), media.meta
    assert media.meta.original.width == 64 and media.meta.original.height == 48, media.meta
    assert media.url.startswith(args.a + "/media/"), media.url
    assert media.blurhash, media
    served = requests.get(media.url, timeout=TIMEOUT)
    assert served.status_code == 200, served.status_code
    assert served.headers["content-type"].startswith("image/"), served.headers
    assert served.headers["x-content-type-options"] == "nosniff", served.headers
    with_media = api.status_post("", media_ids=[media.id], sensitive=True)
    assert [m.id for m in with_media.media_attachments] == [media.id], with_media
    assert with_media.media_attachments[0].description == "A gradient, described"
    assert with_media.sensitive, with_media
    only = api.account_statuses(me.id, only_media=True)
    assert [s.id for s in only] == [with_media.id], [s.id for s in only]
    profile = api.account_update_credentials(avatar=png(600, 300), avatar_mime_type="image/png")
    assert "/media/accounts/" in profile.avatar, profile.avatar
    assert profile.avatar_static, profile
    avatar = requests.get(profile.avatar, timeout=TIMEOUT)
    assert avatar.status_code == 200 and avatar.headers["content-type"].startswith("image/")
    assert requests.get(profile.header, timeout=TIMEOUT).status_code == 200, profile.header

    step("edit and delete")
    edited = api.status_update(pub.id, status="Mastodon.py says hello, edited #WoollyPy")
    assert edited.edited_at is not None, edited
    assert "edited" in text(edited.content)
    history = api.status_history(pub.id)
    assert len(history) == 2, history
    assert "edited" not in text(history[0].content) and "edited" in text(history[1].content)
    api.status_delete(posts["direct"].id)
    try:
        api.status(posts["direct"].id)
        raise AssertionError("a deleted status is still there")
    except MastodonNotFoundError:
        pass

    step("streaming: a live update")
    collector = Collector()
    # A short read timeout: after close() the worker thread only notices at its next read.
    handle = api.stream_user(collector, run_async=True, reconnect_async=False, timeout=8)
    try:
        poll("the stream is connected", handle.is_receiving, timeout=15)
        step("stream connected")
        time.sleep(0.5)
        live = api.status_post("Live on the stream")
        bob.status_post("Live from B too")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(s.id == live.id for s in collector.updates):
                break
            collector.event.wait(0.5)
            collector.event.clear()
        got = [s for s in collector.updates if s.id == live.id]
        assert got, f"no live update for {live.id}: {[s.id for s in collector.updates]}"
        assert "Live on the stream" in text(got[0].content)
        assert got[0].account.id == me.id
        step("local update received")
        poll(
            "the remote post arrives on the stream",
            lambda: [s for s in collector.updates if "Live from B" in text(s.content)],
            timeout=20,
        )
        step("remote update received")
    finally:
        handle.close()

    saving(api, bob)
    reports_and_admin(api, args, bob_acc)

    quote_posts(api)
    check_custom_emojis(anon, api)
    filters_and_domain_blocks(api, bob, bob_acc, b_domain)
    admin_accounts(args, api, b_domain)
    admin_domain_blocks(args, api)
    check_rate_limit_headers(api)
    sign_up(args)
    step("done")
    print("OK: Mastodon.py", flush=True)
    return 0


def admin_domain_blocks(args, api):
    """Instance domain blocks and allows with an owner's token: create, show, change, list
    and lift a block (Mastodon's severities and flags); an allow; a user is refused."""
    step("admin domain blocks")
    admin = Mastodon(access_token=args.admin_token, api_base_url=args.a)
    b = admin.admin_create_domain_block(
        "spam.example", severity="silence", reject_media=True,
        private_comment="seen in reports", public_comment="spam", obfuscate=True)
    assert (b.domain, b.severity, b.reject_media, b.reject_reports) == (
        "spam.example", "silence", True, False), b
    assert (b.private_comment, b.public_comment, b.obfuscate) == (
        "seen in reports", "spam", True), b
    assert admin.admin_domain_blocks(b.id).domain == "spam.example"
    changed = admin.admin_update_domain_block(b.id, severity="suspend", reject_reports=True)
    assert (changed.severity, changed.reject_reports) == ("suspend", True), changed
    assert [x.domain for x in admin.admin_domain_blocks()] == ["spam.example"]
    # The same domain again is refused (Mastodon's 422 with the existing block).
    try:
        admin.admin_create_domain_block("spam.example", severity="noop")
        raise AssertionError("a second block of one domain was accepted")
    except AssertionError:
        raise
    except Exception as e:
        assert "422" in str(e), e
    admin.admin_delete_domain_block(b.id)
    assert admin.admin_domain_blocks() == []
    allow = admin.admin_create_domain_allow("friend.example")
    assert [x.domain for x in admin.admin_domain_allows()] == ["friend.example"]
    admin.admin_delete_domain_allow(allow.id)
    assert admin.admin_domain_allows() == []
    try:
        api.admin_domain_blocks()
        raise AssertionError("a user without admin scopes listed domain blocks")
    except AssertionError:
        raise
    except Exception as e:
        assert "403" in str(e), e


def check_rate_limit_headers(api):
    """Mastodon.py reads X-RateLimit-* on every answer (its "wait" mode paces on them)."""
    step("rate-limit headers")
    api.account_verify_credentials()
    first = api.ratelimit_remaining
    api.account_verify_credentials()
    assert api.ratelimit_limit == 300, api.ratelimit_limit
    assert api.ratelimit_remaining == first - 1, (first, api.ratelimit_remaining)
    # The reset is parsed from ISO 8601 and lies within the next five minutes.
    assert time.time() - 5 < api.ratelimit_reset <= time.time() + 305, api.ratelimit_reset


def reports_and_admin(api, args, bob_acc):
    """A report forwarded to bob's instance; a moderator (a token with the admin scopes)
    lists it with `admin_reports`, resolves it, and finds it among the resolved ones."""
    step("reports and the admin reports API")
    r = api.report(bob_acc.id, comment="Spam from bob", forward=True, category="spam")
    assert r.category == "spam" and r.comment == "Spam from bob", r
    assert r.forwarded is True and r.action_taken is False, r
    assert str(r.target_account.id) == str(bob_acc.id), r
    admin = Mastodon(access_token=args.admin_token, api_base_url=args.a)
    open_ids = [str(x.id) for x in admin.admin_reports()]
    assert str(r.id) in open_ids, open_ids
    shown = admin.admin_report(r.id)
    assert shown.account.username == args.user and shown.target_account.username == "bob", shown
    assert shown.action_taken is False and shown.assigned_account is None, shown
    done = admin.admin_report_resolve(r.id)
    assert done.action_taken is True and done.action_taken_by_account is not None, done
    assert str(r.id) not in [str(x.id) for x in admin.admin_reports()]
    assert str(r.id) in [str(x.id) for x in admin.admin_reports(resolved=True)]
    try:
        api.admin_reports()
        raise AssertionError("a token without admin scopes listed reports")
    except MastodonAPIError as e:
        assert "403" in str(e) or "outside the authorized scopes" in str(e), e


def filters_and_domain_blocks(api, bob, bob_acc, b_domain):
    """Filters v2 (keywords and statuses; `filtered` on the home timeline, `hide` leaving a
    status out), then a user-level domain block of the other instance, which ends the follow."""
    step("filters v2")
    f = api.create_filter_v2(
        "Woolly drinks", ["home", "public"], "warn",
        keywords_attributes=[{"keyword": "Espresso", "whole_word": True}],
    )
    assert f.title == "Woolly drinks" and f.filter_action == "warn", f
    assert f.context == ["home", "public"] and f.expires_at is None, f
    assert [(k.keyword, k.whole_word) for k in f.keywords] == [("Espresso", True)], f
    assert [x.id for x in api.filters_v2()] == [f.id]
    kw = api.add_filter_keyword_v2(f.id, "ristretto", whole_word=False)
    assert [k.keyword for k in api.filter_keywords_v2(f.id)] == ["Espresso", "ristretto"]
    mine = api.status_post("espresso of my own")
    bobs = bob.status_post("An espresso from B")
    seen = poll(
        "the remote post reaches home",
        lambda: [s for s in api.timeline_home(limit=40) if "An espresso from B" in text(s.content)],
        timeout=20,
    )
    warned = seen[0]
    assert len(warned.filtered) == 1, warned.filtered
    assert warned.filtered[0].filter.id == f.id, warned.filtered
    assert warned.filtered[0].keyword_matches == ["Espresso"], warned.filtered
    own = [s for s in api.timeline_home(limit=40) if s.id == mine.id]
    assert own and own[0].filtered == [], own
    fs = api.add_filter_status_v2(f.id, mine.id)
    assert str(fs.status_id) == str(mine.id), fs
    assert [x.id for x in api.filter_statuses_v2(f.id)] == [fs.id]
    hidden = api.update_filter_v2(f.id, filter_action="hide")
    assert hidden.filter_action == "hide", hidden
    assert not [s for s in api.timeline_home(limit=40) if s.id == warned.id], "hidden at home"
    api.delete_filter_v2(f.id)
    assert api.filters_v2() == []
    assert [s for s in api.timeline_home(limit=40) if s.id == warned.id]
    del kw, bobs

    step("domain blocks")
    assert api.account_relationships(bob_acc.id)[0].following is True
    api.domain_block(b_domain)
    assert api.domain_blocks() == [b_domain], api.domain_blocks()
    rel = api.account_relationships(bob_acc.id)[0]
    assert rel.domain_blocking is True and rel.following is False, rel
    assert not [s for s in api.timeline_home(limit=40) if s.account.id == bob_acc.id]
    api.domain_unblock(b_domain)
    assert api.domain_blocks() == []


def admin_accounts(args, api, b_domain):
    """The admin accounts API with an owner's token (`--admin-token`): list and show
    accounts, silence and suspend `mallory` and undo both; a user without a role is refused."""
    step("admin accounts")
    admin = Mastodon(access_token=args.admin_token, api_base_url=args.a)
    # Mastodon.py 2.3.3 annotates admin_accounts_v1 as returning one AdminAccount, so the
    # list it returns is left as plain dicts.
    local = admin.admin_accounts()
    names = sorted(a["username"] for a in local)
    assert {"alice", "mallory", "olive"} <= set(names), names
    assert all(a["domain"] is None and a["confirmed"] is True for a in local), local
    mallory = [a for a in local if a["username"] == "mallory"][0]["id"]
    remote = admin.admin_accounts_v2(origin="remote")
    assert [a.account.acct for a in remote] == [f"bob@{b_domain}"], remote
    assert remote[0].role is None and remote[0].domain == b_domain, remote[0]
    shown = admin.admin_account(mallory)
    assert shown.username == "mallory" and shown.account.acct == "mallory", shown
    assert shown.role.id == "-99" and shown.role.permissions == "65536", shown.role
    assert (shown.suspended, shown.silenced, shown.disabled) == (False, False, False), shown
    me = admin.account_verify_credentials()
    assert me.role.name == "Owner" and me.role.highlighted is True, me.role

    step("admin account moderation")
    admin.admin_account_moderate(mallory, "silence")
    assert admin.admin_account(mallory).silenced is True
    assert admin.admin_account_unsilence(mallory).silenced is False
    admin.admin_account_moderate(mallory, "suspend")
    suspended = admin.admin_account(mallory)
    assert suspended.suspended is True and suspended.account.suspended is True, suspended
    listed = admin.admin_accounts_v2(origin="local", status="suspended")
    assert [a.id for a in listed] == [mallory], listed
    assert admin.admin_account_unsuspend(mallory).suspended is False
    admin.admin_account_moderate(mallory)  # a warning only ("none")
    try:
        admin.admin_account_moderate(mallory, "banish")
        raise AssertionError("an unknown action type was accepted")
    except AssertionError:
        raise
    except Exception as e:
        assert "422" in str(e) or "Type" in str(e), e
    try:
        api.admin_accounts()
        raise AssertionError("a user without admin scopes listed accounts")
    except AssertionError:
        raise
    except Exception as e:
        assert "403" in str(e) or "outside the authorized scopes" in str(e), e


def saving(api, bob):
    """Bookmarks (with paging), read markers and the unread count, scheduled statuses."""
    import datetime

    step("bookmarks")
    saved = [api.status_post(f"Keep this {i}") for i in range(3)]
    for st in saved:
        marked = api.status_bookmark(st.id)
        assert marked.bookmarked is True and marked.id == st.id, marked
    first = api.bookmarks(limit=2)
    assert [s.id for s in first] == [saved[2].id, saved[1].id], first
    assert all(s.bookmarked for s in first)
    rest = api.fetch_next(first)
    assert rest is not None and [s.id for s in rest] == [saved[0].id], rest
    gone = api.status_unbookmark(saved[1].id)
    assert gone.bookmarked is False, gone
    assert [s.id for s in api.bookmarks(limit=40)] == [saved[2].id, saved[0].id]

    step("markers and the unread count")
    assert api.markers_get(["home", "notifications"]) == {}
    home = api.timeline_home(limit=1)
    notes = api.notifications(limit=40)
    assert len(notes) >= 2, notes
    set_ = api.markers_set(["home", "notifications"], [home[0].id, notes[1].id])
    assert set_.home.last_read_id == str(home[0].id) and set_.home.version == 0, set_
    assert set_.notifications.last_read_id == str(notes[1].id), set_
    got = api.markers_get(["home", "notifications"])
    assert got.home.last_read_id == str(home[0].id), got
    assert api.notifications_unread_count()["count"] == 1
    again = api.markers_set("notifications", notes[0].id)
    assert again.notifications.version == 1, again
    assert api.notifications_unread_count()["count"] == 0

    step("scheduled statuses")
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    sched = api.status_post("Scheduled by Mastodon.py", scheduled_at=when)
    assert sched.params.text == "Scheduled by Mastodon.py", sched
    assert abs((sched.scheduled_at - when).total_seconds()) < 1, (sched.scheduled_at, when)
    listed = api.scheduled_statuses()
    assert [s.id for s in listed] == [sched.id], listed
    later = when + datetime.timedelta(days=1)
    moved = api.scheduled_status_update(sched.id, later)
    assert abs((moved.scheduled_at - later).total_seconds()) < 1, moved
    assert api.scheduled_status(sched.id).params.text == "Scheduled by Mastodon.py"
    try:
        api.status_post("too soon", scheduled_at=datetime.datetime.now(datetime.timezone.utc)
                        + datetime.timedelta(minutes=1))
        raise AssertionError("a status scheduled a minute ahead was accepted")
    except AssertionError:
        raise
    except Exception as e:
        assert "must be in the future" in str(e), e
    api.scheduled_status_delete(sched.id)
    assert api.scheduled_statuses() == []


if __name__ == "__main__":
    sys.exit(main())
