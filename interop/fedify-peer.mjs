// Woolly interop peer: a small Fedify 2.x server with one actor, for the multi-process
// interop test (reference-server/tests/fedify_interop.rs).
//
//   node fedify-peer.mjs --origin http://127.0.0.5:7005 [--first-knock rfc9421|draft-cavage-http-signatures-12]
//
// Federation (served by Fedify itself): WebFinger, the actor `/users/{identifier}` (one actor,
// `fed`, with an RSA key for HTTP Signatures and an Ed25519 key for Object Integrity Proofs),
// its inbox and the shared inbox `/inbox`, its followers collection, and its notes
// `/users/{identifier}/notes/{id}`. Fedify answers Follows with Accept (done here), verifies
// every incoming signature, and signs every delivery (RFC 9421 first, double-knocking to
// draft-cavage on failure, unless `--first-knock` says otherwise).
//
// Control API (JSON; what the test drives), under `/control/`:
//   POST /control/follow    {"target": actorUrl}                 → {"id": followId}
//   POST /control/unfollow  {"target": actorUrl}                 → {"id": undoId}
//   POST /control/post      {"content", "visibility": "public"|"unlisted"|"followers"|"direct",
//                            "mention"?: actorUrl, "inReplyTo"?: url,
//                            "attachments"?: [{"url", "mediaType", "name"?, "width"?, "height"?}],
//                            "emojis"?: [{"shortcode", "url", "mediaType"}]  (Emoji tags)}
//                                                                → {"id": noteId, "activity": createId}
//   POST /control/file?name=N  (raw body, its Content-Type)      → {"url": origin/files/N}
//                            the peer then serves the bytes at GET /files/N
//   POST /control/update    {"note": noteId, "content"}          → {"id": updateId}
//   POST /control/delete    {"note": noteId}                     → {"id": deleteId}
//   POST /control/like      {"object": url}                      → {"id": likeId}
//   POST /control/announce  {"object": url}                      → {"id": announceId}
//   POST /control/undo      {"activity": id}  (a Like, Announce or Follow sent before)
//   POST /control/vote      {"question": url, "choice": optionName}
//                            looks the Question up, checks the option is one of its
//                            oneOf/anyOf, and sends the author a Create(Note) with that
//                            `name` and `inReplyTo` the question, addressed to the author
//                                                                → {"id": createId}
//   POST /control/flag      {"objects": [url, …], "content"}  a report (Mastodon's shape): a
//                            Flag from `fed` naming the account (first) and its posts, sent
//                            to the inbox of the account the first object is or belongs to
//                                                                → {"id": flagId}
//   GET  /control/received   → every activity an inbox listener got (Create, Update, Delete,
//                              Like, Announce, Flag, Move …; after Fedify verified
//                              its signature), with the scheme the delivery was signed with,
//                              and for a Create/Update the attachments of its object as
//                              Fedify's vocabulary reads them (type, url, mediaType, name,
//                              width, height), and for a Question its poll as Fedify's
//                              vocabulary reads it (`question`: multiple, options with
//                              name and replies' totalItems, voters, endTime, closed)
//   GET  /control/deliveries → every POST to an inbox: scheme, HTTP status Fedify answered
//   GET  /control/outgoing   → every delivery Fedify made: inbox URL, scheme, status
//   GET  /control/followers  → actor URLs following `fed`
//   GET  /control/following  → actor URLs `fed` follows (accepted)
// It prints `listening on …` when ready. Everything is in memory; only loopback is reached.

import http from "node:http";
import { randomUUID } from "node:crypto";
import { Temporal } from "@js-temporal/polyfill";
import {
  createFederation,
  generateCryptoKeyPair,
  InProcessMessageQueue,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Announce,
  Create,
  Delete,
  Document,
  Emoji,
  Endpoints,
  Flag,
  Follow,
  Image,
  Like,
  Mention,
  Move,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Question,
  Reject,
  Tombstone,
  Undo,
  Update,
  isActor,
} from "@fedify/vocab";

