/**
 * Sieve's spamtest (RFC 3685) and spamtestplus (RFC 5235) see the spam score of core/spam: a
 * script filing on `spamtest :value "ge" "5"` files the message the rules score at 4 of 5 points
 * and leaves a clean one in the Inbox; with spam filtering off the test reports "0" (not tested).
 */
import assert from "node:assert/strict";
import { python } from "../support/line_client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import type { Account } from "../../core/store/types.ts";

const SEND = `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode())
s.quit()`;

const SCRIPT = `require ["spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto :create "Untested"; stop; }
if spamtest :value "ge" :comparator "i;ascii-numeric" "5" { fileinto :create "Spammy"; stop; }
if spamtest :percent :value "lt" :comparator "i;ascii-numeric" "10" { fileinto :create "Clean"; }
`;

// NO_MESSAGE_ID + NO_DATE + SUBJECT_CAPS + HTML_ONLY: 4 of 5 points, spamtest 5 (40%).
const SHOUTY =
  "From: a@example.net\r\nSubject: FREE MONEY WAITING NOW\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n";
const CLEAN = "From: a@example.net\r\nSubject: hello there\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\n" +
  "Message-ID: <clean@example.net>\r\n\r\nhi\r\n";

async function boxOf(t: TestServer, user: Account, subject: string): Promise<string> {
  const store = t.srv.context.store;
  for (const box of await store.listMailboxes(user.id)) {
    for (const p of await store.listPlacements(user.id, box.id)) {
      const raw = new TextDecoder().decode((await store.readMessage(user.id, p.messageId))!);
      if (raw.includes(`Subject: ${subject}\r\n`)) return box.name;
    }
  }
  throw new Error(`${subject} not found`);
}

async function withScript(spam: boolean, fn: (t: TestServer, user: Account) => Promise<void>): Promise<void> {
  // Connection facts off (no PTR for 127.0.0.1 in the static DNS): only the content rules count.
  const t = await startTestServer({ spam: { enabled: spam, weights: { rdns_fail: 0, helo_bad: 0 } } });
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    await t.srv.context.store.sieveScripts.put(user.id, "main", SCRIPT);
    await t.srv.context.store.sieveScripts.setActive(user.id, "main");
    await fn(t, user);
  } finally {
    await t.close();
  }
}

Deno.test("sieve spamtest: the spam score feeds spamtest and spamtestplus per account", async () => {
  await withScript(true, async (t, user) => {
    await python(SEND, [String(t.port("smtp")), "a@example.net", "u@example.org", SHOUTY]);
    await python(SEND, [String(t.port("smtp")), "a@example.net", "u@example.org", CLEAN]);
    assert.equal(await boxOf(t, user, "FREE MONEY WAITING NOW"), "Spammy");
    assert.equal(await boxOf(t, user, "hello there"), "Clean");
  });
});

Deno.test("sieve spamtest: with spam filtering off the message is untested (spamtest 0)", async () => {
  await withScript(false, async (t, user) => {
    await python(SEND, [String(t.port("smtp")), "a@example.net", "u@example.org", SHOUTY]);
    assert.equal(await boxOf(t, user, "FREE MONEY WAITING NOW"), "Untested");
  });
});
