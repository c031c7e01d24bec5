import assert from "node:assert/strict";
import { addToInbox, type JmapFixture, jmapFixture, USING } from "./_fixture.ts";
import { parseMime } from "../../core/mime/parse.ts";
import { partText } from "../../core/mime/body.ts";

const MDN_USING = [...USING, "urn:ietf:params:jmap:mdn"];
const enc = new TextEncoder();

/** A message from bob to alice asking for a read receipt (RFC 8098 §2.1). */
function receiptRequest(messageId: string, dnt = "Bob <bob@example.org>"): Uint8Array {
  return enc.encode(
    [
      "From: Bob <bob@example.org>",
      "To: alice@example.org",
      "Subject: World domination",
      "Date: Sat, 21 Nov 2026 10:00:00 +0100",
      `Message-ID: <${messageId}>`,
      ...(dnt ? [`Disposition-Notification-To: ${dnt}`] : []),
      "",
      "Take over the world.",
      "",
    ].join("\r\n"),
  );
}

async function aliceIdentity(f: JmapFixture): Promise<string> {
  const r = await f.api([["Identity/get", { accountId: f.alice.id }, "i"]]);
  return (r.methodResponses[0]![1].list as { id: string }[])[0]!.id;
}

const DISPLAYED = { actionMode: "manual-action", sendingMode: "mdn-sent-manually", type: "displayed" };

async function bobInbox(f: JmapFixture): Promise<string[]> {
  const inbox = await f.store.getMailboxByRole(f.bob.id, "inbox");
  return await f.store.queryMessages(f.bob.id, { filter: { inMailbox: inbox!.id } });
}

Deno.test("session advertises urn:ietf:params:jmap:mdn with empty objects (RFC 9007 §1.3)", async () => {
  const f = await jmapFixture();
  try {
    const s = await (await f.fetch("/jmap/session", { headers: { authorization: f.basic() } })).json();
    assert.deepEqual(s.capabilities["urn:ietf:params:jmap:mdn"], {});
    assert.deepEqual(s.accounts[f.alice.id].accountCapabilities["urn:ietf:params:jmap:mdn"], {});
    assert.equal(s.primaryAccounts["urn:ietf:params:jmap:mdn"], f.alice.id);
  } finally {
    await f.close();
  }
});