// --- arguments -------------------------------------------------------------------------------
const args = process.argv.slice(2);
function arg(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const ORIGIN = new URL(arg("--origin", "http://127.0.0.5:7005"));
const FIRST_KNOCK = arg("--first-knock", "rfc9421");
const USER = "fed";

// --- what happened ---------------------------------------------------------------------------
const received = []; // listener-level: verified activities
const deliveries = []; // HTTP-level: inbox POSTs and Fedify's answers
const outgoing = []; // Fedify's own deliveries
const followers = new Map(); // actor URL → Actor
const following = new Set(); // accepted
const sent = new Map(); // activity id → activity (for undo)
const notes = new Map(); // note id → Note
const files = new Map(); // name → { type, body } served at /files/{name}

function schemeOf(headers) {
  if (headers.get("signature-input")) return "rfc9421";
  const sig = headers.get("signature");
  if (sig && /keyId=/i.test(sig)) return "draft-cavage";
  return "none";
}

// Record Fedify's own deliveries (it calls the global fetch at send time).
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = new Request(input, init);
  const scheme = schemeOf(req.headers);
  const res = await realFetch(req);
  if (req.method === "POST") {
    outgoing.push({ url: req.url, scheme, status: res.status });
  }
  return res;
};

// --- the federation ----------------------------------------------------------------------------
const federation = createFederation({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  origin: ORIGIN.href,
  allowPrivateAddress: true,
  firstKnock: FIRST_KNOCK,
});

const keys = {
  rsa: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  ed: await generateCryptoKeyPair("Ed25519"),
};

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USER) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify Peer",
      summary: "An independent ActivityPub implementation (Fedify) for Woolly's interop tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
      manuallyApprovesFollowers: false,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== USER) return [];
    return [keys.rsa, keys.ed];
  });

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  async (_ctx, identifier) => {
    if (identifier !== USER) return null;
    const items = [...followers.values()].map((a) => ({
      id: a.id,
      inboxId: a.inboxId,
      endpoints: a.endpoints,
    }));
    return { items };
  },
);

federation.setObjectDispatcher(
  Note,
  "/users/{identifier}/notes/{id}",
  async (ctx, values) => {
    const note = notes.get(ctx.getObjectUri(Note, values).href);
    return note ?? null;
  },
);

// The attachments of a Create's or Update's object, as Fedify's vocabulary parses them.
async function attachmentsOf(ctx, activity) {
  if (!(activity instanceof Create || activity instanceof Update)) return null;
  const object = await activity.getObject(ctx);
  if (object == null || typeof object.getAttachments !== "function") return null;
  const out = [];
  for await (const a of object.getAttachments(ctx)) {
    const u = a.url;
    out.push({
      type: a.constructor.name,
      url: u instanceof URL ? u.href : (u?.href?.href ?? null),
      mediaType: a.mediaType ?? null,
      name: a.name == null ? null : a.name.toString(),
      width: a.width ?? null,
      height: a.height ?? null,
    });
  }
  return out;
}

// The poll of a Create's or Update's Question, as Fedify's vocabulary reads it.
async function questionOf(ctx, activity) {
  if (!(activity instanceof Create || activity instanceof Update)) return null;
  const q = await activity.getObject(ctx);
  if (!(q instanceof Question)) return null;
  return await pollOf(ctx, q);
}

async function pollOf(ctx, q) {
  const options = [];
  let multiple = false;
  for (const [list, many] of [
    [q.getExclusiveOptions(ctx), false],
    [q.getInclusiveOptions(ctx), true],
  ]) {
    for await (const o of list) {
      if (many) multiple = true;
      const replies = await o.getReplies(ctx);
      options.push({ name: o.name?.toString() ?? null, totalItems: replies?.totalItems ?? null });
    }
  }
  const closed = q.closed;
  return {
    multiple,
    options,
    voters: q.voters ?? null,
    endTime: q.endTime?.toString() ?? null,
    closed: closed == null ? null : closed.toString(),
  };
}

async function record(ctx, activity) {
  const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  received.push({
    question: await questionOf(ctx, activity),
    attachments: await attachmentsOf(ctx, activity),
    type: json.type ?? null,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    verified: true,
    scheme: lastScheme.get(activity.id?.href) ?? null,
    json,
  });
}

