/**
 * offlineimap (offlineimap3, a two-way IMAP <-> Maildir synchroniser written in Python on imaplib2)
 * against Tern's IMAP listeners, over STARTTLS and over implicit TLS with the certificate verified:
 * every mailbox pulled into a Maildir, flags mapped to Maildir info letters, local flag changes,
 * deletions and new files pushed back, and real corpus messages round-tripped. Results are
 * checked in the store.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { RawImap } from "../imap/_imap_client.ts";
import { certFile, installed, mailbox, PASSWORD, redact, run, toCrlf, toLf, USER } from "./_clients.ts";

const ignore = !installed("offlineimap");

const MSG_PLAIN = "From: a@example.org\r\nTo: u@example.org\r\nSubject: plain\r\n" +
  "Message-ID: <plain@example.org>\r\n\r\nhello\r\n.dotted line\r\nbye\r\n";
const MSG_SEEN = "From: b@example.org\r\nTo: u@example.org\r\nSubject: seen\r\n" +
  "Message-ID: <seen@example.org>\r\n\r\nalready read\r\n";
const MSG_FLAGGED = "From: c@example.org\r\nTo: u@example.org\r\nSubject: flagged\r\n" +
  "Message-ID: <flagged@example.org>\r\n\r\nimportant and answered\r\n";
const MSG_DRAFT = "From: u@example.org\r\nTo: d@example.org\r\nSubject: draft\r\n" +
  "Message-ID: <draft@example.org>\r\n\r\nnot finished\r\n";
const MSG_SENT = "From: u@example.org\r\nTo: e@example.org\r\nSubject: sent\r\n" +
  "Message-ID: <sent@example.org>\r\n\r\nout it went\r\n";

interface Fixture {
  t: TestServer;
  accountId: string;
  home: string;
  maildir: string;
  /** Environment of the offlineimap runs. */
  env: Record<string, string>;
}

/**
 * An OpenSSL configuration capping the client at TLS 1.2. imaplib2 (offlineimap's IMAP library)
 * restarts its reader thread right after the STARTTLS handshake; when that thread is handling the
 * server's TLS 1.3 NewSessionTicket (sent after the handshake, RFC 8446 §4.6.1) at the moment
 * the writer thread sends the first command, the command never leaves the client (seen with
 * tcpdump) and the sync fails after a timeout. It is a client race: a loop of imaplib2 STARTTLS +
 * CAPABILITY hung 4 times in 50 against Dovecot and 16 in 50 against Tern (whose tickets go out
 * ~0.5 ms after the client's Finished), and 0 in 60 against Tern with TLS 1.2, where tickets are
 * part of the handshake. The implicit-TLS tests below keep TLS 1.3 (the handshake ends before
 * imaplib2's reader starts).
 */
const TLS12_ONLY = `openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MaxProtocol = TLSv1.2
`;

/**
 * A server with one user and an offlineimap config for it. STARTTLS: the plain IMAP listener with
 * password login refused before TLS, so a sync that logs in at all went through STARTTLS
 * (offlineimap3 does not verify the certificate on STARTTLS: imapserver.py calls imaplib2's
 * starttls() without ca_certs). IMAPS: implicit TLS, certificate verified against `sslcacertfile`;
 * the host is `localhost` (127.0.0.1 here) because offlineimap matches only the certificate's DNS
 * names, not its IP address entries.
 */
async function setup(tls: "STARTTLS" | "IMAPS"): Promise<Fixture> {
  const t = await startTestServer(
    tls === "STARTTLS" ? { listeners: { imap: { allow_plaintext_auth: false } } } : undefined,
  );
  const account = await t.addUser(USER, PASSWORD);
  const home = await Deno.makeTempDir({ prefix: "tern-offlineimap-" });
  const maildir = `${home}/mail`;
  await Deno.mkdir(maildir);
  await Deno.mkdir(`${home}/meta`);
  const env: Record<string, string> = {};
  if (tls === "STARTTLS") {
    await Deno.writeTextFile(`${home}/openssl.cnf`, TLS12_ONLY);
    env.OPENSSL_CONF = `${home}/openssl.cnf`;
  }
  // The password lives in a 0600 file (remotepassfile), never in argv or offlineimap's output.
  await Deno.writeTextFile(`${home}/pass`, PASSWORD, { mode: 0o600 });
  await Deno.writeTextFile(
    `${home}/offlineimaprc`,
    `[general]
accounts = tern
ui = quiet
maxsyncaccounts = 1
metadata = ${home}/meta

[Account tern]
localrepository = Local
remoterepository = Remote

[Repository Local]
type = Maildir
localfolders = ${maildir}

[Repository Remote]
type = IMAP
remotehost = ${tls === "STARTTLS" ? "127.0.0.1" : "localhost"}
remoteport = ${t.port(tls === "STARTTLS" ? "imap" : "imaps")}
remoteuser = ${USER}
remotepassfile = ${home}/pass
ssl = ${tls === "STARTTLS" ? "no" : "yes"}
starttls = ${tls === "STARTTLS" ? "yes" : "no"}
sslcacertfile = ${certFile(t)}
maxconnections = 1
`,
    { mode: 0o600 },
  );
  return { t, accountId: account.id, home, maildir, env };
}

