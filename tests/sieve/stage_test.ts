/**
 * The Sieve delivery stage on a real server: SMTP and LMTP conversations (raw client) and the
 * server's delivery pipeline (awaiting its follow-up work), with scripts stored through the Store.
 */
import assert from "node:assert/strict";
import { LineClient } from "../support/line_client.ts";
import { startServer, type WireEnv } from "../smtp/_server.ts";
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import { memorySource } from "../../core/delivery/spool.ts";
import type { Account } from "../../core/store/types.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { GLOBAL_SCRIPTS } from "../../core/store/records/sieve_scripts.ts";
import { setImmediate } from "node:timers";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function reply(c: LineClient): Promise<string> {
  const lines: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null) throw new Error(`EOF after ${JSON.stringify(lines)}`);
    lines.push(l);
    if (/^\d{3} /.test(l)) return lines.join("\n");
  }
}

async function cmd(c: LineClient, line: string): Promise<string> {
  await c.line(line);
  return await reply(c);
}

/** One SMTP transaction on the MX listener; returns the reply to the end of DATA. */
async function smtp(env: WireEnv, from: string, rcpts: string[], raw: string): Promise<string> {
  const c = await LineClient.connect(env.port("smtp"));
  try {
    await reply(c);
    await cmd(c, "EHLO client.test");
    assert.match(await cmd(c, `MAIL FROM:<${from}>`), /^250/);
    for (const r of rcpts) assert.match(await cmd(c, `RCPT TO:<${r}>`), /^250/);
    assert.match(await cmd(c, "DATA"), /^354/);
    await c.send(raw + ".\r\n");
    const end = await reply(c);
    await cmd(c, "QUIT");
    return end;
  } finally {
    c.close();
  }
}

async function activate(env: WireEnv, account: Account, script: string): Promise<void> {
  await env.srv.context.store.sieveScripts.put(account.id, "main", script);
  await env.srv.context.store.sieveScripts.setActive(account.id, "main");
}

/** Delivers through the server's pipeline and waits for the follow-up work (redirects, replies). */
async function deliver(env: WireEnv, from: string | null, rcpts: string[], raw: string) {
  const tx = deliveryPipeline(env.srv.context).begin(
    { from, smtputf8: false, body: "8BITMIME" },
    { kind: "internal", sessionId: "test" },
    { mayRelay: false },
  );
  for (const r of rcpts) assert.equal(await tx.addRecipient({ address: r }), null);
  const result = await tx.deliver(memorySource(enc.encode(raw)));
  await result.hooks;
  return result;
}

/** The messages of a mailbox by full name, as text, with their keywords. */
async function box(
  env: WireEnv,
  account: Account,
  name: string,
): Promise<{ text: string; keywords: string[] }[]> {
  const store = env.srv.context.store;
  const all = await store.listMailboxes(account.id);
  const parts = name.split("/");
  let parent: string | null = null;
  let id: string | null = null;
  for (const p of parts) {
    const m = p === "INBOX"
      ? all.find((b) => b.role === "inbox")
      : all.find((b) => b.parentId === parent && b.name === p);
    if (!m) return [];
    id = parent = m.id;
  }
  const out = [];
  for (const p of await store.listPlacements(account.id, id!)) {
    out.push({
      text: dec.decode((await store.readMessage(account.id, p.messageId))!),
      keywords: [...p.keywords],
    });
  }
  return out;
}

const MSG = (subject: string, extra = "") =>
  `From: Sender <sender@remote.test>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${crypto.randomUUID()}@remote.test>\r\n${extra}\r\nHello\r\n`;

async function withEnv(fn: (env: WireEnv) => Promise<void>, overrides = {}): Promise<void> {
  const env = await startServer(overrides);
  try {
    await fn(env);
  } finally {
    await env.close();
  }
}