// The scheme each delivery was signed with, by activity id (filled in by the HTTP layer).
const lastScheme = new Map();

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    const follower = await follow.getActor(ctx);
    if (!isActor(follower) || follower.id == null) return;
    followers.set(follower.id.href, follower);
    await ctx.sendActivity(
      { identifier: USER },
      follower,
      new Accept({
        id: new URL(`#accepts/${randomUUID()}`, ctx.getActorUri(USER)),
        actor: ctx.getActorUri(USER),
        object: follow,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    if (accept.actorId) following.add(accept.actorId.href);
  })
  .on(Reject, async (ctx, reject) => {
    await record(ctx, reject);
    if (reject.actorId) following.delete(reject.actorId.href);
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const object = await undo.getObject(ctx);
    if (object instanceof Follow && undo.actorId) followers.delete(undo.actorId.href);
  })
  .on(Create, record)
  .on(Update, record)
  .on(Delete, record)
  .on(Like, record)
  .on(Announce, record)
  .on(Flag, record)
  .on(Move, record)
  .onError((_ctx, error) => {
    console.error("inbox error:", error);
  });

// --- control API -------------------------------------------------------------------------------
function ctxFor() {
  return federation.createContext(ORIGIN, undefined);
}

async function lookup(ctx, url) {
  const obj = await ctx.lookupObject(url);
  if (obj == null) throw new Error(`could not look up ${url}`);
  return obj;
}

async function actorOf(ctx, obj) {
  if (isActor(obj)) return obj;
  const author = await obj.getAttribution?.(ctx);
  if (author == null || !isActor(author)) throw new Error(`no author for ${obj.id?.href}`);
  return author;
}

function activityId(ctx, kind) {
  return new URL(`/users/${USER}/${kind}/${randomUUID()}`, ctx.getActorUri(USER));
}

const control = {
  async follow(ctx, body) {
    const target = await lookup(ctx, body.target);
    const follow = new Follow({
      id: activityId(ctx, "follows"),
      actor: ctx.getActorUri(USER),
      object: target.id,
    });
    sent.set(follow.id.href, { activity: follow, recipients: [target] });
    await ctx.sendActivity({ identifier: USER }, target, follow);
    return { id: follow.id.href };
  },
  async unfollow(ctx, body) {
    const entry = [...sent.values()].find(
      (e) => e.activity instanceof Follow && e.activity.objectId?.href === body.target,
    );
    if (!entry) throw new Error(`no follow of ${body.target}`);
    following.delete(body.target);
    return await control.undo(ctx, { activity: entry.activity.id.href });
  },
  async post(ctx, body) {
    const id = randomUUID();
    const noteId = ctx.getObjectUri(Note, { identifier: USER, id });
    const followersUri = ctx.getFollowersUri(USER);
    const vis = body.visibility ?? "public";
    let tos = [];
    let ccs = [];
    const mentioned = body.mention ? await lookup(ctx, body.mention) : null;
    if (vis === "public") {
      tos = [PUBLIC_COLLECTION];
      ccs = [followersUri];
    } else if (vis === "unlisted") {
      tos = [followersUri];
      ccs = [PUBLIC_COLLECTION];
    } else if (vis === "followers") {
      tos = [followersUri];
    }
    const tags = [];
    if (mentioned) {
      (vis === "direct" ? tos : ccs).push(mentioned.id);
      tags.push(new Mention({ href: mentioned.id, name: `@${mentioned.preferredUsername}` }));
    }
    for (const e of body.emojis ?? []) {
      tags.push(
        new Emoji({
          id: new URL(`/emojis/${e.shortcode}`, ORIGIN),
          name: `:${e.shortcode}:`,
          icon: new Image({ url: new URL(e.url), mediaType: e.mediaType }),
          updated: Temporal.Now.instant(),
        }),
      );
    }
    let content = body.content ?? "";
    const attachments = (body.attachments ?? []).map(
      (a) =>
        new Document({
          url: new URL(a.url),
          mediaType: a.mediaType,
          name: a.name ?? null,
          width: a.width ?? null,
          height: a.height ?? null,
        }),
    );
    const note = new Note({
      attachments,
      id: noteId,
      attribution: ctx.getActorUri(USER),
      content,
      tos,
      ccs,
      tags,
      published: Temporal.Now.instant(),
      replyTarget: body.inReplyTo ? new URL(body.inReplyTo) : null,
      url: noteId,
      summary: body.summary ?? null,
      sensitive: body.summary ? true : null,
      // A quote post (FEP-044f `quote`, with Misskey's `quoteUrl`).
      quote: body.quote ? new URL(body.quote) : null,
      quoteUrl: body.quote ? new URL(body.quote) : null,
    });
    notes.set(noteId.href, note);
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: ctx.getActorUri(USER),
      object: note,
      tos,
      ccs,
      published: note.published,
    });
    if (vis !== "direct") {
      await ctx.sendActivity({ identifier: USER }, "followers", create, {
        preferSharedInbox: true,
      });
    }
    if (mentioned) {
      await ctx.sendActivity({ identifier: USER }, mentioned, create);
    }
    sent.set(create.id.href, { activity: create, recipients: "followers" });
    return { id: noteId.href, activity: create.id.href };
  },
  async update(ctx, body) {
    const old = notes.get(body.note);
    if (!old) throw new Error(`unknown note ${body.note}`);
    const note = old.clone({ content: body.content, updated: Temporal.Now.instant() });
    notes.set(body.note, note);
    const update = new Update({
      id: new URL(`${body.note}#updates/${randomUUID()}`),
      actor: ctx.getActorUri(USER),
      object: note,
      tos: old.toIds,
      ccs: old.ccIds,
    });
    await ctx.sendActivity({ identifier: USER }, "followers", update, {
      preferSharedInbox: true,
    });
    return { id: update.id.href };
  },
  async delete(ctx, body) {
    const old = notes.get(body.note);
    if (!old) throw new Error(`unknown note ${body.note}`);
    notes.delete(body.note);
    const del = new Delete({
      id: new URL(`${body.note}#delete`),
      actor: ctx.getActorUri(USER),
      object: new Tombstone({ id: new URL(body.note) }),
      tos: old.toIds,
      ccs: old.ccIds,
    });
    await ctx.sendActivity({ identifier: USER }, "followers", del, {
      preferSharedInbox: true,
    });
    return { id: del.id.href };
  },
  async like(ctx, body) {
    const object = await lookup(ctx, body.object);
    const author = await actorOf(ctx, object);
    const like = new Like({
      id: activityId(ctx, "likes"),
      actor: ctx.getActorUri(USER),
      object: object.id,
    });
    sent.set(like.id.href, { activity: like, recipients: [author] });
    await ctx.sendActivity({ identifier: USER }, author, like);
    return { id: like.id.href };
  },
  async announce(ctx, body) {
    const object = await lookup(ctx, body.object);
    const author = await actorOf(ctx, object);
    const announce = new Announce({
      id: activityId(ctx, "announces"),
      actor: ctx.getActorUri(USER),
      object: object.id,
      tos: [PUBLIC_COLLECTION],
      ccs: [ctx.getFollowersUri(USER), author.id],
      published: Temporal.Now.instant(),
    });
    sent.set(announce.id.href, { activity: announce, recipients: [author] });
    await ctx.sendActivity({ identifier: USER }, author, announce);
    if (followers.size > 0) {
      await ctx.sendActivity({ identifier: USER }, "followers", announce, {
        preferSharedInbox: true,
      });
    }
    return { id: announce.id.href };
  },
  async vote(ctx, body) {
    const question = await lookup(ctx, body.question);
    if (!(question instanceof Question)) throw new Error(`${body.question} is not a Question`);
    const poll = await pollOf(ctx, question);
    if (!poll.options.some((o) => o.name === body.choice)) {
      throw new Error(`${body.choice} is not an option of ${body.question}`);
    }
    const author = await actorOf(ctx, question);
    const id = new URL(`#votes/${randomUUID()}`, ctx.getActorUri(USER));
    const create = new Create({
      id: new URL(`${id.href}/activity`),
      actor: ctx.getActorUri(USER),
      to: author.id,
      object: new Note({
        id,
        attribution: ctx.getActorUri(USER),
        to: author.id,
        name: body.choice,
        replyTarget: question.id,
      }),
    });
    await ctx.sendActivity({ identifier: USER }, author, create);
    return { id: create.id.href };
  },
  async flag(ctx, body) {
    const objects = (body.objects ?? []).map((u) => new URL(u));
    if (objects.length === 0) throw new Error("flag: no objects");
    const target = await actorOf(ctx, await lookup(ctx, objects[0].href));
    const flag = new Flag({
      id: activityId(ctx, "flags"),
      actor: ctx.getActorUri(USER),
      objects,
      content: body.content ?? "",
      to: target.id,
    });
    await ctx.sendActivity({ identifier: USER }, target, flag);
    return { id: flag.id.href };
  },
  async undo(ctx, body) {
    const entry = sent.get(body.activity);
    if (!entry) throw new Error(`unknown activity ${body.activity}`);
    const undo = new Undo({
      id: new URL(`${body.activity}#undo`),
      actor: ctx.getActorUri(USER),
      object: entry.activity,
    });
    for (const r of entry.recipients === "followers" ? [] : entry.recipients) {
      await ctx.sendActivity({ identifier: USER }, r, undo);
    }
    if (entry.recipients === "followers" || entry.activity instanceof Announce) {
      if (followers.size > 0) {
        await ctx.sendActivity({ identifier: USER }, "followers", undo, {
          preferSharedInbox: true,
        });
      }
    }
    sent.delete(body.activity);
    return { id: undo.id.href };
  },
};

