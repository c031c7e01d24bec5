/**
 * JMAP Blob management (RFC 9404) against the real HTTP listener (createServer on 127.0.0.1 port 0,
 * fetch over the socket): the session advertises the capability, Blob/upload with a `#creationId`
 * range chained into Blob/get with digests checked against node:crypto, Blob/lookup after
 * Email/import, and another account's blob id is notFound.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";

const PASSWORD = "blob wire pw";
const BLOB = "urn:ietf:params:jmap:blob";
const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", BLOB];

type Call = [string, Record<string, unknown>, string];

Deno.test("wire: Blob/upload, Blob/get and Blob/lookup over the real listener, scoped to the account", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-jmap-blob-" });
  const config = testConfig(dir, { hostname: "mx.test", local_domains: ["example.org"] });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  try {
    const { store, auth } = srv.context;
    const secrets = await auth.deriveSecrets(PASSWORD);
    const alice = await store.createAccount({ address: "alice@example.org", secrets });
    await store.createAccount({ address: "bob@example.org", secrets });
    await srv.start();
    const { hostname, port } = srv.addresses.http;
    const base = `http://${hostname}:${port}`;
    const authOf = (who: string) => "Basic " + btoa(`${who}:${PASSWORD}`);

    const sessionRes = await fetch(`${base}/.well-known/jmap`, {
      headers: { authorization: authOf(alice.address) },
    });
    assert.equal(sessionRes.status, 200);
    const session = await sessionRes.json();
    assert.deepEqual(session.capabilities[BLOB], {});
    assert.deepEqual(session.accounts[alice.id].accountCapabilities[BLOB].supportedDigestAlgorithms, [
      "sha",
      "sha-256",
    ]);
    const api = async (who: string, calls: Call[]): Promise<Call[]> => {
      const res = await fetch(session.apiUrl, {
        method: "POST",
        headers: { authorization: authOf(who), "content-type": "application/json" },
        body: JSON.stringify({ using: USING, methodCalls: calls }),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return JSON.parse(text).methodResponses;
    };

    const message = new TextEncoder().encode(
      "From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: wire blob\r\n" +
        "Message-ID: <wire-blob@example.net>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nBody text\r\n",
    );
    const headerEnd = new TextDecoder().decode(message).indexOf("\r\n\r\n") + 4;
    const inbox = await store.getMailboxByRole(alice.id, "inbox");
    const r = await api(alice.address, [
      // The message built from two sources: a base64 head and a text tail.
      ["Blob/upload", {
        accountId: alice.id,
        create: {
          msg: {
            type: "message/rfc822",
            data: [
              { "data:asBase64": btoa(String.fromCharCode(...message.subarray(0, 20))) },
              { "data:asText": new TextDecoder().decode(message.subarray(20)) },
            ],
          },
          // Its body alone, as a range of the blob created just before.
          body: { data: [{ blobId: "#msg", offset: headerEnd }] },
        },
      }, "0"],
      ["Blob/get", {
        accountId: alice.id,
        ids: ["#msg", "#body"],
        properties: ["digest:sha", "digest:sha-256", "size"],
      }, "1"],
      ["Blob/get", { accountId: alice.id, ids: ["#msg"], offset: headerEnd, length: 4 }, "2"],
      ["Email/import", {
        accountId: alice.id,
        emails: { e: { blobId: "#msg", mailboxIds: { [inbox!.id]: true } } },
      }, "3"],
      ["Blob/lookup", { accountId: alice.id, typeNames: ["Email", "Mailbox"], ids: ["#msg", "#body"] }, "4"],
    ]);
    const [[, up], [, get], [, ranged], [, imported], [, lookup]] = r as [Call, Call, Call, Call, Call];
    const created = up.created as Record<string, { id: string; size: number }>;
    assert.equal(created.msg!.size, message.length);
    assert.equal(created.body!.size, message.length - headerEnd);
    const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("base64");
    const body = message.subarray(headerEnd);
    assert.deepEqual(get.list, [
      {
        id: created.msg!.id,
        "digest:sha": sha("sha1", message),
        "digest:sha-256": sha("sha256", message),
        size: message.length,
      },
      {
        id: created.body!.id,
        "digest:sha": sha("sha1", body),
        "digest:sha-256": sha("sha256", body),
        size: body.length,
      },
    ]);
    assert.deepEqual(ranged.list, [{ id: created.msg!.id, "data:asText": "Body", size: message.length }]);
    const emailId = (imported.created as Record<string, { id: string }>).e!.id;
    assert.deepEqual(lookup.list, [
      { id: created.msg!.id, matchedIds: { Email: [emailId], Mailbox: [inbox!.id] } },
      { id: created.body!.id, matchedIds: { Email: [], Mailbox: [] } },
    ]);

    // Bob cannot read, look up or build from Alice's blob.
    const bobSession = await (await fetch(`${base}/.well-known/jmap`, {
      headers: { authorization: authOf("bob@example.org") },
    })).json();
    const bobId = bobSession.primaryAccounts[BLOB] as string;
    const [[, bg], [, bl], [, bu]] = await api("bob@example.org", [
      ["Blob/get", { accountId: bobId, ids: [created.msg!.id], properties: ["size"] }, "0"],
      ["Blob/lookup", { accountId: bobId, typeNames: ["Email"], ids: [created.msg!.id] }, "1"],
      ["Blob/upload", { accountId: bobId, create: { c: { data: [{ blobId: created.msg!.id }] } } }, "2"],
    ]) as [Call, Call, Call];
    assert.deepEqual(bg.notFound, [created.msg!.id]);
    assert.deepEqual(bg.list, []);
    assert.deepEqual(bl.notFound, [created.msg!.id]);
    assert.equal((bu.notCreated as Record<string, { type: string }>).c!.type, "notFound");
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});