Deno.test("sieve stage: fileinto :create with flags files an SMTP delivery into a new folder, not the Inbox", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require ["fileinto", "imap4flags", "mailbox"];
if header :contains "subject" "[acme]" { fileinto :create :flags ["\\\\Seen", "Work"] "Lists/acme"; }`,
    );
    assert.match(await smtp(env, "sender@remote.test", ["alice@example.org"], MSG("[acme] news")), /^250 /);
    const filed = await box(env, env.alice, "Lists/acme");
    assert.equal(filed.length, 1);
    assert.match(filed[0]!.text, /^Return-Path: <sender@remote.test>\r\nReceived: /);
    assert.deepEqual(filed[0]!.keywords.sort(), ["$seen", "work"]);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
    // Another subject: the implicit keep.
    assert.match(await smtp(env, "sender@remote.test", ["alice@example.org"], MSG("other")), /^250 /);
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
  });
});

Deno.test("sieve stage: a message spilled to disk is filtered on its whole text (body test) and filed", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require ["fileinto", "body"]; if body :contains "needle-at-the-end" { fileinto "Found"; }`,
    );
    await env.srv.context.store.createMailbox(env.alice.id, { name: "Found" });
    const big = MSG("big").replace(
      "\r\nHello\r\n",
      "\r\n" + "filler line of text\r\n".repeat(5000) + "needle-at-the-end\r\n",
    );
    assert.match(await smtp(env, "sender@remote.test", ["alice@example.org"], big), /^250 /);
    const found = await box(env, env.alice, "Found");
    assert.equal(found.length, 1);
    assert.ok(found[0]!.text.endsWith("needle-at-the-end\r\n"));
  }, { smtp: { spill_threshold: 4096 } });
});

Deno.test("sieve stage: reject of the only recipient is 550 5.7.1 with the reason at DATA; nothing stored", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require "reject"; if header :contains "subject" "spam" { reject "No spam, thanks"; }`,
    );
    const end = await smtp(env, "sender@remote.test", ["alice@example.org"], MSG("buy spam"));
    assert.equal(end, "550 5.7.1 No spam, thanks");
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
  });
});

Deno.test("sieve stage: reject of one of two SMTP recipients delivers to the other and sends the sender an MDN", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "reject"; reject "Not here";`);
    const r = await deliver(
      env,
      "bob@example.org",
      ["alice@example.org", "bob@example.org"],
      MSG("hello both"),
    );
    assert.deepEqual(r.recipients.map((x) => x.status), ["delivered", "delivered"]);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
    const bobs = await box(env, env.bob, "INBOX");
    assert.equal(bobs.length, 2);
    const mdn = bobs.find((m) => /Subject: Rejected: hello both/.test(m.text))!;
    assert.match(mdn.text, /^Return-Path: <>\r\n/);
    assert.match(mdn.text, /report-type=disposition-notification/);
    assert.match(mdn.text, /Disposition: automatic-action\/MDN-sent-automatically; deleted/);
    assert.match(mdn.text, /Not here/);
  });
});

