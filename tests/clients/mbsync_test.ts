/**
 * isync's mbsync (a full two-way IMAP <-> Maildir synchroniser, the closest thing to a desktop
 * client's offline sync) against Tern's IMAP listeners: STARTTLS and implicit TLS with the
 * certificate verified, SASL chosen by mbsync (SCRAM-SHA-256 through Cyrus SASL), every mailbox,
 * flags both ways, deletions, APPENDs and mailbox creation. Results are checked in the store.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, mailbox, PASSWORD, run, toCrlf, toLf, USER } from "./_clients.ts";

const ignore = !installed("mbsync");

const MSG1 =
  "From: a@example.org\r\nTo: u@example.org\r\nSubject: one\r\nMessage-ID: <one@example.org>\r\n\r\n" +
  "hello\r\n.dotted line\r\nbye\r\n";
const MSG2 =
  "From: b@example.org\r\nTo: u@example.org\r\nSubject: two\r\nMessage-ID: <two@example.org>\r\n\r\n" +
  "second\r\n";

interface Fixture {
  t: TestServer;
  accountId: string;
  home: string;
  maildir: string;
  ids: string[];
}

async function setup(tls: "STARTTLS" | "IMAPS" = "STARTTLS", channelExtra = ""): Promise<Fixture> {
  const t = await startTestServer();
  const account = await t.addUser(USER, PASSWORD);
  const ids = [await t.deliver(account, MSG1), await t.deliver(account, MSG2)];
  const home = await Deno.makeTempDir({ prefix: "tern-mbsync-" });
  const maildir = `${home}/mail`;
  await Deno.mkdir(maildir);
  await Deno.writeTextFile(`${home}/pass`, PASSWORD, { mode: 0o600 });
  const port = t.port(tls === "IMAPS" ? "imaps" : "imap");
  // Passwords come from PassCmd so they are never in argv or mbsync's output.
  await Deno.writeTextFile(
    `${home}/mbsyncrc`,
    `IMAPAccount tern
Host 127.0.0.1
Port ${port}
User ${USER}
PassCmd "cat ${home}/pass"
SSLType ${tls}
CertificateFile ${certFile(t)}

IMAPStore remote
Account tern

MaildirStore local
Path ${maildir}/
Inbox ${maildir}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
${channelExtra}`,
  );
  return { t, accountId: account.id, home, maildir, ids };
}

async function teardown(f: Fixture): Promise<void> {
  await f.t.close();
  await Deno.remove(f.home, { recursive: true });
}

async function mbsync(f: Fixture): Promise<void> {
  const r = await run("mbsync", ["-c", `${f.home}/mbsyncrc`, "-q", "all"], { home: f.home });
  assert.equal(r.code, 0, `mbsync failed:\n${r.stdout}${r.stderr}`);
}

/**
 * mbsync inserts an `X-TUID:` header into every message it propagates (either direction) to
 * recognise it after an interrupted run; it is not Tern's doing. Removes it.
 */
function dropTuid(text: string): string {
  return text.replace(/^X-TUID: [^\r\n]*\r?\n/m, "");
}

async function readLocal(path: string): Promise<string> {
  return dropTuid(await Deno.readTextFile(path));
}

