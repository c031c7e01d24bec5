/**
 * The wire fuzzer's JMAP/HTTP side (not a test file): valid requests (session, API calls, upload,
 * download) as raw HTTP/1.1 bytes, mutated structurally (a JSON node replaced by another type, a
 * huge value, another account's id, a broken back-reference, a key removed or added) or byte-wise
 * (the body, the request line or a header), sent over one TCP connection each and read back.
 *
 * @module
 */
import { concat, mutate, type MutationName, type Rng } from "./_mutate.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Ids the requests refer to. */
export interface JmapIds {
  accountId: string;
  otherAccountId: string;
  blobId: string;
  authorization: string;
}

/** One request before it is turned into bytes. */
interface Base {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
  raw?: string;
}

const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"];

function bases(ids: JmapIds): Base[] {
  const a = ids.accountId;
  const api = (calls: unknown[]): Base => ({
    method: "POST",
    path: "/jmap/api",
    contentType: "application/json",
    body: { using: USING, methodCalls: calls },
  });
  return [
    { method: "GET", path: "/jmap/session" },
    api([
      ["Mailbox/get", { accountId: a, ids: null }, "0"],
      ["Email/query", {
        accountId: a,
        filter: { text: "hello" },
        sort: [{ property: "receivedAt" }],
        limit: 5,
      }, "1"],
      ["Email/get", {
        accountId: a,
        "#ids": { resultOf: "1", name: "Email/query", path: "/ids" },
        properties: ["subject", "from", "bodyStructure", "bodyValues", "header:X-Foo:asText"],
        fetchTextBodyValues: true,
        maxBodyValueBytes: 100,
      }, "2"],
    ]),
    api([
      ["Email/set", {
        accountId: a,
        create: {
          d1: {
            mailboxIds: { "#m": true },
            keywords: { $draft: true },
            subject: "fuzz draft",
            from: [{ name: "W", email: "alice@example.org" }],
            bodyStructure: { type: "text/plain", partId: "p1" },
            bodyValues: { p1: { value: "hello" } },
          },
        },
      }, "0"],
      ["Email/changes", { accountId: a, sinceState: "0", maxChanges: 10 }, "1"],
    ]),
    api([
      ["Mailbox/set", { accountId: a, create: { n1: { name: "fuzz box", parentId: null } } }, "0"],
      ["Mailbox/query", { accountId: a, filter: { role: "inbox" } }, "1"],
      ["Mailbox/changes", { accountId: a, sinceState: "0" }, "2"],
    ]),
    api([
      ["Thread/get", { accountId: a, ids: ["T1"] }, "0"],
      ["Identity/get", { accountId: a }, "1"],
      ["VacationResponse/get", { accountId: a }, "2"],
      ["SearchSnippet/get", { accountId: a, filter: { body: "x" }, emailIds: ["M1"] }, "3"],
      ["Email/queryChanges", { accountId: a, sinceQueryState: "0" }, "4"],
      ["Core/echo", { hello: [1, 2, 3] }, "5"],
    ]),
    api([
      ["Email/import", {
        accountId: a,
        emails: { i1: { blobId: ids.blobId, mailboxIds: { x: true }, keywords: {} } },
      }, "0"],
      ["Email/parse", { accountId: a, blobIds: [ids.blobId] }, "1"],
      ["Blob/get", { accountId: a, ids: [ids.blobId] }, "2"],
    ]),
    {
      method: "POST",
      path: `/jmap/upload/${a}/`,
      contentType: "message/rfc822",
      raw: "Subject: up\r\nFrom: a@example.org\r\n\r\nuploaded\r\n",
    },
    { method: "GET", path: `/jmap/download/${a}/${ids.blobId}/m.eml?accept=message/rfc822` },
    { method: "GET", path: "/.well-known/jmap" },
  ];
}

function scalar(rng: Rng, ids: JmapIds): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1e308,
    () => 2 ** 53 + 1,
    () => "",
    () => "x".repeat(rng.pick([10, 1000, 100_000])),
    () => ids.otherAccountId,
    () => "../../etc/passwd",
    () => "#0",
    () => "日本語🦜\u0000",
    () => ({
      resultOf: rng.pick(["0", "1", "9"]),
      name: "Email/query",
      path: rng.pick(["/ids/*", "/x", "", "/*/*"]),
    }),
    () => [],
    () => ({}),
    () => Array.from({ length: rng.pick([2, 600, 5000]) }, () => "M1"),
    () => {
      let v: unknown = "deep";
      for (let i = rng.int(40); i > 0; i--) v = rng.chance(0.5) ? [v] : { k: v };
      return v;
    },
  ])();
}