Deno.test("sieve stage: LMTP answers a rejecting recipient 550 5.7.1 and delivers the others", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "ereject"; ereject "Mailbox closed";`);
    const c = await LineClient.connect(env.port("lmtp"));
    try {
      await reply(c);
      await cmd(c, "LHLO client.test");
      await cmd(c, "MAIL FROM:<sender@remote.test>");
      await cmd(c, "RCPT TO:<alice@example.org>");
      await cmd(c, "RCPT TO:<bob@example.org>");
      await cmd(c, "DATA");
      await c.send(MSG("lmtp") + ".\r\n");
      assert.equal(await reply(c), "550 5.7.1 <alice@example.org> Mailbox closed");
      assert.match(await reply(c), /^250 2\.0\.0 <bob@example.org>/);
    } finally {
      c.close();
    }
    assert.equal((await box(env, env.bob, "INBOX")).length, 1);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
  }, { listeners: { lmtp: { enabled: true } } });
});

Deno.test("sieve stage: redirect to a local user; two scripts redirecting to each other stop after one round", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `redirect "bob@example.org";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("forward me"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
    const bobs = await box(env, env.bob, "INBOX");
    assert.equal(bobs.length, 1);
    assert.match(bobs[0]!.text, /X-Sieve-Redirected-From: <alice@example.org>\r\n/);
    assert.match(bobs[0]!.text, /^Return-Path: <sender@remote.test>\r\n/);
    // Bob now redirects back: alice -> bob -> alice, where alice's own marker stops it (kept).
    await activate(env, env.bob, `redirect "alice@example.org";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("ping pong"));
    const alices = await box(env, env.alice, "INBOX");
    assert.equal(alices.length, 1);
    assert.match(alices[0]!.text, /Subject: ping pong/);
    // alice -> bob -> alice: two hops, stopped by alice's own marker (not by the hop limit).
    assert.equal(alices[0]!.text.match(/X-Sieve-Redirected-From:/g)!.length, 2);
    assert.equal((await box(env, env.bob, "INBOX")).length, 1);
  });
});

Deno.test("sieve stage: a redirect chain through many accounts stops after 8 hops, kept where it stopped", async () => {
  await withEnv(async (env) => {
    const store = env.srv.context.store;
    const accounts: Account[] = [];
    for (let i = 0; i < 10; i++) {
      accounts.push(
        await store.createAccount({ address: `hop${i}@example.org`, secrets: { passwordHash: "x" } }),
      );
    }
    for (let i = 0; i < 9; i++) await activate(env, accounts[i]!, `redirect "hop${i + 1}@example.org";`);
    await deliver(env, "sender@remote.test", ["hop0@example.org"], MSG("chain"));
    const counts = await Promise.all(accounts.map(async (a) => (await box(env, a, "INBOX")).length));
    assert.deepEqual(counts, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const kept = (await box(env, accounts[8]!, "INBOX"))[0]!.text;
    assert.equal(kept.match(/X-Sieve-Redirected-From:/g)!.length, 8);
  });
});

Deno.test("sieve stage: a redirect is stored before the delivery is reported; one that fails keeps the message", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `redirect "bob@example.org";`);
    const tx = deliveryPipeline(env.srv.context).begin(
      { from: "sender@remote.test", smtputf8: false, body: "8BITMIME" },
      { kind: "internal", sessionId: "test" },
      { mayRelay: false },
    );
    await tx.addRecipient({ address: "alice@example.org" });
    const r = await tx.deliver(memorySource(enc.encode(MSG("durable"))));
    // Not awaiting r.hooks: the redirected copy is already committed when deliver resolves.
    assert.equal((await box(env, env.bob, "INBOX")).length, 1);
    await r.hooks;
    // An unknown local target: the redirect is refused, and alice keeps the message.
    await activate(env, env.alice, `redirect "nobody@example.org";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("fallback"));
    const kept = await box(env, env.alice, "INBOX");
    assert.equal(kept.length, 1);
    assert.match(kept[0]!.text, /^Return-Path: <sender@remote.test>\r\n[^]*Subject: fallback/);
  });
});

Deno.test("sieve stage: a redirect to the message's own sender is kept instead", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `redirect "bob@example.org";`);
    await deliver(env, "bob@example.org", ["alice@example.org"], MSG("from bob"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
    assert.equal((await box(env, env.bob, "INBOX")).length, 0);
  });
});