// --- HTTP ------------------------------------------------------------------------------------------
async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

function send(res, status, value) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, ORIGIN);
    const body = await readBody(req);
    if (url.pathname.startsWith("/files/") && req.method === "GET") {
      const file = files.get(url.pathname.slice("/files/".length));
      if (!file) return send(res, 404, { error: "no such file" });
      res.writeHead(200, { "content-type": file.type, "content-length": file.body.length });
      return res.end(file.body);
    }
    if (url.pathname === "/control/file" && req.method === "POST") {
      const name = url.searchParams.get("name") ?? "";
      if (!/^[A-Za-z0-9._-]+$/.test(name)) return send(res, 400, { error: "bad name" });
      files.set(name, { type: req.headers["content-type"] ?? "application/octet-stream", body });
      return send(res, 200, { url: new URL(`/files/${name}`, ORIGIN).href });
    }
    if (url.pathname.startsWith("/control/")) {
      const name = url.pathname.slice("/control/".length);
      if (req.method === "GET") {
        const lists = {
          received,
          deliveries,
          outgoing,
          followers: [...followers.keys()],
          following: [...following],
        };
        if (!(name in lists)) return send(res, 404, { error: "unknown list" });
        return send(res, 200, lists[name]);
      }
      const op = control[name];
      if (!op) return send(res, 404, { error: "unknown operation" });
      const input = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
      return send(res, 200, await op(ctxFor(), input));
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v != null) headers.set(k, v);
    }
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const isInbox = req.method === "POST" && /inbox$/.test(url.pathname);
    let activityIdSeen = null;
    if (isInbox) {
      try {
        activityIdSeen = JSON.parse(body.toString("utf8")).id ?? null;
      } catch {
        activityIdSeen = null;
      }
      if (activityIdSeen) lastScheme.set(activityIdSeen, schemeOf(headers));
    }
    const response = await federation.fetch(request, { contextData: undefined });
    if (isInbox) {
      deliveries.push({
        path: url.pathname,
        id: activityIdSeen,
        scheme: schemeOf(headers),
        status: response.status,
      });
    }
    const out = Buffer.from(await response.arrayBuffer());
    const outHeaders = {};
    response.headers.forEach((v, k) => {
      outHeaders[k] = v;
    });
    res.writeHead(response.status, outHeaders);
    res.end(out);
  } catch (e) {
    console.error("peer error:", e);
    if (!res.headersSent) send(res, 500, { error: String(e?.stack ?? e) });
  }
});

server.listen(Number(ORIGIN.port || 80), ORIGIN.hostname, () => {
  console.log(`listening on ${ORIGIN.href} (first knock: ${FIRST_KNOCK})`);
});

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
