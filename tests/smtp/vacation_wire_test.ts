/**
 * End to end: a JMAP VacationResponse set over HTTP makes inbound SMTP mail get an RFC 3834
 * auto-reply, once per sender, delivered to a local sender's Inbox.
 */
import assert from "node:assert/strict";
import { LineClient } from "../support/line_client.ts";
import { startTestServer } from "../support/server.ts";

async function smtpSend(port: number, from: string, to: string, body: string): Promise<void> {
  const c = await LineClient.connect(port);
  const expect = async (code: string) => {
    for (;;) {
      const l = (await c.read())!;
      assert.ok(l.startsWith(code), `expected ${code}, got ${l}`);
      if (l[3] === " ") return;
    }
  };
  await expect("220");
  await c.line("EHLO client.example");
  await expect("250");
  await c.line(`MAIL FROM:<${from}>`);
  await expect("250");
  await c.line(`RCPT TO:<${to}>`);
  await expect("250");
  await c.line("DATA");
  await expect("354");
  await c.send(
    `From: ${from}\r\nTo: ${to}\r\nSubject: hello\r\nMessage-ID: <${crypto.randomUUID()}@example.org>\r\n\r\n${body}\r\n.\r\n`,
  );
  await expect("250");
  await c.line("QUIT");
  await expect("221");
  c.close();
}

Deno.test("SMTP delivery to an account on vacation sends one auto-reply per sender", async () => {
  const t = await startTestServer();
  try {
    const bob = await t.addUser("bob@example.org", "bob-pw");
    await t.addUser("alice@example.org", "alice-pw");
    const auth = "Basic " + btoa("alice@example.org:alice-pw");
    const session = await (await fetch(`http://127.0.0.1:${t.port("http")}/jmap/session`, {
      headers: { authorization: auth },
    })).json();
    const accountId = session.primaryAccounts["urn:ietf:params:jmap:vacationresponse"];
    const res = await fetch(
      session.apiUrl.replace(/^https?:\/\/[^/]+/, `http://127.0.0.1:${t.port("http")}`),
      {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:vacationresponse"],
          methodCalls: [["VacationResponse/set", {
            accountId,
            update: { singleton: { isEnabled: true, subject: "Out of office", textBody: "Back on Monday." } },
          }, "0"]],
        }),
      },
    );
    const body = await res.json();
    assert.deepEqual(body.methodResponses?.[0]?.[1]?.updated, { singleton: null }, JSON.stringify(body));

    // Wait for the reply through the store's change notifications, not a timer.
    const inbox = await t.srv.context.store.getMailboxByRole(bob.id, "inbox");
    let notified: () => void = () => {};
    const arrived = new Promise<void>((r) => (notified = r));
    const unsubscribe = t.srv.context.store.notifier.subscribe(bob.id, async () => {
      if ((await t.srv.context.store.listPlacements(bob.id, inbox!.id)).length > 0) notified();
    });
    await smtpSend(t.port("smtp"), "bob@example.org", "alice@example.org", "Are you there?");
    await arrived;
    unsubscribe();
    // A second message from the same sender within the period gets no second reply.
    await smtpSend(t.port("smtp"), "bob@example.org", "alice@example.org", "Still there?");
    const placements = await t.srv.context.store.listPlacements(bob.id, inbox!.id);
    assert.equal(placements.length, 1);
    const reply = new TextDecoder().decode(
      (await t.srv.context.store.readMessage(bob.id, placements[0]!.messageId))!,
    );
    assert.match(reply, /^Auto-Submitted: auto-replied/m);
    assert.match(reply, /^Subject: Out of office/m);
    assert.match(reply, /^To: .*bob@example\.org/m);
    assert.match(reply, /Back on Monday\./);
  } finally {
    await t.close();
  }
});