Deno.test("sieve stage: vacation replies once per period; JMAP VacationResponse, when on, is the only reply", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "vacation"; vacation :subject "Away" "Back on Monday.";`);
    const toAlice = (s: string) =>
      MSG(s).replace("From: Sender <sender@remote.test>", "From: Bob <bob@example.org>");
    await deliver(env, "bob@example.org", ["alice@example.org"], toAlice("first"));
    await deliver(env, "bob@example.org", ["alice@example.org"], toAlice("second"));
    const replies = await box(env, env.bob, "INBOX");
    assert.equal(replies.length, 1);
    assert.match(replies[0]!.text, /^Return-Path: <>\r\n/);
    assert.match(replies[0]!.text, /Subject: Away\r\n/);
    assert.match(replies[0]!.text, /Auto-Submitted: auto-replied/);
    assert.match(replies[0]!.text, /Back on Monday\./);
    assert.equal((await box(env, env.alice, "INBOX")).length, 2);
    // JMAP VacationResponse on: its reply, and the script's vacation is skipped.
    const store = env.srv.context.store;
    await store.sieveScripts.put(
      env.alice.id,
      "main",
      `require "vacation"; vacation :handle "new" :subject "Sieve" "x";`,
    );
    await store.vacations.set(env.alice.id, {
      id: "singleton",
      isEnabled: true,
      fromDate: null,
      toDate: null,
      subject: "JMAP away",
      textBody: "From JMAP",
      htmlBody: null,
    });
    await deliver(env, "bob@example.org", ["alice@example.org"], toAlice("third"));
    const after = await box(env, env.bob, "INBOX");
    assert.deepEqual(after.map((m) => /Subject: ([^\r\n]*)/.exec(m.text)![1]), ["Away", "JMAP away"]);
  });
});

Deno.test("sieve stage: vacation :mime sends the reason as the MIME entity; a :from the account may not use is replaced", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require "vacation";
vacation :mime :from "Boss <ceo@elsewhere.example>" text:
Content-Type: text/html; charset=utf-8

<p>Away</p>
.
;`,
    );
    const toAlice = MSG("mime").replace("From: Sender <sender@remote.test>", "From: Bob <bob@example.org>");
    await deliver(env, "bob@example.org", ["alice@example.org"], toAlice);
    const [reply] = await box(env, env.bob, "INBOX");
    assert.ok(reply, "no reply");
    assert.match(reply.text, /\r\nFrom: <alice@example.org>\r\n/);
    assert.match(
      reply.text,
      /\r\nMIME-Version: 1\.0\r\nContent-Type: text\/html; charset=utf-8\r\n\r\n<p>Away<\/p>\r\n$/,
    );
    assert.equal(reply.text.match(/Content-Type:/g)!.length, 1);
  });
});

Deno.test("sieve stage: a message the script discards or rejects gets no JMAP vacation reply", async () => {
  await withEnv(async (env) => {
    const store = env.srv.context.store;
    await store.vacations.set(env.alice.id, {
      id: "singleton",
      isEnabled: true,
      fromDate: null,
      toDate: null,
      subject: "JMAP away",
      textBody: "x",
      htmlBody: null,
    });
    const toAlice = (s: string) =>
      MSG(s).replace("From: Sender <sender@remote.test>", "From: Bob <bob@example.org>");
    await activate(
      env,
      env.alice,
      `require "reject"; if header :contains "subject" "drop" { discard; } else { reject "no"; }`,
    );
    await deliver(env, "bob@example.org", ["alice@example.org", "bob@example.org"], toAlice("drop this"));
    await deliver(env, "bob@example.org", ["alice@example.org", "bob@example.org"], toAlice("reject this"));
    const subjects = (await box(env, env.bob, "INBOX")).map((m) => /Subject: ([^\r\n]*)/.exec(m.text)![1]);
    // Bob's own copies and the rejection notice; no "JMAP away".
    assert.deepEqual(subjects.sort(), ["Rejected: reject this", "drop this", "reject this"]);
  });
});

Deno.test("sieve stage: a script failing at run time keeps the message in the Inbox", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "fileinto"; fileinto "Archive"; redirect "not an address";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("kept"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
    assert.equal((await box(env, env.alice, "Archive")).length, 0);
  });
});