async function teardown(f: Fixture): Promise<void> {
  await f.t.close();
  await Deno.remove(f.home, { recursive: true });
}

async function offlineimap(f: Fixture): Promise<void> {
  const r = await run("offlineimap", ["-c", `${f.home}/offlineimaprc`, "-o"], { home: f.home, env: f.env });
  // offlineimap exits 0 even after some folder errors; its ERROR lines say so.
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 0, `offlineimap failed:\n${redact(out)}`);
  assert.doesNotMatch(out, /ERROR|WARNING|Traceback/, redact(out));
}

/** Maildir files of a folder (cur and new), by name, with their info flags. */
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
  name:
    "offlineimap pulls every mailbox over STARTTLS; Maildir files equal the stored messages, flags map to S F R D",
  ignore,
  async fn() {
    const f = await setup("STARTTLS");
    try {
      const account = (await f.t.srv.context.store.getAccount(f.accountId))!;
      const store = f.t.srv.context.store;
      await f.t.deliver(account, MSG_PLAIN);
      const seen = await f.t.deliver(account, MSG_SEEN);
      const flagged = await f.t.deliver(account, MSG_FLAGGED);
      const draft = await f.t.deliver(account, MSG_DRAFT, "drafts");
      await f.t.deliver(account, MSG_SENT, "sent");
      await store.updateKeywords(f.accountId, [seen], { add: ["$seen"] });
      await store.updateKeywords(f.accountId, [flagged], { add: ["$flagged", "$answered"] });
      await store.updateKeywords(f.accountId, [draft], { add: ["$draft", "$seen"] });
      await offlineimap(f);

      const folders = [];
      for await (const e of Deno.readDir(f.maildir)) if (e.isDirectory) folders.push(e.name);
      assert.deepEqual(folders.sort(), ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]);
      assert.equal((await maildirFiles(`${f.maildir}/INBOX`)).length, 3);
      // offlineimap writes LF line endings (and, against a server with UIDPLUS, adds no header).
      const cases: [string, string, string, string][] = [
        ["INBOX", "plain@example.org", MSG_PLAIN, ""],
        ["INBOX", "seen@example.org", MSG_SEEN, "S"],
        ["INBOX", "flagged@example.org", MSG_FLAGGED, "FR"],
        ["Drafts", "draft@example.org", MSG_DRAFT, "DS"],
        ["Sent", "sent@example.org", MSG_SENT, ""],
      ];
      for (const [folder, id, raw, flags] of cases) {
        const file = await fileWith(`${f.maildir}/${folder}`, id);
        assert.ok(file, `${id} in ${folder}`);
        assert.equal(await Deno.readTextFile(file.path), toLf(raw), id);
        assert.equal(file.flags, flags, id);
      }
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name:
    "offlineimap over implicit TLS pushes a local flag change, a deletion and a new Maildir file to the server",
  ignore,
  async fn() {
    const f = await setup("IMAPS");
    try {
      const account = (await f.t.srv.context.store.getAccount(f.accountId))!;
      const keep = await f.t.deliver(account, MSG_PLAIN);
      const gone = await f.t.deliver(account, MSG_SEEN);
      await offlineimap(f);
      const inboxDir = `${f.maildir}/INBOX`;
      const one = (await fileWith(inboxDir, "plain@example.org"))!;
      const two = (await fileWith(inboxDir, "seen@example.org"))!;
      // Flag one Seen+Flagged (Maildir info letters), delete two, write a new message.
      await Deno.rename(one.path, `${inboxDir}/cur/${one.name.split(":2,")[0]}:2,FS`);
      await Deno.remove(two.path);
      const local = "From: u@example.org\nTo: x@example.org\nSubject: written offline\n" +
        "Message-ID: <local@example.org>\n\nfrom the maildir\n";
      await Deno.writeTextFile(`${inboxDir}/cur/1700000000.local.host:2,S`, local);
      await offlineimap(f);

      const inbox = await mailbox(f.t, f.accountId);
      assert.deepEqual(inbox.map((m) => m.message.id).filter((id) => id === keep || id === gone), [keep]);
      assert.deepEqual([...inbox[0]!.message.keywords].sort(), ["$flagged", "$seen"]);
      assert.equal(inbox.length, 2);
      // APPENDed with CRLF line endings and no X-OfflineIMAP header (Tern has UIDPLUS).
      assert.equal(inbox[1]!.raw, toCrlf(local));
      assert.deepEqual(inbox[1]!.message.keywords, ["$seen"]);
      // A third run changes nothing on either side.
      await offlineimap(f);
      assert.equal((await mailbox(f.t, f.accountId)).length, 2);
      assert.equal((await maildirFiles(inboxDir)).length, 2);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name:
    "offlineimap over implicit TLS verifies Tern's certificate: another CA makes the sync fail, nothing pulled",
  ignore,
  async fn() {
    const f = await setup("IMAPS");
    try {
      const account = (await f.t.srv.context.store.getAccount(f.accountId))!;
      await f.t.deliver(account, MSG_PLAIN);
      // The system CA bundle does not vouch for the test server's self-signed certificate.
      const rc = (await Deno.readTextFile(`${f.home}/offlineimaprc`))
        .replace(certFile(f.t), "/etc/ssl/certs/ca-certificates.crt");
      await Deno.writeTextFile(`${f.home}/offlineimaprc`, rc);
      const r = await run("offlineimap", ["-c", `${f.home}/offlineimaprc`, "-o"], { home: f.home });
      assert.match(
        r.stdout + r.stderr,
        /certificate verify failed|CERTIFICATE_VERIFY_FAILED/,
        redact(r.stderr),
      );
      let pulled = 0;
      for await (const e of Deno.readDir(f.maildir)) if (e.isDirectory) pulled++;
      assert.equal(pulled, 0);
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

/**
 * offlineimap3 does not copy bytes: it parses every message with Python's `email` package and
 * writes it back out (folder/Base.py policies '8bit-RFC' for IMAP, '8bit' for Maildir), which on
 * its own re-spaces empty header fields, adds missing closing MIME boundaries, drops mbox
 * "From " lines and turns lone CRs into line ends. Of the corpus names given, returns about 20
 * (every 10th) whose CRLF form that round trip leaves unchanged, so a difference found after the
 * sync can only be the server's.
 */
async function faithful(f: Fixture, names: string[]): Promise<string[]> {
  const script = `
import sys
from email import policy
from email.parser import BytesParser
rfc = policy.default.clone(cte_type="8bit", utf8=True, refold_source="none", linesep="\\r\\n")
lf = policy.default.clone(cte_type="8bit", utf8=True, refold_source="none")
for path in sys.stdin.read().split("\\n"):
    if not path:
        continue
    raw = open(path, "rb").read()
    crlf = raw.replace(b"\\r\\n", b"\\n").replace(b"\\n", b"\\r\\n")
    try:
        out = BytesParser(policy=rfc).parsebytes(crlf).as_bytes(policy=lf)
    except Exception:
        continue
    if out == crlf.replace(b"\\r\\n", b"\\n") and b"\\r" not in out and b"\\0" not in out:
        print(path.rsplit("/", 1)[1])
`;
  const paths = names.map((n) => new URL(n, CORPUS).pathname).join("\n");
  const r = await run("python3", ["-c", script], { home: f.home, stdin: paths });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((n) => n !== "").filter((_, i) => i % 10 === 0);
}

Deno.test({
  name:
    "offlineimap pulls real-world corpus messages APPENDed over IMAP byte for byte (as BODY[] serves them)",
  ignore: ignore || !hasCorpus,
  async fn() {
    const f = await setup("IMAPS");
    const latin1 = new TextDecoder("latin1");
    try {
      const names = [...Deno.readDirSync(CORPUS)].map((e) => e.name).filter((n) => n.endsWith(".eml")).sort();
      const chosen = await faithful(f, names);
      assert.ok(chosen.length >= 15, `only ${chosen.length} corpus messages`);
      const originals = [];
      const c = await RawImap.connect(f.t.port("imap"));
      try {
        await c.login(USER, PASSWORD);
        for (const [i, name] of chosen.entries()) {
          const bytes = await Deno.readFile(new URL(name, CORPUS));
          const head = new TextEncoder().encode(`p${i} APPEND INBOX {${bytes.length}+}\r\n`);
          await c.c.sendBytes(new Uint8Array([...head, ...bytes, 13, 10]));
          assert.match((await c.until(`p${i}`)).at(-1)!, /^TAG OK/, name);
          originals.push(toCrlf(latin1.decode(bytes)));
        }
      } finally {
        c.close();
      }
      await offlineimap(f);

      // What the server stores is what BODY[] serves (bare LF lines in CRLF form).
      const store = f.t.srv.context.store;
      const served = [];
      for (const m of await mailbox(f.t, f.accountId)) {
        served.push(toLf(latin1.decode((await store.readMessage(f.accountId, m.message.id))!)));
      }
      // Stored as sent, in CRLF form (RFC 5322 §2.3).
      assert.deepEqual(served.sort(), originals.map(toLf).sort());
      const pulled = [];
      for (const file of await maildirFiles(`${f.maildir}/INBOX`)) {
        pulled.push(latin1.decode(await Deno.readFile(file.path)));
      }
      assert.deepEqual(pulled.sort(), served);
    } finally {
      await teardown(f);
    }
  },
});
