/**
 * Sieve end to end on a real server: a message sent with Python's smtplib is filed by the active
 * script into a folder an IMAP IDLE session sees; a script uploaded and activated over JMAP (HTTP
 * on the real listener) takes effect for the next delivery; a vacation reply goes once per period
 * (a stepped server clock).
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "../imap/_imap_client.ts";
import { python } from "../support/line_client.ts";
import { startTestServer } from "../support/server.ts";
import { createServer } from "../../protocols/server.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import { memorySource } from "../../core/delivery/spool.ts";

const SEND = `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode())
s.quit()`;

async function smtpSend(port: number, from: string, to: string, message: string): Promise<void> {
  // Throws when python3 exits non-zero (smtplib raises on any refusal).
  await python(SEND, [String(port), from, to, message]);
}

Deno.test("sieve e2e: an SMTP delivery filed by the script appears in the folder an IMAP IDLE session watches", async () => {
  const { t, user, port } = await setupImap();
  const a = await RawImap.connect(port);
  try {
    await a.login();
    assert.match((await a.cmd(`CREATE "Lists/acme"`)).at(-1)!, /^TAG OK /);
    const store = t.srv.context.store;
    await store.sieveScripts.put(
      user.id,
      "main",
      `require ["fileinto", "imap4flags"];\nif header :contains "list-id" "acme" { fileinto :flags "\\\\Flagged" "Lists/acme"; }\n`,
    );
    await store.sieveScripts.setActive(user.id, "main");
    await a.cmd(`SELECT "Lists/acme"`);
    await a.c.line("i1 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    await smtpSend(
      t.port("smtp"),
      "x@example.net",
      "u@example.org",
      "From: x@example.net\r\nList-Id: <acme.lists.example>\r\nSubject: release\r\n\r\nnews\r\n",
    );
    assert.equal(await a.c.read(), "* 1 EXISTS");
    assert.equal(await a.c.read(), "* 1 RECENT");
    await a.c.line("DONE");
    assert.deepEqual(await a.until("i1"), ["TAG OK IDLE terminated"]);
    assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await a.cmd("STATUS INBOX (MESSAGES)"), [
      "* STATUS INBOX (MESSAGES 0)",
      "TAG OK STATUS completed",
    ]);
  } finally {
    a.close();
    await t.close();
  }
});

Deno.test("sieve e2e: a script uploaded and activated over JMAP takes effect for the next SMTP delivery", async () => {
  const t = await startTestServer();
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    const base = `http://127.0.0.1:${t.port("http")}`;
    const auth = { authorization: "Basic " + btoa("u@example.org:s3cret pass") };
    const msg = (subject: string) => `From: x@example.net\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
    // Before any script: the Inbox.
    await smtpSend(t.port("smtp"), "x@example.net", "u@example.org", msg("[spam] before"));
    const up = await fetch(`${base}/jmap/upload/${user.id}/`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/sieve" },
      body:
        `require ["fileinto", "mailbox"];\nif header :contains "subject" "[spam]" { fileinto :create "Junk/sieve"; }\n`,
    });
    assert.equal(up.status, 201);
    const { blobId } = await up.json();
    const res = await fetch(`${base}/jmap/api`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:sieve"],
        methodCalls: [[
          "SieveScript/set",
          { accountId: user.id, create: { s: { name: "filters", blobId } }, onSuccessActivateScript: "#s" },
          "0",
        ]],
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.methodResponses[0][1].created.s.isActive, true);
    await smtpSend(t.port("smtp"), "x@example.net", "u@example.org", msg("[spam] after"));
    const store = t.srv.context.store;
    const boxes = await store.listMailboxes(user.id);
    const junk = boxes.find((b) => b.role === "junk")!;
    const filed = boxes.find((b) => b.name === "sieve" && b.parentId === junk.id)!;
    const inbox = boxes.find((b) => b.role === "inbox")!;
    const subjects = async (id: string) => {
      const out: string[] = [];
      for (const p of await store.listPlacements(user.id, id)) {
        const raw = new TextDecoder().decode((await store.readMessage(user.id, p.messageId))!);
        out.push(/Subject: ([^\r\n]*)/.exec(raw)![1]!);
      }
      return out;
    };
    assert.deepEqual(await subjects(inbox.id), ["[spam] before"]);
    assert.deepEqual(await subjects(filed.id), ["[spam] after"]);
  } finally {
    await t.close();
  }
});

Deno.test("sieve e2e: a vacation reply goes once per period, and again once the period has passed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-sieve-vacation-" });
  let now = Date.parse("2026-12-01T08:00:00Z");
  const srv = await createServer(testConfig(dir, { local_domains: ["example.org"] }), undefined, {
    logger: nullLogger,
    clock: { now: () => new Date(now) },
  });
  try {
    const store = srv.context.store;
    const secrets = await srv.context.auth.deriveSecrets("pw-123456");
    const alice = await store.createAccount({ address: "alice@example.org", secrets });
    const bob = await store.createAccount({ address: "bob@example.org", secrets });
    await store.sieveScripts.put(
      alice.id,
      "away",
      `require "vacation";\nvacation :days 2 :subject "Away" "Back soon.";\n`,
    );
    await store.sieveScripts.setActive(alice.id, "away");
    const send = async (subject: string) => {
      const tx = deliveryPipeline(srv.context).begin(
        { from: "bob@example.org", smtputf8: false, body: "8BITMIME" },
        { kind: "internal", sessionId: "test" },
        { mayRelay: false },
      );
      assert.equal(await tx.addRecipient({ address: "alice@example.org" }), null);
      const r = await tx.deliver(
        memorySource(
          new TextEncoder().encode(
            `From: bob@example.org\r\nTo: alice@example.org\r\nSubject: ${subject}\r\n\r\nx\r\n`,
          ),
        ),
      );
      await r.hooks;
    };
    const replies = async () => {
      const inbox = await store.getMailboxByRole(bob.id, "inbox");
      return (await store.listPlacements(bob.id, inbox!.id)).length;
    };
    await send("one");
    assert.equal(await replies(), 1);
    now += 36 * 3600_000;
    await send("two");
    assert.equal(await replies(), 1);
    now += 13 * 3600_000;
    await send("three");
    assert.equal(await replies(), 2);
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});
