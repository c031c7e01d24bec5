/**
 * The whole server on PostgreSQL (`[store] backend = "postgres"`): a message submitted over SMTP
 * (nodemailer) to a local and a remote recipient is stored for the local one, read and flagged
 * over IMAP (imapflow), listed and retrieved over POP3, seen with its flag over JMAP, and the
 * remote copy is delivered by the queue to a loopback MX. The rows are in the PostgreSQL
 * database (a second store opened on it sees them) and no SQLite database was created. Two servers
 * on one database and data dir: a message delivered over SMTP to one reaches an IMAP IDLE session
 * on the other (change events through LISTEN/NOTIFY).
 *
 * @module
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { ImapFlow } from "imapflow";
import { startTestServer } from "../support/server.ts";
import { LineClient } from "../support/line_client.ts";
import { startSink } from "../queue/_sink.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";
import { startTestServer as startServerIn } from "../runtime/_server_helpers.ts";

Deno.test("server on PostgreSQL: SMTP in, IMAP, POP3 and JMAP out, and the queue delivers the remote copy", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  let arrived: () => void = () => {};
  const remote = new Promise<void>((r) => (arrived = r));
  const sink = await startSink({
    data: () => {
      arrived();
      return "accept";
    },
  });
  const t = await startTestServer({
    store: { backend: "postgres", url },
    queue: { static_dns: [{ name: "remote.test", type: "A", value: sink.address }] },
  });
  try {
    await t.addUser("alice@example.org", "alice-pw");
    const bob = await t.addUser("bob@example.org", "bob-pw");

    // SMTP submission (authenticated, STARTTLS): one local and one remote recipient.
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.port("submission"),
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.org", pass: "alice-pw" },
    });
    const info = await transport.sendMail({
      from: "alice@example.org",
      to: ["bob@example.org", "friend@remote.test"],
      subject: "Stored in PostgreSQL",
      text: "Hello from Tern on PostgreSQL",
    });
    transport.close();
    assert.deepEqual(info.accepted.sort(), ["bob@example.org", "friend@remote.test"]);

    // The queue delivers the remote copy.
    await remote;
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.rcpts.map((r) => r.address), ["friend@remote.test"]);
    assert.match(new TextDecoder().decode(sink.messages[0]!.data), /^Subject: Stored in PostgreSQL\r$/m);

    // IMAP: the local copy is in bob's INBOX; flag it \Seen.
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: t.port("imap"),
      secure: false,
      doSTARTTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "bob@example.org", pass: "bob-pw" },
      logger: false,
    });
    await imap.connect();
    const lock = await imap.getMailboxLock("INBOX");
    try {
      const msgs = [];
      for await (const m of imap.fetch("1:*", { envelope: true, uid: true, flags: true })) msgs.push(m);
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.envelope?.subject, "Stored in PostgreSQL");
      assert.equal(msgs[0]!.uid, 1);
      assert.ok(await imap.messageFlagsAdd({ uid: "1" }, ["\\Seen"], { uid: true }));
    } finally {
      lock.release();
    }
    await imap.logout();

    // POP3: the same message, retrieved whole.
    const pop = await LineClient.connect(t.port("pop3"));
    try {
      assert.match((await pop.read())!, /^\+OK/);
      await pop.line("USER bob@example.org");
      assert.match((await pop.read())!, /^\+OK/);
      await pop.line("PASS bob-pw");
      assert.match((await pop.read())!, /^\+OK/);
      await pop.line("STAT");
      assert.match((await pop.read())!, /^\+OK 1 \d+$/);
      await pop.line("RETR 1");
      const lines = await pop.readUntil(".");
      assert.match(lines[0]!, /^\+OK/);
      assert.ok(lines.includes("Subject: Stored in PostgreSQL"));
      assert.ok(lines.includes("Hello from Tern on PostgreSQL"));
      await pop.line("QUIT");
      assert.match((await pop.read())!, /^\+OK/);
    } finally {
      pop.close();
    }

    // JMAP: the message with the flag set over IMAP.
    const base = `http://127.0.0.1:${t.port("http")}`;
    const auth = "Basic " + btoa("bob@example.org:bob-pw");
    const session = await (await fetch(`${base}/jmap/session`, { headers: { authorization: auth } })).json();
    const accountId = session.primaryAccounts["urn:ietf:params:jmap:mail"];
    const res = await fetch(`${base}${new URL(session.apiUrl, base).pathname}`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        methodCalls: [
          ["Email/query", { accountId, filter: { text: "postgresql" } }, "q"],
          ["Email/get", {
            accountId,
            "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
            properties: ["subject", "keywords"],
          }, "g"],
        ],
      }),
    });
    const { methodResponses } = await res.json() as { methodResponses: [string, Record<string, unknown>][] };
    const list = methodResponses[1]![1].list as { subject: string; keywords: Record<string, boolean> }[];
    assert.equal(list.length, 1, JSON.stringify(methodResponses));
    assert.equal(list[0]!.subject, "Stored in PostgreSQL");
    assert.equal(list[0]!.keywords.$seen, true);

    // The rows are in PostgreSQL: another store on the database sees them; no SQLite file exists.
    const other = await PostgresStore.open({ url, blobDir: `${t.dir}/blobs`, poolSize: 1 });
    try {
      const inbox = (await other.getMailboxByRole(bob.id, "inbox"))!;
      const placements = await other.listPlacements(bob.id, inbox.id);
      assert.equal(placements.length, 1);
      assert.deepEqual(placements[0]!.keywords, ["$seen"]);
    } finally {
      await other.close();
    }
    assert.equal(await Deno.stat(`${t.dir}/tern.db`).then(() => true, () => false), false);
  } finally {
    await t.close();
    await sink.close();
    await cluster.dropDatabase(url);
  }
});

Deno.test("two servers on one PostgreSQL database: mail delivered to one wakes IMAP IDLE on the other", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tern-pg-two-" });
  const overrides = { local_domains: ["example.org"], store: { backend: "postgres" as const, url } };
  const a = await startServerIn(overrides, undefined, dir);
  const b = await startServerIn(overrides, undefined, dir);
  const imap = new ImapFlow({
    host: "127.0.0.1",
    port: a.srv.addresses.imap!.port,
    secure: false,
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: "carol@example.org", pass: "carol-pw" },
    logger: false,
  });
  try {
    await a.srv.context.store.createAccount({
      address: "carol@example.org",
      secrets: await a.srv.context.auth.deriveSecrets("carol-pw"),
    });
    await imap.connect();
    const lock = await imap.getMailboxLock("INBOX");
    try {
      const exists = new Promise<number>((resolve) =>
        imap.on("exists", (d: { count: number }) => resolve(d.count))
      );
      const idling = imap.idle();
      // Delivered through server B's MX listener: B's store commits, A learns of it by NOTIFY.
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: b.srv.addresses.smtp!.port,
        secure: false,
        tls: { rejectUnauthorized: false },
      });
      await transport.sendMail({
        from: "someone@example.net",
        to: "carol@example.org",
        subject: "Across servers",
        text: "Delivered by B, announced to A",
      });
      transport.close();
      // A guard, not a timing assertion: without the event the IDLE session would wait forever.
      let guard: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error("server A never announced the message")), 30_000);
      });
      try {
        assert.equal(await Promise.race([exists, silence]), 1);
      } finally {
        clearTimeout(guard);
      }
      await imap.noop();
      await idling;
      const [msg] = await Array.fromAsync(imap.fetch("1", { envelope: true, source: true }));
      assert.equal(msg!.envelope?.subject, "Across servers");
      assert.match(new TextDecoder().decode(msg!.source), /Delivered by B, announced to A/);
    } finally {
      lock.release();
    }
    await imap.logout();
  } finally {
    imap.close();
    await b.close();
    await a.close();
    await Deno.remove(dir, { recursive: true });
    await cluster.dropDatabase(url);
  }
});
