/**
 * curl's SMTP, IMAP and POP3 support against Tern, all with TLS (STARTTLS via --ssl-reqd or
 * implicit) verified against the server's certificate. Credentials come from a curl config file
 * (-K), never the command line. Results are checked in the store and byte for byte.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, mailbox, PASSWORD, run, USER } from "./_clients.ts";

const ignore = !installed("curl");

const MSG1 =
  "From: a@example.org\r\nTo: u@example.org\r\nSubject: one\r\nMessage-ID: <one@example.org>\r\n\r\n" +
  "hello\r\n.dotted line\r\nbye\r\n";
const MSG2 = "From: b@example.org\r\nTo: u@example.org\r\nSubject: two\r\n\r\nsecond\r\n";

interface Fixture {
  t: TestServer;
  account: Awaited<ReturnType<TestServer["addUser"]>>;
  home: string;
}

async function setup(): Promise<Fixture> {
  const t = await startTestServer();
  const account = await t.addUser(USER, PASSWORD);
  await t.deliver(account, MSG1);
  await t.deliver(account, MSG2);
  const home = await Deno.makeTempDir({ prefix: "tern-curl-" });
  await Deno.writeTextFile(`${home}/curlrc`, `user = "${USER}:${PASSWORD}"\n`, { mode: 0o600 });
  return { t, account, home };
}

async function teardown(f: Fixture): Promise<void> {
  await f.t.close();
  await Deno.remove(f.home, { recursive: true });
}

async function curl(f: Fixture, args: string[], stdin?: string): Promise<string> {
  const r = await run(
    "curl",
    ["-sS", "-K", `${f.home}/curlrc`, "--cacert", certFile(f.t), "--max-time", "10", ...args],
    { home: f.home, stdin },
  );
  assert.equal(r.code, 0, `curl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

Deno.test({
  name: "curl smtp STARTTLS + AUTH uploads a message that arrives byte-exact",
  ignore,
  async fn() {
    const f = await setup();
    try {
      const msg =
        "From: u@example.org\r\nTo: u@example.org\r\nSubject: via curl\r\n\r\nline\r\n.dot line\r\n";
      await curl(f, [
        `smtp://127.0.0.1:${f.t.port("submission")}`,
        "--ssl-reqd",
        "--mail-from",
        USER,
        "--mail-rcpt",
        USER,
        "-T",
        "-",
      ], msg);
      const inbox = await mailbox(f.t, f.account.id);
      assert.equal(inbox.length, 3);
      assert.ok(inbox[2]!.raw.endsWith("\r\n\r\n" + "line\r\n.dot line\r\n"));
      assert.match(inbox[2]!.raw, /^Return-Path: <u@example\.org>\r\nReceived: /);
      assert.ok(
        inbox[2]!.raw.includes("\r\nFrom: u@example.org\r\nTo: u@example.org\r\nSubject: via curl\r\n"),
      );
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "curl imaps lists mailboxes, fetches by UID byte-exact, searches, stores flags, appends",
  ignore,
  async fn() {
    const f = await setup();
    try {
      const base = `imaps://127.0.0.1:${f.t.port("imaps")}`;
      const list = await curl(f, [`${base}/`]);
      assert.deepEqual(list.trimEnd().split("\r\n"), [
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasNoChildren \\Archive) "/" Archive',
        '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
        '* LIST (\\HasNoChildren \\Junk) "/" Junk',
        '* LIST (\\HasNoChildren \\Sent) "/" Sent',
        '* LIST (\\HasNoChildren \\Trash) "/" Trash',
      ]);
      assert.equal(await curl(f, [`${base}/INBOX;UID=1`]), MSG1);
      assert.equal(
        await curl(f, [`${base}/INBOX;UID=2;SECTION=HEADER.FIELDS%20(SUBJECT)`]),
        "Subject: two\r\n\r\n",
      );
      assert.equal(await curl(f, [`${base}/INBOX?SUBJECT%20two`]), "* SEARCH 2\r\n");
      await curl(f, [`${base}/INBOX`, "-X", "UID STORE 1 +FLAGS (\\Flagged \\Seen)"]);
      const inbox = await mailbox(f.t, f.account.id);
      assert.deepEqual([...inbox[0]!.message.keywords].sort(), ["$flagged", "$seen"]);
      assert.equal(await curl(f, [`${base}/INBOX?FLAGGED`]), "* SEARCH 1\r\n");
      // curl fetched UID 2 with BODY[…] (not BODY.PEEK), which sets \Seen (RFC 9051 §6.4.5).
      assert.equal(await curl(f, [`${base}/INBOX?SEEN`]), "* SEARCH 1 2\r\n");

      const draft = "From: u@example.org\r\nSubject: draft\r\n\r\nunfinished\r\n";
      // APPEND needs the size up front (a literal): upload from a file, not stdin.
      await Deno.writeTextFile(`${f.home}/draft.eml`, draft);
      await curl(f, [`${base}/Drafts`, "-T", `${f.home}/draft.eml`]);
      const drafts = await mailbox(f.t, f.account.id, "drafts");
      assert.equal(drafts.length, 1);
      assert.equal(drafts[0]!.raw, draft);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "curl imap STARTTLS (--ssl-reqd) fetches a message",
  ignore,
  async fn() {
    const f = await setup();
    try {
      assert.equal(await curl(f, [`imap://127.0.0.1:${f.t.port("imap")}/INBOX;UID=2`, "--ssl-reqd"]), MSG2);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "curl pop3 STLS lists and retrieves byte-exact; pop3s DELE removes the message",
  ignore,
  async fn() {
    const f = await setup();
    try {
      const plain = `pop3://127.0.0.1:${f.t.port("pop3")}`;
      assert.equal(await curl(f, [`${plain}/`, "--ssl-reqd"]), `1 ${MSG1.length}\r\n2 ${MSG2.length}\r\n`);
      // curl removes the dot-stuffing of ".dotted line".
      assert.equal(await curl(f, [`${plain}/1`, "--ssl-reqd"]), MSG1);
      await curl(f, [`pop3s://127.0.0.1:${f.t.port("pop3s")}/1`, "-X", "DELE", "-I"]);
      const inbox = await mailbox(f.t, f.account.id);
      assert.equal(inbox.length, 1);
      assert.equal(inbox[0]!.raw, MSG2);
    } finally {
      await teardown(f);
    }
  },
});
