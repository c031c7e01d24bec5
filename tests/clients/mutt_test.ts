/**
 * Mutt in batch mode (no terminal): composes a message, submits it over SMTP submission with
 * STARTTLS, certificate checking and SASL, and files a copy in the IMAP Sent folder (FCC via
 * APPEND), as a desktop client does on every send. Results are checked in the store.
 */
import assert from "node:assert/strict";
import { startTestServer } from "../support/server.ts";
import { certFile, installed, mailbox, PASSWORD, run, stripTrace, USER } from "./_clients.ts";

const ignore = !installed("mutt");
/** Reading a mailbox is interactive: util-linux `script` gives mutt the terminal it needs. */
const ignoreInteractive = ignore || !installed("script");

/**
 * Runs a command under util-linux `script` (a pseudo-terminal) with a time limit, so that an
 * unexpected prompt fails the test instead of hanging it.
 */
function runInPty(command: string, home: string) {
  return run("timeout", ["30", "script", "-qec", command, "/dev/null"], { home, env: { TERM: "xterm" } });
}

const MSG_A = "From: a@example.org\r\nTo: u@example.org\r\nSubject: first\r\n" +
  "Date: Mon, 02 Jan 2023 10:00:00 +0000\r\nMessage-ID: <a@example.org>\r\n\r\nbody a\r\n";
const MSG_B = "From: b@example.org\r\nTo: u@example.org\r\nSubject: second\r\n" +
  "Date: Tue, 03 Jan 2023 10:00:00 +0000\r\nMessage-ID: <b@example.org>\r\n\r\nbody b\r\n";
const MSG_C = "From: c@example.org\r\nTo: u@example.org\r\nSubject: third\r\n" +
  "Date: Wed, 04 Jan 2023 10:00:00 +0000\r\nMessage-ID: <c@example.org>\r\n\r\nbody c\r\n";