/** Replaces, removes or adds one node somewhere in a JSON value. */
function mutateJson(rng: Rng, value: unknown, ids: JmapIds): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.chance(0.15)) {
      return rng.chance(0.5) ? scalar(rng, ids) : [...value, scalar(rng, ids)];
    }
    const i = rng.int(value.length);
    const out = value.slice();
    out[i] = rng.chance(0.3) ? scalar(rng, ids) : mutateJson(rng, value[i], ids);
    return out;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 || rng.chance(0.15)) {
      const key = rng.pick([
        "foo",
        "__proto__",
        "constructor",
        "accountId",
        "#ids",
        "ids",
        "",
        "a".repeat(300),
      ]);
      return { ...(value as object), [key]: scalar(rng, ids) };
    }
    const [key, v] = rng.pick(entries);
    const out = { ...(value as Record<string, unknown>) };
    if (rng.chance(0.15)) delete out[key];
    else out[key] = rng.chance(0.3) ? scalar(rng, ids) : mutateJson(rng, v, ids);
    return out;
  }
  return scalar(rng, ids);
}

/** A mutated request and how it was made. */
export interface HttpInput {
  bytes: Uint8Array;
  how: (MutationName | "json" | "length")[];
}

/** Builds one mutated request. */
export function httpInput(rng: Rng, ids: JmapIds): HttpInput {
  const base = rng.pick(bases(ids));
  const how: HttpInput["how"] = [];
  let body = base.raw !== undefined
    ? enc.encode(base.raw)
    : base.body !== undefined
    ? enc.encode(JSON.stringify(base.body))
    : new Uint8Array();
  const roll = rng.next();
  let target: "body" | "line" | "header" = "body";
  if (base.body !== undefined && roll < 0.55) {
    how.push("json");
    let v: unknown = base.body;
    for (let i = 1 + rng.int(3); i > 0; i--) v = mutateJson(rng, v, ids);
    body = enc.encode(JSON.stringify(v) ?? "null");
  } else if (roll < 0.8) {
    target = "body";
  } else {
    target = rng.chance(0.5) ? "line" : "header";
  }
  let line = enc.encode(`${base.method} ${base.path} HTTP/1.1\r\n`);
  const headers = [
    `Host: 127.0.0.1`,
    `Authorization: ${ids.authorization}`,
    ...(base.contentType ? [`Content-Type: ${base.contentType}`] : []),
    `Accept: application/json`,
  ].map((h) => enc.encode(h + "\r\n"));
  if (how.length === 0) {
    const others = [line, ...headers, body];
    if (target === "body" && body.length > 0) {
      const m = mutate(rng, body, others, ["{", "}", "[", "]", ":", ",", '"', "null", "1e999", "\\u0000"]);
      body = new Uint8Array(m.bytes);
      how.push(...m.how);
    } else if (target === "line" || body.length === 0) {
      const m = mutate(rng, line, others, [
        "GET",
        "POST",
        "HTTP/1.0",
        "HTTP/2",
        "/jmap/api",
        "%00",
        "..",
        "?",
      ]);
      line = new Uint8Array(m.bytes);
      how.push(...m.how);
    } else {
      const i = rng.int(headers.length);
      const m = mutate(rng, headers[i]!, others, ["Basic", "Bearer", ":", "chunked", "gzip", "100-continue"]);
      headers[i] = new Uint8Array(m.bytes);
      how.push(...m.how);
    }
  }
  // Usually the right Content-Length; sometimes a wrong one, or chunked framing.
  let framing = `Content-Length: ${body.length}\r\n`;
  if (rng.chance(0.05)) {
    how.push("length");
    framing = rng.pick([
      // (Never longer than the body: the server would wait for bytes that never come.)
      `Content-Length: ${Math.max(0, body.length - 10)}\r\n`,
      `Content-Length: -1\r\n`,
      "Transfer-Encoding: chunked\r\n",
      "",
    ]);
  }
  // A chunked body always ends in a last chunk, so the server never waits for more.
  const tail = framing.startsWith("Transfer-Encoding") ? enc.encode("\r\n0\r\n\r\n") : new Uint8Array();
  return {
    bytes: concat([line, ...headers, enc.encode(framing + "Connection: close\r\n\r\n"), body, tail]),
    how,
  };
}

/** True once `bytes` hold a whole HTTP/1.1 response (head plus Content-Length or chunked body). */
export function completeResponse(bytes: Uint8Array): boolean {
  const text = dec.decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  const headBytes = enc.encode(text.slice(0, end + 4)).length;
  if (length) return bytes.length >= headBytes + Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) return text.endsWith("\r\n0\r\n\r\n");
  return false;
}

/** Status code of the first response in `bytes`, or null when there is none. */
export function statusOf(bytes: Uint8Array): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(dec.decode(bytes.subarray(0, 32)));
  return m ? Number(m[1]) : null;
}
