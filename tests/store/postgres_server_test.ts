/**
 * The whole server on PostgreSQL (`[store] backend = "postgres"`): a message submitted over SMTP
 * (nodemailer) to a local and a remote recipient is stored for the local one, read and flagged
 * over IMAP (imapflow), listed and retrieved over POP3, seen with its flag over JMAP, and the
 * remote copy is delivered by the queue to a loopback MX. The rows are in the PostgreSQL
 * database (a second store opened on it sees them) and no SQLite database was created.
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