Deno.test("MDN/send delivers an RFC 8098 report to Disposition-Notification-To and sets $mdnsent", async () => {
  const f = await jmapFixture();
  try {
    const original = await addToInbox(f, f.alice, receiptRequest("1521@example.org"));
    const identityId = await aliceIdentity(f);
    const r = await f.api([["MDN/send", {
      accountId: f.alice.id,
      identityId,
      send: {
        k1546: {
          forEmailId: original.id,
          subject: "Read receipt for: World domination",
          textBody: "Your message was displayed.",
          reportingUA: "joes-pc.cs.example.com; Foomail 97.1",
          disposition: DISPLAYED,
          extensionFields: { "X-EXTENSION-EXAMPLE": "example.com" },
        },
      },
      onSuccessUpdateEmail: { "#k1546": { "keywords/$mdnsent": true } },
    }, "0"]], { using: MDN_USING });
    const [send, set] = r.methodResponses;
    assert.equal(send![0], "MDN/send");
    assert.equal(send![1].notSent, null);
    const sent = (send![1].sent as Record<string, Record<string, unknown>>).k1546!;
    assert.equal(sent.finalRecipient, "rfc822; alice@example.org");
    assert.equal(sent.originalMessageId, "<1521@example.org>");
    assert.equal(sent.includeOriginalMessage, false);
    assert.equal(set![0], "Email/set");
    assert.deepEqual(Object.keys(set![1].updated as object), [original.id]);
    const [after] = await f.store.getMessages(f.alice.id, [original.id]);
    assert.ok(after!.keywords.includes("$mdnsent"));

    const [mdnId] = await bobInbox(f);
    assert.ok(mdnId, "bob received the MDN");
    const raw = (await f.store.readMessage(f.bob.id, mdnId))!;
    const root = parseMime(raw);
    assert.equal(`${root.type}/${root.subtype}`, "multipart/report");
    assert.equal(root.params["report-type"], "disposition-notification");
    const report = partText(raw, root.children[1]!);
    assert.match(report, /^Reporting-UA: joes-pc.cs.example.com; Foomail 97.1\r\n/m);
    assert.match(report, /^Final-Recipient: rfc822; alice@example.org\r\n/m);
    assert.match(report, /^Original-Message-ID: <1521@example.org>\r\n/m);
    assert.match(report, /^Disposition: manual-action\/MDN-sent-manually; displayed\r\n/m);
    assert.match(report, /^X-EXTENSION-EXAMPLE: example.com\r\n/m);
    const text = new TextDecoder().decode(raw);
    assert.match(text, /^From: Alice <alice@example.org>\r\n/m);
    assert.match(text, /^To: Bob <bob@example.org>\r\n/m);
    assert.match(text, /^Subject: Read receipt for: World domination\r\n/m);
    // RFC 8098 §2.1: sent with a null envelope sender.
    assert.match(text, /^Return-Path: <>\r\n/m);

    // MDN/parse on the received MDN gives the fields back and finds the original in alice's account.
    const [bobMsg] = await f.store.getMessages(f.bob.id, [mdnId]);
    const blobR = await f.api([[
      "Email/get",
      { accountId: f.bob.id, ids: [mdnId], properties: ["blobId"] },
      "g",
    ]], {
      account: f.bob,
    });
    const blobId = (blobR.methodResponses[0]![1].list as { blobId: string }[])[0]!.blobId;
    assert.ok(bobMsg);
    const p = await f.api([["MDN/parse", { accountId: f.bob.id, blobIds: [blobId, "Gmissing"] }, "p"]], {
      account: f.bob,
      using: MDN_USING,
    });
    const res = p.methodResponses[0]![1];
    assert.deepEqual(res.notFound, ["Gmissing"]);
    assert.deepEqual((res.parsed as Record<string, unknown>)[blobId], {
      forEmailId: null, // the original is in alice's account, not bob's
      subject: "Read receipt for: World domination",
      textBody: "Your message was displayed.",
      includeOriginalMessage: false,
      reportingUA: "joes-pc.cs.example.com; Foomail 97.1",
      disposition: DISPLAYED,
      mdnGateway: null,
      originalRecipient: null,
      finalRecipient: "rfc822; alice@example.org",
      originalMessageId: "<1521@example.org>",
      error: null,
      extensionFields: { "X-EXTENSION-EXAMPLE": "example.com" },
    });
  } finally {
    await f.close();
  }
});

Deno.test("MDN/send errors: mdnAlreadySent, notFound, forbiddenFrom, invalidProperties; unknown identity", async () => {
  const f = await jmapFixture();
  try {
    const already = await addToInbox(f, f.alice, receiptRequest("a@example.org"), ["$mdnsent"]);
    const noDnt = await addToInbox(f, f.alice, receiptRequest("b@example.org", ""));
    const ok = await addToInbox(f, f.alice, receiptRequest("c@example.org"));
    const identityId = await aliceIdentity(f);
    const r = await f.api([["MDN/send", {
      accountId: f.alice.id,
      identityId,
      send: {
        already: { forEmailId: already.id, disposition: DISPLAYED },
        missing: { forEmailId: "Mnosuchemail", disposition: DISPLAYED },
        noDnt: { forEmailId: noDnt.id, disposition: DISPLAYED },
        notMine: { forEmailId: ok.id, disposition: DISPLAYED, finalRecipient: "rfc822; bob@example.org" },
        badMode: { forEmailId: ok.id, disposition: { ...DISPLAYED, type: "denied" } },
        serverSet: { forEmailId: ok.id, disposition: DISPLAYED, originalMessageId: "<x@y>" },
      },
      onSuccessUpdateEmail: { "#already": { "keywords/$flagged": true } },
    }, "0"]], { using: MDN_USING });
    assert.equal(r.methodResponses.length, 1, "no Email/set when nothing was sent");
    const notSent = r.methodResponses[0]![1].notSent as Record<
      string,
      { type: string; properties?: string[] }
    >;
    assert.equal(r.methodResponses[0]![1].sent, null);
    assert.equal(notSent.already!.type, "mdnAlreadySent");
    assert.equal(notSent.missing!.type, "notFound");
    assert.equal(notSent.noDnt!.type, "notFound");
    assert.equal(notSent.notMine!.type, "forbiddenFrom");
    assert.deepEqual(notSent.badMode, { type: "invalidProperties", properties: ["disposition"] });
    assert.deepEqual(notSent.serverSet!.properties, ["originalMessageId"]);
    assert.deepEqual(await bobInbox(f), [], "nothing was delivered");

    const bad = await f.api([["MDN/send", {
      accountId: f.alice.id,
      identityId: "nosuchidentity",
      send: { x: { forEmailId: ok.id, disposition: DISPLAYED } },
    }, "0"]], { using: MDN_USING });
    assert.deepEqual(bad.methodResponses[0]![0], "error");
    assert.equal(bad.methodResponses[0]![1].type, "invalidArguments");
    const without = await f.api([["MDN/send", { accountId: f.alice.id, identityId, send: {} }, "0"]]);
    assert.equal(without.methodResponses[0]![1].type, "unknownMethod", "needs the mdn capability in using");
  } finally {
    await f.close();
  }
});

