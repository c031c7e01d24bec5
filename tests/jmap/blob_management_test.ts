/**
 * JMAP Blob management (RFC 9404) in-process: the capability, Blob/upload from inline data and
 * ranges of other blobs with `#creationId` chaining, Blob/get (text/base64 data, ranges, digests
 * checked against node:crypto, size), Blob/lookup, and that another account's blobs are not found.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Call, jmapFixture, sampleMessage, USING } from "./_fixture.ts";

const BLOB = "urn:ietf:params:jmap:blob";
const USING_BLOB = [...USING, BLOB];

const digest = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest("base64");
const bytesOf = (s: string) => new TextEncoder().encode(s);

Deno.test("session advertises urn:ietf:params:jmap:blob with its account capability (RFC 9404 §4.1)", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/session", { headers: { authorization: f.basic() } });
    const s = await res.json();
    assert.deepEqual(s.capabilities[BLOB], {});
    const cap = s.accounts[f.alice.id].accountCapabilities[BLOB];
    assert.equal(cap.maxSizeBlobSet, s.capabilities["urn:ietf:params:jmap:core"].maxSizeUpload);
    assert.ok(cap.maxDataSources >= 1);
    assert.deepEqual(cap.supportedTypeNames, ["Email", "Mailbox", "Thread"]);
    assert.deepEqual(cap.supportedDigestAlgorithms, ["sha", "sha-256"]);
    assert.equal(s.primaryAccounts[BLOB], f.alice.id);
  } finally {
    await f.close();
  }
});

Deno.test("Blob/upload concatenates text, base64 and a range of an earlier #creationId; Blob/get reads it back", async () => {
  const f = await jmapFixture();
  try {
    const acc = f.alice.id;
    const r = await f.api([
      ["Blob/upload", {
        accountId: acc,
        create: {
          a: {
            data: [{ "data:asText": "Hello, " }, { "data:asBase64": btoa("world!") }],
            type: "text/plain",
          },
          // "lo, wor" out of "Hello, world!" (offset 3, length 7), then a literal tail.
          b: { data: [{ blobId: "#a", offset: 3, length: 7 }, { "data:asText": "ld" }] },
        },
      }, "0"],
      ["Blob/get", { accountId: acc, ids: ["#a", "#b"], properties: ["data:asText", "size"] }, "1"],
    ], { using: USING_BLOB });
    const [[name, up], [, get]] = r.methodResponses as [Call, Call];
    assert.equal(name, "Blob/upload");
    const created = up.created as Record<string, { id: string; type: string; size: number }>;
    assert.equal(created.a!.size, 13);
    assert.equal(created.a!.type, "text/plain");
    assert.equal(created.b!.size, 9);
    assert.equal(r.createdIds, undefined);
    const list = get.list as Record<string, unknown>[];
    assert.deepEqual(list, [
      { id: created.a!.id, "data:asText": "Hello, world!", size: 13 },
      { id: created.b!.id, "data:asText": "lo, world", size: 9 },
    ]);
    assert.deepEqual(get.notFound, []);
    // The blob is an upload like /upload's: downloadable with the type given.
    const dl = await f.fetch(`/jmap/download/${acc}/${created.a!.id}/x.txt`, {
      headers: { authorization: f.basic() },
    });
    assert.equal(dl.headers.get("content-type"), "text/plain");
    assert.equal(await dl.text(), "Hello, world!");
  } finally {
    await f.close();
  }
});

Deno.test("Blob/upload errors: bad source, range past the end, unknown blob, too many bytes (RFC 9404 §4.2)", async () => {
  const f = await jmapFixture({ jmap: { max_size_upload: 16 } });
  try {
    const acc = f.alice.id;
    const r = await f.api([
      ["Blob/upload", {
        accountId: acc,
        create: {
          ok: { data: [{ "data:asText": "0123456789" }] },
          two: { data: [{ "data:asText": "x", "data:asBase64": "eA==" }] },
          b64: { data: [{ "data:asBase64": "not base64!" }] },
          past: { data: [{ blobId: "#ok", offset: 5, length: 6 }] },
          missing: { data: [{ blobId: "U" + "0".repeat(64) }] },
          big: { data: [{ blobId: "#ok" }, { blobId: "#ok" }] },
          noData: { type: "text/plain" },
          surrogate: { data: [{ "data:asText": "a\uD800b" }] },
        },
      }, "0"],
    ], { using: USING_BLOB });
    const [[, up]] = r.methodResponses as [Call];
    assert.deepEqual(Object.keys(up.created as object), ["ok"]);
    const nc = up.notCreated as Record<string, { type: string }>;
    assert.equal(nc.two!.type, "invalidArguments");
    assert.equal(nc.b64!.type, "invalidArguments");
    assert.equal(nc.past!.type, "invalidArguments");
    assert.equal(nc.missing!.type, "notFound");
    assert.equal(nc.big!.type, "tooLarge");
    assert.equal(nc.noData!.type, "invalidProperties");
    assert.equal(nc.surrogate!.type, "invalidArguments");
  } finally {
    await f.close();
  }
});

Deno.test("Blob/get: offset/length with isTruncated, digests of the range match node:crypto, data falls back to base64", async () => {
  const f = await jmapFixture();
  try {
    const acc = f.alice.id;
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0x42, 0x80, 0x43]);
    const text = "Grüße aus Köln";
    const r = await f.api([
      ["Blob/upload", {
        accountId: acc,
        create: {
          t: { data: [{ "data:asText": text }] },
          bin: { data: [{ "data:asBase64": btoa(String.fromCharCode(...binary)) }] },
        },
      }, "0"],
      ["Blob/get", {
        accountId: acc,
        ids: ["#t"],
        offset: 2,
        length: 5,
        properties: ["data:asText", "digest:sha", "digest:sha-256", "size"],
      }, "1"],
      [
        "Blob/get",
        { accountId: acc, ids: ["#t"], offset: 10, length: 100, properties: ["data:asBase64"] },
        "2",
      ],
      ["Blob/get", { accountId: acc, ids: ["#bin"] }, "3"],
      ["Blob/get", { accountId: acc, ids: ["#bin"], properties: ["data:asText", "digest:sha-256"] }, "4"],
    ], { using: USING_BLOB });
    const [, [, g1], [, g2], [, g3], [, g4]] = r.methodResponses as [Call, Call, Call, Call, Call];
    const all = bytesOf(text);
    const range = all.subarray(2, 7);
    const [one] = g1!.list as Record<string, unknown>[];
    assert.equal(one!["data:asText"], new TextDecoder().decode(range));
    assert.equal(one!["digest:sha"], digest("sha1", range));
    assert.equal(one!["digest:sha-256"], digest("sha256", range));
    assert.equal(one!.size, all.length);
    assert.equal(one!.isTruncated, undefined);
    const [two] = g2!.list as Record<string, unknown>[];
    assert.equal(two!.isTruncated, true);
    assert.equal(two!["data:asBase64"], btoa(String.fromCharCode(...all.subarray(10))));
    // Default properties "data" and "size": not UTF-8, so base64 and isEncodingProblem.
    const [three] = g3!.list as Record<string, unknown>[];
    assert.equal(three!["data:asBase64"], btoa(String.fromCharCode(...binary)));
    assert.equal(three!.isEncodingProblem, true);
    assert.equal(three!.size, binary.length);
    assert.equal(three!["data:asText"], undefined);
    const [four] = g4!.list as Record<string, unknown>[];
    assert.equal(four!["data:asText"], null);
    assert.equal(four!.isEncodingProblem, true);
    assert.equal(four!["digest:sha-256"], digest("sha256", binary));
  } finally {
    await f.close();
  }
});

Deno.test("another account's blobs are notFound for Blob/get, Blob/lookup and as a Blob/upload source", async () => {
  const f = await jmapFixture();
  try {
    const up = await f.api([
      [
        "Blob/upload",
        { accountId: f.alice.id, create: { a: { data: [{ "data:asText": "alice only" }] } } },
        "0",
      ],
    ], { using: USING_BLOB });
    const aliceBlob = ((up.methodResponses[0]![1].created as Record<string, { id: string }>).a!).id;
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const [added] = await f.store.storeMessages(sampleMessage(), [{
      accountId: f.alice.id,
      mailboxIds: [inbox!.id],
      keywords: [],
      receivedAt: new Date(),
    }]).then((x) => x.added);
    const aliceMessageBlob = `M${added!.id}`;
    const r = await f.api([
      ["Blob/get", { accountId: f.bob.id, ids: [aliceBlob, aliceMessageBlob], properties: ["size"] }, "0"],
      ["Blob/lookup", { accountId: f.bob.id, typeNames: ["Email"], ids: [aliceBlob, aliceMessageBlob] }, "1"],
      ["Blob/upload", { accountId: f.bob.id, create: { c: { data: [{ blobId: aliceBlob }] } } }, "2"],
      ["Blob/get", { accountId: f.alice.id, ids: [aliceBlob] }, "3"],
    ], { account: f.bob, using: USING_BLOB });
    const [[, get], [, lookup], [, upload], [name3, other]] = r.methodResponses as Call[] as [
      Call,
      Call,
      Call,
      Call,
    ];
    assert.deepEqual(get.list, []);
    assert.deepEqual(get.notFound, [aliceBlob, aliceMessageBlob]);
    assert.deepEqual(lookup.list, []);
    assert.deepEqual(lookup.notFound, [aliceBlob, aliceMessageBlob]);
    assert.equal((upload.notCreated as Record<string, { type: string }>).c!.type, "notFound");
    assert.equal(name3, "error");
    assert.equal(other.type, "accountNotFound");
  } finally {
    await f.close();
  }
});

Deno.test("Blob/lookup finds the Email, Mailbox and Thread of message, part and imported upload blobs", async () => {
  const f = await jmapFixture();
  try {
    const acc = f.alice.id;
    const inbox = await f.store.getMailboxByRole(acc, "inbox");
    const raw = sampleMessage({ subject: "lookup" });
    const up = await f.fetch(`/jmap/upload/${acc}/`, {
      method: "POST",
      headers: { authorization: f.basic(), "content-type": "message/rfc822" },
      body: raw,
    });
    const { blobId: uploaded } = await up.json();
    const r = await f.api([
      ["Email/import", {
        accountId: acc,
        emails: { e: { blobId: uploaded, mailboxIds: { [inbox!.id]: true } } },
      }, "0"],
      ["Email/get", { accountId: acc, ids: ["#e"], properties: ["blobId", "threadId", "textBody"] }, "1"],
      [
        "Blob/upload",
        { accountId: acc, create: { lone: { data: [{ "data:asText": "nobody uses me" }] } } },
        "2",
      ],
    ], { using: USING_BLOB });
    const email = (r.methodResponses[1]![1].list as Record<string, unknown>[])[0]!;
    const partBlob = (email.textBody as { blobId: string }[])[0]!.blobId;
    const lone = (r.methodResponses[2]![1].created as Record<string, { id: string }>).lone!.id;
    const l = await f.api([
      ["Blob/lookup", {
        accountId: acc,
        typeNames: ["Email", "Mailbox", "Thread"],
        ids: [email.blobId, partBlob, uploaded, lone, "Mnope"],
      }, "0"],
      ["Blob/lookup", { accountId: acc, typeNames: ["Calendar"], ids: [uploaded] }, "1"],
    ], { using: USING_BLOB });
    const [[, look], [name2, err]] = l.methodResponses as [Call, Call];
    const expected = { Email: [email.id], Mailbox: [inbox!.id], Thread: [email.threadId] };
    assert.deepEqual(look.list, [
      { id: email.blobId, matchedIds: expected },
      { id: partBlob, matchedIds: expected },
      { id: uploaded, matchedIds: expected },
      { id: lone, matchedIds: { Email: [], Mailbox: [], Thread: [] } },
    ]);
    assert.deepEqual(look.notFound, ["Mnope"]);
    assert.equal(name2, "error");
    assert.equal(err.type, "unknownDataType");
  } finally {
    await f.close();
  }
});

Deno.test("Blob methods need urn:ietf:params:jmap:blob in using", async () => {
  const f = await jmapFixture();
  try {
    const r = await f.api([["Blob/get", { accountId: f.alice.id, ids: [] }, "0"]]);
    const [[name, err]] = r.methodResponses as [Call];
    assert.equal(name, "error");
    assert.equal(err.type, "unknownMethod");
  } finally {
    await f.close();
  }
});

Deno.test("Blob/lookup of mail types is unknownDataType when the request does not use the mail capability", async () => {
  const f = await jmapFixture();
  try {
    const acc = f.alice.id;
    const r = await f.api([
      ["Blob/upload", { accountId: acc, create: { a: { data: [{ "data:asText": "x" }] } } }, "0"],
      ["Blob/lookup", { accountId: acc, typeNames: ["Email"], ids: ["#a"] }, "1"],
    ], { using: ["urn:ietf:params:jmap:core", BLOB] });
    const [[upName], [name, err]] = r.methodResponses as [Call, Call];
    assert.equal(upName, "Blob/upload");
    assert.equal(name, "error");
    assert.equal(err.type, "unknownDataType");
  } finally {
    await f.close();
  }
});