Deno.test("sieve stage: discard stores nothing; editheader changes only the filtering account's copy", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require "editheader"; addheader "X-Filtered" "alice"; deleteheader "subject";`,
    );
    await activate(env, env.bob, `discard;`);
    await deliver(env, "sender@remote.test", ["alice@example.org", "bob@example.org"], MSG("edit me"));
    assert.equal((await box(env, env.bob, "INBOX")).length, 0);
    const a = await box(env, env.alice, "INBOX");
    assert.equal(a.length, 1);
    assert.match(a[0]!.text, /^Return-Path: <sender@remote.test>\r\nX-Filtered: alice\r\nFrom: /);
    assert.doesNotMatch(a[0]!.text, /Subject:/);
  });
});

Deno.test("sieve stage: recipients of one delivery share its parsed message, not one another's header edits", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require ["editheader", "fileinto", "mailbox"]; addheader "X-Filtered" "alice"; deleteheader "subject";
if exists "x-filtered" { fileinto :create "Edited"; }`,
    );
    await activate(
      env,
      env.bob,
      `require ["fileinto", "mailbox"]; if exists "x-filtered" { fileinto :create "Leak"; stop; }
if header :contains "subject" "edit me" { fileinto :create "Seen"; }`,
    );
    assert.match(
      await smtp(env, "sender@remote.test", ["alice@example.org", "bob@example.org"], MSG("edit me")),
      /^250 /,
    );
    assert.equal((await box(env, env.alice, "Edited")).length, 1);
    assert.equal((await box(env, env.bob, "Leak")).length, 0);
    const seen = await box(env, env.bob, "Seen");
    assert.equal(seen.length, 1);
    assert.doesNotMatch(seen[0]!.text, /X-Filtered/);
  });
});

Deno.test("sieve stage: RFC 5183 environment items name the server, and the client of an SMTP delivery", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require ["environment", "fileinto", "mailbox"];
if allof (environment :is "host" "mx.test", environment :is "domain" "test",
          environment :is "location" "MDA", environment :is "phase" "during") {
  if allof (environment :is "remote-ip" "127.0.0.1", environment :is "remote-host" "client.test") {
    fileinto :create "FromClient"; stop;
  }
  if not environment :matches "remote-ip" "*" { fileinto :create "Internal"; stop; }
}`,
    );
    assert.match(await smtp(env, "sender@remote.test", ["alice@example.org"], MSG("smtp")), /^250 /);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("internal"));
    assert.match(await smtp(env, "sender@remote.test", ["alice@example.org"], MSG("smtp again")), /^250 /);
    assert.equal((await box(env, env.alice, "FromClient")).length, 2);
    assert.equal((await box(env, env.alice, "Internal")).length, 1);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
  });
});

Deno.test("sieve stage: an edited copy and the shared one are placed all-or-nothing", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "editheader"; addheader "X-Filtered" "alice";`);
    // Alice's mailbox is full: her edited copy fails, and bob's plain copy is not stored either.
    await env.srv.context.store.updateAccount(env.alice.id, { quotaBytes: 10 });
    const r = await deliver(
      env,
      "sender@remote.test",
      ["alice@example.org", "bob@example.org"],
      MSG("atomic"),
    );
    assert.deepEqual(r.recipients.map((x) => x.status), ["failed", "failed"]);
    assert.equal((await box(env, env.bob, "INBOX")).length, 0);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
  });
});

Deno.test("sieve stage: duplicate discards a second copy with the same Message-ID", async () => {
  await withEnv(async (env) => {
    await activate(env, env.alice, `require "duplicate"; if duplicate { discard; }`);
    const m = MSG("dup");
    await deliver(env, "sender@remote.test", ["alice@example.org"], m);
    await deliver(env, "sender@remote.test", ["alice@example.org"], m);
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
  });
});