Deno.test("MDN/send defaults subject and text, includes the original, and MDN/parse links forEmailId", async () => {
  const f = await jmapFixture();
  try {
    const original = await addToInbox(f, f.alice, receiptRequest("loop@example.org", "alice@example.org"));
    const identityId = await aliceIdentity(f);
    const r = await f.api([["MDN/send", {
      accountId: f.alice.id,
      identityId,
      send: {
        m: { forEmailId: original.id, disposition: DISPLAYED, includeOriginalMessage: true, subject: null },
      },
    }, "0"]], { using: MDN_USING });
    const sent = (r.methodResponses[0]![1].sent as Record<string, Record<string, unknown>>).m!;
    assert.equal(sent.subject, "Return Receipt (displayed) - World domination");
    assert.match(String(sent.textBody), /displayed/);
    assert.equal(sent.includeOriginalMessage, undefined, "the client set it");
    assert.equal(sent.finalRecipient, "rfc822; alice@example.org");
    assert.equal(r.methodResponses.length, 1, "no onSuccessUpdateEmail, no Email/set");
    // Alice asked herself for the receipt: the MDN is in her Inbox next to the original.
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const ids = await f.store.queryMessages(f.alice.id, { filter: { inMailbox: inbox!.id } });
    const mdnId = ids.find((id) => id !== original.id)!;
    const raw = (await f.store.readMessage(f.alice.id, mdnId))!;
    const root = parseMime(raw);
    assert.equal(`${root.children[2]!.type}/${root.children[2]!.subtype}`, "message/rfc822");
    const g = await f.api([["Email/get", {
      accountId: f.alice.id,
      ids: [mdnId, original.id],
      properties: ["blobId"],
    }, "g"]]);
    const [mdnBlob, origBlob] = (g.methodResponses[0]![1].list as { blobId: string }[]).map((e) => e.blobId);
    const p = await f.api([["MDN/parse", { accountId: f.alice.id, blobIds: [mdnBlob, origBlob] }, "p"]], {
      using: MDN_USING,
    });
    const res = p.methodResponses[0]![1];
    const parsed = (res.parsed as Record<string, Record<string, unknown>>)[mdnBlob!]!;
    assert.equal(parsed.forEmailId, original.id);
    assert.equal(parsed.includeOriginalMessage, true);
    assert.equal(parsed.subject, "Return Receipt (displayed) - World domination");
    assert.deepEqual(res.notParsable, [origBlob], "an ordinary message is not an MDN");
    assert.equal(res.notFound, null);
  } finally {
    await f.close();
  }
});

Deno.test("MDN/send refuses a Disposition-Notification-To longer than smtp.max_recipients", async () => {
  const f = await jmapFixture({ smtp: { max_recipients: 2 } });
  try {
    const many = await addToInbox(
      f,
      f.alice,
      receiptRequest("many@example.org", "bob@example.org, alice@example.org, Bob again <bob@example.org>"),
    );
    const r = await f.api([["MDN/send", {
      accountId: f.alice.id,
      identityId: await aliceIdentity(f),
      send: { m: { forEmailId: many.id, disposition: DISPLAYED } },
    }, "0"]], { using: MDN_USING });
    assert.equal((r.methodResponses[0]![1].notSent as Record<string, { type: string }>).m!.type, "forbidden");
    assert.deepEqual(await bobInbox(f), []);
  } finally {
    await f.close();
  }
});