Deno.test({
  name: "mutt batch send: submission STARTTLS + AUTH delivers, FCC appends the same message to Sent",
  ignore,
  async fn() {
    const t = await startTestServer();
    const account = await t.addUser(USER, PASSWORD);
    const home = await Deno.makeTempDir({ prefix: "tern-mutt-" });
    try {
      await Deno.copyFile(certFile(t), `${home}/certs.pem`);
      const rc = `${home}/muttrc`;
      await Deno.writeTextFile(
        rc,
        `set from = "${USER}"
set realname = "Test User"
set use_from = yes
set smtp_url = "smtp://${USER}@127.0.0.1:${t.port("submission")}/"
set smtp_pass = "${PASSWORD}"
set ssl_starttls = yes
set ssl_force_tls = yes
set certificate_file = "${home}/certs.pem"
set imap_user = "${USER}"
set imap_pass = "${PASSWORD}"
set folder = "imap://127.0.0.1:${t.port("imap")}/"
set record = "=Sent"
set copy = yes
set header_cache = ""
set message_cachedir = ""
`,
        { mode: 0o600 },
      );
      const r = await run("mutt", ["-n", "-F", rc, "-s", "mutt interop", "--", USER], {
        home,
        stdin: "hello from mutt\n.leading dot\n",
      });
      assert.equal(r.code, 0, `mutt exited ${r.code}: ${r.stderr}`);

      const inbox = await mailbox(t, account.id);
      assert.equal(inbox.length, 1);
      const delivered = inbox[0]!.raw;
      assert.match(delivered, /^Return-Path: <u@example\.org>\r\nReceived: /);
      assert.match(delivered, /\r\nFrom: Test User <u@example\.org>\r\n/);
      assert.match(delivered, /\r\nSubject: mutt interop\r\n/);
      assert.ok(delivered.endsWith("\r\n\r\nhello from mutt\r\n.leading dot\r\n"), delivered);

      const sent = await mailbox(t, account.id, "sent");
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.message.keywords, ["$seen"]);
      assert.equal(sent[0]!.message.summary.subject, "mutt interop");
      // The copy mutt files is the message it submitted (minus the trace fields Tern added); mutt
      // writes the Date: field afresh for the copy, so it may differ by a second.
      const noDate = (raw: string) => raw.replace(/^Date: [^\r\n]*\r\n/m, "");
      assert.equal(noDate(sent[0]!.raw), noDate(stripTrace(delivered)));
    } finally {
      await t.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "mutt IMAP session (in a pty): reads, flags, deletes, saves to a new folder (TRYCREATE), syncs",
  ignore: ignoreInteractive,
  async fn() {
    const t = await startTestServer();
    const account = await t.addUser(USER, PASSWORD);
    const ids = [
      await t.deliver(account, MSG_A),
      await t.deliver(account, MSG_B),
      await t.deliver(account, MSG_C),
    ];
    const home = await Deno.makeTempDir({ prefix: "tern-mutt-" });
    try {
      await Deno.copyFile(certFile(t), `${home}/certs.pem`);
      const rc = `${home}/muttrc`;
      await Deno.writeTextFile(
        rc,
        `set imap_user = "${USER}"
set imap_pass = "${PASSWORD}"
set ssl_starttls = yes
set ssl_force_tls = yes
set certificate_file = "${home}/certs.pem"
set folder = "imap://127.0.0.1:${t.port("imap")}/"
set spoolfile = "+INBOX"
set header_cache = ""
set message_cachedir = ""
set sort = date
set quit = yes
set move = no
set mark_old = no
set delete = yes
set pager_stop = yes
set sleep_time = 0
set confirmcreate = no
push "<first-entry><display-message><exit><next-entry><flag-message><next-entry><delete-message><first-entry><save-message>=Projects/New<enter><sync-mailbox><exit>"
`,
        { mode: 0o600 },
      );
      const r = await runInPty(`mutt -n -F ${rc}`, home);
      assert.equal(r.code, 0, `mutt exited ${r.code}`);
      // A was read then saved (copied, then deleted here), B flagged, C deleted; expunged on sync.
      const inbox = await mailbox(t, account.id);
      assert.deepEqual(inbox.map((m) => m.message.id), [ids[1]]);
      assert.deepEqual(inbox[0]!.message.keywords, ["$flagged"]);
      // COPY to a missing folder got NO [TRYCREATE], mutt created "Projects/New" and copied again.
      const store = t.srv.context.store;
      const boxes = await store.listMailboxes(account.id);
      const projects = boxes.find((m) => m.name === "Projects" && !m.parentId);
      const created = boxes.find((m) => m.name === "New" && m.parentId === projects?.id);
      assert.ok(created, JSON.stringify(boxes.map((m) => m.name)));
      const placements = await store.listPlacements(account.id, created.id);
      assert.equal(placements.length, 1);
      const [copy] = await store.getMessages(account.id, [placements[0]!.messageId]);
      assert.deepEqual(copy!.keywords, ["$seen"]);
      const raw = await store.readMessage(account.id, copy!.id);
      assert.equal(new TextDecoder().decode(raw!), MSG_A);
    } finally {
      await t.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "mutt POP3 session (in a pty) over STLS: lists with TOP, reads with RETR, deletes with DELE",
  ignore: ignoreInteractive,
  async fn() {
    const t = await startTestServer();
    const account = await t.addUser(USER, PASSWORD);
    const ids = [await t.deliver(account, MSG_A), await t.deliver(account, MSG_B)];
    const home = await Deno.makeTempDir({ prefix: "tern-mutt-" });
    try {
      await Deno.copyFile(certFile(t), `${home}/certs.pem`);
      const rc = `${home}/muttrc`;
      await Deno.writeTextFile(
        rc,
        `set folder = "${home}"
set pop_user = "${USER}"
set pop_pass = "${PASSWORD}"
set ssl_starttls = yes
set ssl_force_tls = yes
set certificate_file = "${home}/certs.pem"
set spoolfile = "pop://127.0.0.1:${t.port("pop3")}/"
set header_cache = ""
set message_cachedir = ""
set sort = date
set quit = yes
set move = no
set delete = yes
set pager_stop = yes
set sleep_time = 0
push "<first-entry><display-message><exit><delete-message><sync-mailbox><exit>"
`,
        { mode: 0o600 },
      );
      const r = await runInPty(`mutt -n -F ${rc}`, home);
      assert.equal(r.code, 0, `mutt exited ${r.code}`);
      const inbox = await mailbox(t, account.id);
      assert.deepEqual(inbox.map((m) => m.message.id), [ids[1]]);
      assert.equal(inbox[0]!.raw, MSG_B);
    } finally {
      await t.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