Deno.test("sieve stage: a run that fails adds its Message-ID to no list; the next successful one does (RFC 7352 §3)", async () => {
  await withEnv(async (env) => {
    await activate(
      env,
      env.alice,
      `require "duplicate"; if duplicate { discard; stop; }
       if header :contains "subject" "fail" { redirect "not an address"; }`,
    );
    const id = `<${crypto.randomUUID()}@remote.test>`;
    const m = (subject: string) =>
      `From: Sender <sender@remote.test>\r\nTo: alice@example.org\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\n\r\nHello\r\n`;
    // Fails at run time: kept, and not recorded...
    await deliver(env, "sender@remote.test", ["alice@example.org"], m("fail"));
    // ...so this copy is no duplicate; its run succeeds and records the id...
    await deliver(env, "sender@remote.test", ["alice@example.org"], m("ok"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 2);
    // ...and the next copy is one.
    await deliver(env, "sender@remote.test", ["alice@example.org"], m("ok again"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 2);
  });
});

Deno.test("sieve stage: script changes made through another store connection apply to the next delivery", async () => {
  await withEnv(async (env) => {
    const subjects = () => box(env, env.alice, "INBOX").then((m) => m.length);
    // The first delivery finds no script (and the stage remembers that).
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("one"));
    assert.equal(await subjects(), 1);
    // Another connection to the same database (as `tern sieve` in another process would be).
    const other = await SqliteStore.open({ dataDir: env.dir });
    // The server's reads of one event-loop turn share one snapshot (core/store/sqlite/database.ts
    // read scopes): another process's commit is seen from the next turn on, which mail arriving
    // over the network after it always is. In one process the test waits for that turn itself.
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    try {
      const scripts = other.sieveScripts;
      await scripts.put(env.alice.id, "main", `require ["fileinto", "mailbox"]; fileinto :create "First";`);
      await scripts.setActive(env.alice.id, "main");
      await nextTurn();
      await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("two"));
      assert.equal((await box(env, env.alice, "First")).length, 1);
      // A new version of the active script.
      await scripts.put(env.alice.id, "main", `require ["fileinto", "mailbox"]; fileinto :create "Second";`);
      await nextTurn();
      await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("three"));
      assert.equal((await box(env, env.alice, "Second")).length, 1);
      // Deactivated: back to the Inbox.
      await scripts.setActive(env.alice.id, null);
      await nextTurn();
      await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("four"));
      assert.equal(await subjects(), 2);
      assert.equal((await box(env, env.alice, "First")).length, 1);
      assert.equal((await box(env, env.alice, "Second")).length, 1);
    } finally {
      await other.close();
    }
  });
});

Deno.test("sieve stage: include :global runs the server's script; :personal does not see it", async () => {
  await withEnv(async (env) => {
    await env.srv.context.store.sieveScripts.put(
      GLOBAL_SCRIPTS,
      "lists",
      `require ["fileinto", "mailbox"]; if header :contains "subject" "[list]" { fileinto :create "Lists"; }`,
    );
    await activate(env, env.alice, `require "include"; include :global "lists";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("[list] news"));
    assert.equal((await box(env, env.alice, "Lists")).length, 1);
    assert.equal((await box(env, env.alice, "INBOX")).length, 0);
    // The account has no script of that name: a personal include fails, and the message is kept.
    await activate(env, env.alice, `require "include"; include :personal "lists";`);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("[list] more"));
    assert.equal((await box(env, env.alice, "Lists")).length, 1);
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
  });
});

Deno.test("sieve stage: [sieve] max_actions stops a script with more actions, and the message is kept", async () => {
  const script = `require ["fileinto", "mailbox", "copy"];
    fileinto :copy :create "A"; fileinto :copy :create "B"; fileinto :copy :create "C";`;
  await withEnv(async (env) => {
    await activate(env, env.alice, script);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("three"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
    assert.equal((await box(env, env.alice, "A")).length, 0);
  }, { sieve: { max_actions: 2 } });
  // Under the default limit the same script files three copies and keeps one.
  await withEnv(async (env) => {
    await activate(env, env.alice, script);
    await deliver(env, "sender@remote.test", ["alice@example.org"], MSG("three"));
    assert.equal((await box(env, env.alice, "INBOX")).length, 1);
    assert.equal((await box(env, env.alice, "C")).length, 1);
  });
});
