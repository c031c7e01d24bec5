/**
 * End to end over HTTP and SMTP: a JMAP EmailSubmission to a local recipient goes through the same
 * inbound pipeline as SMTP mail, so the recipient's VacationResponse answers it (RFC 3834, as it
 * answers SMTP mail) and its trace fields have the shape SMTP's have.
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startTestServer, type TestServer } from "../support/server.ts";

type Response = [string, Record<string, unknown>, string];

/** A JMAP client for one user, over the server's HTTP listener. */
async function jmapClient(t: TestServer, user: string, password: string) {
  const base = `http://127.0.0.1:${t.port("http")}`;
  const authorization = "Basic " + btoa(`${user}:${password}`);
  const session = await (await fetch(`${base}/jmap/session`, { headers: { authorization } })).json();
  const accountId: string = session.primaryAccounts["urn:ietf:params:jmap:mail"];
  const api = async (methodCalls: unknown[]): Promise<Response[]> => {
    const res = await fetch(`${base}${new URL(session.apiUrl, base).pathname}`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({
        using: [
          "urn:ietf:params:jmap:core",
          "urn:ietf:params:jmap:mail",
          "urn:ietf:params:jmap:submission",
          "urn:ietf:params:jmap:vacationresponse",
        ],
        methodCalls,
      }),
    });
    return (await res.json()).methodResponses;
  };
  return { accountId, api };
}

/** The Received field's shape: every value (names, addresses, protocol, id, date) replaced by a mark. */
function receivedShape(raw: string): string {
  const m = /^Return-Path: <[^>]*>\r\n(Received: [^\r\n]*(?:\r\n\t[^\r\n]*)*)\r\n/.exec(raw);
  assert.ok(m, `no Return-Path and Received in front of:\n${raw.slice(0, 300)}`);
  return m[1]!
    .replace(/^Received: from \S+ \(\[[^\]]+\]\)/, "Received: from NAME ([IP])")
    .replace(/ with [A-Z0-9]+ id \S+/, " with PROTO id ID")
    .replace(/;\r\n\t.*$/, ";\r\n\tDATE");
}

Deno.test("JMAP EmailSubmission to a local account on vacation gets the auto-reply, with SMTP's trace fields", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const alice = await t.addUser("alice@example.org", "alice-pw");
    const bob = await t.addUser("bob@example.org", "bob-pw");

    // The reference: mail for Alice over SMTP, sent before her vacation starts.
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.port("smtp"),
      ignoreTLS: true,
    });
    await transport.sendMail({
      envelope: { from: "carol@remote.test", to: ["alice@example.org"] },
      raw: "From: carol@remote.test\r\nTo: alice@example.org\r\nSubject: by smtp\r\n\r\nhello\r\n",
    });
    transport.close();

    const a = await jmapClient(t, "alice@example.org", "alice-pw");
    const vacation = (await a.api([["VacationResponse/set", {
      accountId: a.accountId,
      update: { singleton: { isEnabled: true, subject: "Out of office", textBody: "Back on Monday." } },
    }, "0"]]))[0]![1];
    assert.deepEqual(vacation.updated, { singleton: null }, JSON.stringify(vacation));

    // Wait for the reply in Bob's Inbox through the store's change notifications, not a timer.
    const bobInbox = (await store.getMailboxByRole(bob.id, "inbox"))!;
    let notified: () => void = () => {};
    const arrived = new Promise<void>((r) => (notified = r));
    const unsubscribe = store.notifier.subscribe(bob.id, async () => {
      if ((await store.listPlacements(bob.id, bobInbox.id)).length > 0) notified();
    });

    const b = await jmapClient(t, "bob@example.org", "bob-pw");
    const got = await b.api([
      ["Mailbox/get", { accountId: b.accountId }, "m"],
      ["Identity/get", { accountId: b.accountId }, "i"],
    ]);
    const drafts = (got[0]![1].list as { id: string; role: string }[]).find((m) => m.role === "drafts")!.id;
    const identityId = (got[1]![1].list as { id: string }[])[0]!.id;
    const sent = await b.api([
      ["Email/set", {
        accountId: b.accountId,
        create: {
          d: {
            mailboxIds: { [drafts]: true },
            from: [{ email: "bob@example.org" }],
            to: [{ email: "alice@example.org" }],
            subject: "by jmap",
            bodyValues: { v: { value: "Are you there?" } },
            textBody: [{ partId: "v", type: "text/plain" }],
          },
        },
      }, "0"],
      ["EmailSubmission/set", {
        accountId: b.accountId,
        create: { s: { identityId, emailId: "#d" } },
      }, "1"],
    ]);
    assert.ok(sent[1]![1].created, JSON.stringify(sent));
    // Event-driven; the bound only turns a missing reply into a failure instead of a hang.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const missing = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no vacation reply within 60 s")), 60_000);
    });
    try {
      await Promise.race([arrived, missing]);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }

    const [reply] = await store.listPlacements(bob.id, bobInbox.id);
    const replyText = new TextDecoder().decode((await store.readMessage(bob.id, reply!.messageId))!);
    // RFC 3834 §3.3: sent with the null reverse-path, delivered through the same pipeline.
    assert.match(replyText, /^Return-Path: <>\r\n/);
    assert.match(replyText, /^Auto-Submitted: auto-replied/m);
    assert.match(replyText, /^Subject: Out of office/m);
    assert.match(replyText, /^To: <bob@example\.org>/m);
    assert.match(replyText, /Back on Monday\./);

    // Alice's two messages: the SMTP one and the JMAP one carry the same Received shape.
    const aliceInbox = (await store.getMailboxByRole(alice.id, "inbox"))!;
    const texts: string[] = [];
    for (const p of await store.listPlacements(alice.id, aliceInbox.id)) {
      texts.push(new TextDecoder().decode((await store.readMessage(alice.id, p.messageId))!));
    }
    const bySmtp = texts.find((s) => /^Subject: by smtp/m.test(s))!;
    const byJmap = texts.find((s) => /^Subject: by jmap/m.test(s))!;
    assert.match(
      bySmtp,
      /^Return-Path: <carol@remote\.test>\r\nReceived: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby \S+ \(Tern\) with ESMTP /,
    );
    assert.match(
      byJmap,
      /^Return-Path: <bob@example\.org>\r\nReceived: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)\r\n\tby \S+ \(Tern\) with HTTP /,
    );
    assert.equal(receivedShape(byJmap), receivedShape(bySmtp));
    assert.match(receivedShape(byJmap), /\r\n\tfor <alice@example\.org>;/);
  } finally {
    await t.close();
  }
});
