// Woolly interop driver: signs and verifies HTTP requests with Fedify's own
// `signRequest` / `verifyRequestDetailed`, so Woolly's tests can check http-sig
// against an independent implementation.
//
// Reads one JSON job on stdin (or an array of jobs), writes one JSON result line on stdout
// (or an array of results, in order).
//
// Job:
//   {
//     "mode": "sign" | "verify",
//     "scheme": "cavage" | "rfc9421",
//     "request": { "method": "POST", "url": "https://…", "headers": [["name", "value"], …],
//                  "body_base64": "…" (optional) },
//     "key_id": "https://example.test/users/alice#main-key",
//     "private_key_pem": "…PKCS#8 or PKCS#1 PEM…"      (sign)
//     "public_key_pem": "…SPKI or PKCS#1 PEM…"          (verify)
//     "now": 1700000000                                   (optional, unix seconds)
//   }
//
// Result:
//   sign:   {"ok":true,"request":{"method","url","headers":[[n,v],…],"body_base64"}}
//   verify: {"ok":true,"valid":true,"key_id":"…"} or {"ok":true,"valid":false,"reason":"…"}
//   error:  {"ok":false,"error":"…"}
//
// No network I/O: the key lookup is answered from the job (an actor document in the shape
// Mastodon publishes, built around `public_key_pem`), and JSON-LD contexts come from the
// contexts Fedify bundles. Any other URL makes the loader throw.

import { createPrivateKey } from "node:crypto";
import { Temporal } from "@js-temporal/polyfill";
import { signRequest, verifyRequestDetailed } from "@fedify/fedify/sig";
import { preloadedContexts } from "@fedify/fedify/runtime";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function spec(scheme) {
  if (scheme === "cavage") return "draft-cavage-http-signatures-12";
  if (scheme === "rfc9421") return "rfc9421";
  throw new Error(`unknown scheme: ${scheme}`);
}

function instant(job) {
  if (job.now == null) return undefined;
  return Temporal.Instant.fromEpochMilliseconds(Number(job.now) * 1000);
}

function toRequest(r) {
  const headers = new Headers();
  for (const [name, value] of r.headers ?? []) headers.append(name, value);
  const body = r.body_base64 != null ? Buffer.from(r.body_base64, "base64") : undefined;
  return new Request(r.url, { method: r.method, headers, body });
}

async function fromRequest(req) {
  const body = Buffer.from(await req.arrayBuffer());
  return {
    method: req.method,
    url: req.url,
    headers: [...req.headers],
    body_base64: body.length > 0 ? body.toString("base64") : null,
  };
}

async function importPrivate(pem) {
  const key = createPrivateKey(pem);
  const der = key.export({ type: "pkcs8", format: "der" });
  const algorithm = key.asymmetricKeyType === "ed25519"
    ? "Ed25519"
    : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return await crypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
}

function loaders(job) {
  const keyId = new URL(job.key_id);
  const actorId = new URL(keyId.href);
  actorId.hash = "";
  const actor = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: actorId.href,
    type: "Person",
    preferredUsername: "interop",
    inbox: new URL("inbox", actorId.href.endsWith("/") ? actorId.href : actorId.href + "/").href,
    publicKey: { id: keyId.href, owner: actorId.href, publicKeyPem: job.public_key_pem },
  };
  const documentLoader = async (url) => {
    const u = new URL(url);
    if (u.href === keyId.href || u.href === actorId.href) {
      return { contextUrl: null, documentUrl: u.href, document: actor };
    }
    throw new Error(`interop loader: refusing to fetch ${url}`);
  };
  const contextLoader = async (url) => {
    if (url in preloadedContexts) {
      return { contextUrl: null, documentUrl: url, document: preloadedContexts[url] };
    }
    throw new Error(`interop loader: context not bundled: ${url}`);
  };
  return { documentLoader, contextLoader };
}

async function run(job) {
  const request = toRequest(job.request);
  if (job.mode === "sign") {
    const privateKey = await importPrivate(job.private_key_pem);
    const signed = await signRequest(request, privateKey, new URL(job.key_id), {
      spec: spec(job.scheme),
      currentTime: instant(job),
    });
    return { ok: true, request: await fromRequest(signed) };
  }
  if (job.mode === "verify") {
    const { documentLoader, contextLoader } = loaders(job);
    const result = await verifyRequestDetailed(request, {
      spec: spec(job.scheme),
      currentTime: instant(job),
      documentLoader,
      contextLoader,
    });
    if (result.verified) {
      return { ok: true, valid: true, key_id: result.key.id?.href ?? null };
    }
    return { ok: true, valid: false, reason: result.reason.type };
  }
  throw new Error(`unknown mode: ${job.mode}`);
}

async function runOne(job) {
  try {
    return await run(job);
  } catch (e) {
    return { ok: false, error: String(e?.stack ?? e) };
  }
}

let out;
try {
  const input = JSON.parse(await readStdin());
  if (Array.isArray(input)) {
    out = [];
    for (const job of input) out.push(await runOne(job));
  } else {
    out = await runOne(input);
  }
} catch (e) {
  out = { ok: false, error: String(e?.stack ?? e) };
}
process.stdout.write(JSON.stringify(out) + "\n");
