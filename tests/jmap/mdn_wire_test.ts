/**
 * End to end over SMTP and HTTP: Bob mails Alice asking for a read receipt (nodemailer over the
 * real SMTP listener); Alice answers with JMAP MDN/send over the real HTTP listener; the MDN goes
 * through the delivery pipeline into Bob's Inbox, where Bob finds it with Email/query and reads it
 * back with MDN/parse (RFC 9007, RFC 8098).
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startTestServer, type TestServer } from "../support/server.ts";

type Response = [string, Record<string, unknown>, string];

const USING = [
  "urn:ietf:params:jmap:core",
  "urn:ietf:params:jmap:mail",
  "urn:ietf:params:jmap:submission",
  "urn:ietf:params:jmap:mdn",
];

/** A JMAP client for one user, over the server's HTTP listener. */
async function jmapClient(t: TestServer, user: string, password: string) {
  const base = `http://127.0.0.1:${t.port("http")}`;
  const authorization = "Basic " + btoa(`${user}:${password}`);
  const session = await (await fetch(`${base}/jmap/session`, { headers: { authorization } })).json();
  assert.deepEqual(session.capabilities["urn:ietf:params:jmap:mdn"], {});
  const accountId: string = session.primaryAccounts["urn:ietf:params:jmap:mdn"];
  const api = async (methodCalls: unknown[]): Promise<Response[]> => {
    const res = await fetch(`${base}${new URL(session.apiUrl, base).pathname}`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ using: USING, methodCalls }),
    });
    assert.equal(res.status, 200);
    return (await res.json()).methodResponses;
  };
  return { accountId, api };
}

Deno.test("a read receipt sent with JMAP MDN/send arrives in the sender's Inbox and MDN/parse reads it", async () => {
  const t = await startTestServer();
  try {
    await t.addUser("alice@example.org", "alice-pw");
    await t.addUser("bob@example.org", "bob-pw");
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.port("smtp"),
      ignoreTLS: true,
    });
    await transport.sendMail({
      envelope: { from: "bob@example.org", to: ["alice@example.org"] },
      raw: "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Plans\r\n" +
        "Message-ID: <plans-1@example.org>\r\nDisposition-Notification-To: bob@example.org\r\n\r\nRead me.\r\n",
    });
    transport.close();

    const a = await jmapClient(t, "alice@example.org", "alice-pw");
    const found = await a.api([
      ["Email/query", { accountId: a.accountId }, "q"],
      ["Identity/get", { accountId: a.accountId }, "i"],
    ]);
    const [emailId] = found[0]![1].ids as string[];
    const identityId = (found[1]![1].list as { id: string }[])[0]!.id;
    const sent = await a.api([["MDN/send", {
      accountId: a.accountId,
      identityId,
      send: {
        r: {
          forEmailId: emailId,
          textBody: "I have read your message.",
          reportingUA: "wire-test; Tern",
          disposition: { actionMode: "manual-action", sendingMode: "mdn-sent-manually", type: "displayed" },
        },
      },
      onSuccessUpdateEmail: { "#r": { "keywords/$mdnsent": true } },
    }, "0"], ["Email/get", { accountId: a.accountId, ids: [emailId], properties: ["keywords"] }, "1"]]);
    assert.equal(sent[0]![1].notSent, null, JSON.stringify(sent));
    assert.equal(sent[1]![0], "Email/set");
    assert.deepEqual((sent[2]![1].list as { keywords: object }[])[0]!.keywords, { $mdnsent: true });

    // A second MDN for the same email is refused (RFC 9007 §2.1).
    const again = await a.api([["MDN/send", {
      accountId: a.accountId,
      identityId,
      send: {
        r: {
          forEmailId: emailId,
          disposition: { actionMode: "manual-action", sendingMode: "mdn-sent-manually", type: "displayed" },
        },
      },
    }, "0"]]);
    assert.equal((again[0]![1].notSent as Record<string, { type: string }>).r!.type, "mdnAlreadySent");

    const b = await jmapClient(t, "bob@example.org", "bob-pw");
    const inbox = await b.api([
      ["Email/query", { accountId: b.accountId }, "q"],
      ["Email/get", {
        accountId: b.accountId,
        "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
        properties: ["blobId", "subject", "from", "header:Content-Type:asText"],
      }, "g"],
    ]);
    const list = inbox[1]![1].list as Record<string, unknown>[];
    assert.equal(list.length, 1, "exactly the MDN is in Bob's Inbox");
    const mdn = list[0]!;
    assert.deepEqual(mdn.from, [{ name: null, email: "alice@example.org" }]);
    assert.match(
      String(mdn["header:Content-Type:asText"]),
      /^multipart\/report; report-type=disposition-notification;/,
    );
    const parsed = await b.api([["MDN/parse", { accountId: b.accountId, blobIds: [mdn.blobId] }, "p"]]);
    const p = (parsed[0]![1].parsed as Record<string, Record<string, unknown>>)[mdn.blobId as string]!;
    assert.equal(p.textBody, "I have read your message.");
    assert.equal(p.reportingUA, "wire-test; Tern");
    assert.equal(p.finalRecipient, "rfc822; alice@example.org");
    assert.equal(p.originalMessageId, "<plans-1@example.org>");
    assert.deepEqual(p.disposition, {
      actionMode: "manual-action",
      sendingMode: "mdn-sent-manually",
      type: "displayed",
    });
  } finally {
    await t.close();
  }
});