/** Maildir files of a folder (cur and new), by name. */
async function maildirFiles(dir: string): Promise<{ name: string; path: string; flags: string }[]> {
  const out = [];
  for (const sub of ["cur", "new"]) {
    for await (const e of Deno.readDir(`${dir}/${sub}`)) {
      if (!e.isFile) continue;
      out.push({ name: e.name, path: `${dir}/${sub}/${e.name}`, flags: e.name.split(":2,")[1] ?? "" });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The Maildir file holding the message with this Message-ID. */
async function fileWith(dir: string, messageId: string) {
  for (const f of await maildirFiles(dir)) {
    if ((await Deno.readTextFile(f.path)).includes(`Message-ID: <${messageId}>`)) return f;
  }
  return undefined;
}

Deno.test({
  name: "mbsync pulls every mailbox over STARTTLS; Maildir files equal the stored messages and flags",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.srv.context.store.updateKeywords(f.accountId, [f.ids[1]!], {
        add: ["$flagged", "$answered"],
      });
      await mbsync(f);
      const folders = [];
      for await (const e of Deno.readDir(f.maildir)) if (e.isDirectory) folders.push(e.name);
      assert.deepEqual(folders.sort(), ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]);
      const files = await maildirFiles(`${f.maildir}/INBOX`);
      assert.equal(files.length, 2);
      const one = await fileWith(`${f.maildir}/INBOX`, "one@example.org");
      const two = await fileWith(`${f.maildir}/INBOX`, "two@example.org");
      // mbsync stores LF line endings in Maildir.
      assert.equal(await readLocal(one!.path), toLf(MSG1));
      assert.equal(await readLocal(two!.path), toLf(MSG2));
      assert.equal(one!.flags, "");
      assert.equal(two!.flags, "FR");
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "mbsync pushes flag changes, deletions and new messages to the server",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await mbsync(f);
      const inboxDir = `${f.maildir}/INBOX`;
      const one = (await fileWith(inboxDir, "one@example.org"))!;
      const two = (await fileWith(inboxDir, "two@example.org"))!;
      // Mark one Seen+Flagged (Maildir flags in the name), delete two, add a new local message.
      await Deno.rename(one.path, `${inboxDir}/cur/${one.name.split(":2,")[0]}:2,FS`);
      await Deno.remove(two.path);
      const local = "From: u@example.org\nTo: x@example.org\nSubject: written offline\n" +
        "Message-ID: <local@example.org>\n\nfrom the maildir\n";
      await Deno.writeTextFile(`${inboxDir}/cur/1700000000.local.host:2,S`, local);
      await mbsync(f);

      const inbox = await mailbox(f.t, f.accountId);
      assert.deepEqual(inbox.map((m) => m.message.id).filter((id) => f.ids.includes(id)), [f.ids[0]]);
      assert.deepEqual([...inbox[0]!.message.keywords].sort(), ["$flagged", "$seen"]);
      assert.equal(inbox.length, 2);
      // APPENDed with CRLF line endings, byte for byte otherwise.
      assert.equal(dropTuid(inbox[1]!.raw), toCrlf(local));
      assert.deepEqual(inbox[1]!.message.keywords, ["$seen"]);
      // A third run changes nothing.
      await mbsync(f);
      assert.equal((await mailbox(f.t, f.accountId)).length, 2);
      assert.equal((await maildirFiles(inboxDir)).length, 2);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "mbsync over implicit TLS pulls server-side flag changes and expunges",
  ignore,
  async fn() {
    const f = await setup("IMAPS");
    try {
      await mbsync(f);
      const store = f.t.srv.context.store;
      await store.updateKeywords(f.accountId, [f.ids[0]!], { add: ["$seen"] });
      const inbox = await mailbox(f.t, f.accountId);
      const mbox = await store.getMailboxByRole(f.accountId, "inbox");
      await store.expunge(f.accountId, mbox!.id, [inbox[1]!.uid]);
      await mbsync(f);
      const files = await maildirFiles(`${f.maildir}/INBOX`);
      assert.equal(files.length, 1);
      assert.equal(files[0]!.flags, "S");
      assert.equal(await readLocal(files[0]!.path), toLf(MSG1));
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "mbsync creates a new local folder on the server and uploads its messages",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await mbsync(f);
      const dir = `${f.maildir}/Projects`;
      for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
      const msg = "From: u@example.org\nSubject: plan\nMessage-ID: <plan@example.org>\n\nsteps\n";
      await Deno.writeTextFile(`${dir}/new/1700000001.plan.host`, msg);
      await mbsync(f);
      const store = f.t.srv.context.store;
      const projects = (await store.listMailboxes(f.accountId)).find((m) => m.name === "Projects");
      assert.ok(projects, "mailbox Projects created");
      const placements = await store.listPlacements(f.accountId, projects.id);
      assert.equal(placements.length, 1);
      const raw = await store.readMessage(f.accountId, placements[0]!.messageId);
      assert.equal(dropTuid(new TextDecoder().decode(raw!)), toCrlf(msg));
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "mbsync CopyArrivalDate: APPEND's date-time sets INTERNALDATE, and INTERNALDATE comes back as mtime",
  ignore,
  async fn() {
    const f = await setup("STARTTLS", "CopyArrivalDate yes\n");
    try {
      const dir = `${f.maildir}/Dated`;
      for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
      const file = `${dir}/cur/1600000000.dated.host:2,S`;
      await Deno.writeTextFile(
        file,
        "From: u@example.org\nSubject: dated\nMessage-ID: <dated@example.org>\n\nold\n",
      );
      const when = new Date("2021-03-04T05:06:07Z");
      await Deno.utime(file, when, when);
      await mbsync(f);

      const store = f.t.srv.context.store;
      const dated = (await store.listMailboxes(f.accountId)).find((m) => m.name === "Dated");
      assert.ok(dated);
      const [placement] = await store.listPlacements(f.accountId, dated.id);
      const [message] = await store.getMessages(f.accountId, [placement!.messageId]);
      // mbsync sent: APPEND "Dated" (\Seen) " 4-Mar-2021 05:06:07 +0000" {n+} (RFC 9051 §6.3.12).
      assert.equal(message!.receivedAt.toISOString(), when.toISOString());
      assert.deepEqual(message!.keywords, ["$seen"]);

      // The other way: the Inbox messages' INTERNALDATE becomes the pulled files' mtime.
      const inbox = await mailbox(f.t, f.accountId);
      for (const m of await maildirFiles(`${f.maildir}/INBOX`)) {
        const mtime = (await Deno.stat(m.path)).mtime!.getTime();
        assert.ok(
          inbox.some((i) => Math.floor(i.message.receivedAt.getTime() / 1000) * 1000 === mtime),
          m.name,
        );
      }
    } finally {
      await teardown(f);
    }
  },
});

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);
const hasCorpus = (() => {
  try {
    return Deno.statSync(CORPUS).isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "mbsync round-trips real-world corpus messages: APPEND stores them exactly, a fresh pull gets them back",
  ignore: ignore || !hasCorpus,
  async fn() {
    const f = await setup();
    try {
      const names = [...Deno.readDirSync(CORPUS)].map((e) => e.name).filter((n) => n.endsWith(".eml")).sort();
      const dir = `${f.maildir}/Corpus`;
      for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
      const originals = new Map<string, string>();
      const latin1 = new TextDecoder("latin1");
      // Every 5th message keeps this quick. Left out, for mbsync's own reasons (not Tern's):
      // NUL bytes (IMAP literals exclude NUL, RFC 9051 §4.3; mbsync has no literal8), no header/body
      // separator (mbsync skips those) and a trailing bare CR (mbsync drops it).
      for (const name of names.filter((_, i) => i % 5 === 0)) {
        const bytes = await Deno.readFile(new URL(name, CORPUS));
        const text = latin1.decode(bytes);
        if (text.includes("\0") || !/\r?\n\r?\n/.test(text) || text.endsWith("\r")) continue;
        await Deno.writeFile(`${dir}/new/${name}`, bytes);
        originals.set(name, text);
      }
      assert.ok(originals.size > 50, `only ${originals.size} corpus messages`);
      await mbsync(f);

      const store = f.t.srv.context.store;
      const mbox = (await store.listMailboxes(f.accountId)).find((m) => m.name === "Corpus");
      assert.ok(mbox);
      const placements = await store.listPlacements(f.accountId, mbox.id);
      assert.equal(placements.length, originals.size);
      const expected = [...originals.values()].map((t) => toCrlf(t)).sort();
      const stored = [];
      for (const p of placements) {
        stored.push(dropTuid(latin1.decode((await store.readMessage(f.accountId, p.messageId))!)));
      }
      assert.deepEqual(stored.sort(), expected);

      // A second client pulls the folder into an empty Maildir: same messages, LF endings.
      const rc = (await Deno.readTextFile(`${f.home}/mbsyncrc`)).replaceAll(f.maildir, `${f.home}/mail2`);
      await Deno.writeTextFile(`${f.home}/mbsyncrc2`, rc);
      await Deno.mkdir(`${f.home}/mail2`);
      const r = await run("mbsync", ["-c", `${f.home}/mbsyncrc2`, "-q", "all:Corpus"], { home: f.home });
      assert.equal(r.code, 0, r.stderr);
      const pulled = [];
      for (const file of await maildirFiles(`${f.home}/mail2/Corpus`)) {
        pulled.push(dropTuid(latin1.decode(await Deno.readFile(file.path))));
      }
      assert.deepEqual(pulled.sort(), expected.map(toLf).sort());
    } finally {
      await teardown(f);
    }
  },
});
