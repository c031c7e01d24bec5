/**
 * fetchmail (the classic POP3/IMAP retrieval agent) against Tern: POP3 with STLS, UIDL-based
 * "keep" polling and deleting retrieval; POP3S; IMAP with STARTTLS marking messages \Seen; a
 * bad password. Messages go to an MDA script that writes one file each; the store is checked.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, mailbox, PASSWORD, run, toLf, USER } from "./_clients.ts";

const ignore = !installed("fetchmail");

const MSG = (n: number) =>
  `From: a@example.org\r\nTo: u@example.org\r\nSubject: msg ${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\n` +
  `body ${n}\r\n.dotted\r\n`;

interface Fixture {
  t: TestServer;
  account: Awaited<ReturnType<TestServer["addUser"]>>;
  home: string;
  out: string;
}

async function setup(): Promise<Fixture> {
  const t = await startTestServer();
  const account = await t.addUser(USER, PASSWORD);
  const home = await Deno.makeTempDir({ prefix: "tern-fetchmail-" });
  const out = `${home}/out`;
  await Deno.mkdir(out);
  // The MDA stores each message it is given in out/<n>.eml (written aside, then renamed in, so a
  // file that appears in out/ is complete).
  await Deno.writeTextFile(
    `${home}/mda.sh`,
    `#!/bin/sh\nn=$(ls "${out}" | wc -l)\ncat > "${home}/partial" && mv "${home}/partial" "${out}/$n.eml"\n`,
    { mode: 0o700 },
  );
  return { t, account, home, out };
}

async function teardown(f: Fixture): Promise<void> {
  await f.t.close();
  await Deno.remove(f.home, { recursive: true });
}

/** Runs one fetchmail poll with an rc file (0600, holding the password). */
async function fetchmail(
  f: Fixture,
  o: FetchOptions,
  extra: string[] = [],
): Promise<{ code: number; log: string }> {
  const rc = await writeRc(f, o);
  const r = await run("fetchmail", ["-f", rc, "-i", `${f.home}/fetchids`, "--nodetach", "-v", ...extra], {
    home: f.home,
  });
  // fetchmail masks the password in its protocol trace ("PASS *", "LOGIN … *").
  assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
  return { code: r.code, log: r.stdout + r.stderr };
}

interface FetchOptions {
  protocol: "pop3" | "imap";
  port: number;
  tls: "starttls" | "implicit";
  keep: boolean;
  idle?: boolean;
  password?: string;
}

/** Writes the fetchmail rc file (mode 0600, which fetchmail insists on) and returns its path. */
async function writeRc(f: Fixture, o: FetchOptions): Promise<string> {
  const rc = `${f.home}/fetchmailrc`;
  await Deno.writeTextFile(
    rc,
    `set no syslog
set invisible
poll 127.0.0.1 service ${o.port} protocol ${o.protocol} uidl auth password
  user "${USER}" password "${o.password ?? PASSWORD}"
  ${o.tls === "implicit" ? "ssl " : ""}sslproto tls1.2+ sslcertck sslcertfile "${
      certFile(f.t)
    }" sslcommonname localhost
  ${o.keep ? "keep" : "nokeep"}${o.idle ? " idle" : ""} mda "${f.home}/mda.sh"
`,
    { mode: 0o600 },
  );
  await Deno.chmod(rc, 0o600);
  return rc;
}

/** Retrieved messages in delivery order. */
async function retrieved(f: Fixture): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(f.out)) names.push(e.name);
  names.sort((a, b) => parseInt(a) - parseInt(b));
  return await Promise.all(names.map((n) => Deno.readTextFile(`${f.out}/${n}`)));
}

Deno.test({
  name: "fetchmail POP3 STLS keeps with UIDL, fetches only new mail, then retrieves and deletes",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.deliver(f.account, MSG(1));
      await f.t.deliver(f.account, MSG(2));
      const pop3 = { protocol: "pop3", port: f.t.port("pop3"), tls: "starttls", keep: true } as const;
      let r = await fetchmail(f, pop3);
      assert.equal(r.code, 0, r.log);
      assert.match(r.log, /POP3> STLS/);
      assert.match(r.log, /upgrade to TLS succeeded/);
      // The MDA receives LF line endings; the message is otherwise byte-exact (dot unstuffed).
      assert.deepEqual(await retrieved(f), [toLf(MSG(1)), toLf(MSG(2))]);
      assert.equal((await mailbox(f.t, f.account.id)).length, 2);

      // Nothing new: fetchmail exits 1 ("no mail") and fetches nothing.
      r = await fetchmail(f, pop3);
      assert.equal(r.code, 1, r.log);
      assert.equal((await retrieved(f)).length, 2);

      await f.t.deliver(f.account, MSG(3));
      r = await fetchmail(f, pop3);
      assert.equal(r.code, 0, r.log);
      assert.deepEqual((await retrieved(f)).slice(2), [toLf(MSG(3))]);

      // Fetch all and delete: the maildrop is empty afterwards.
      r = await fetchmail(f, { ...pop3, keep: false }, ["--all"]);
      assert.equal(r.code, 0, r.log);
      assert.match(r.log, /POP3> DELE 3/);
      assert.equal((await retrieved(f)).length, 6);
      assert.equal((await mailbox(f.t, f.account.id)).length, 0);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail POP3 UIDL stays right when another client removed a message between polls",
  ignore,
  async fn() {
    const f = await setup();
    try {
      for (const n of [1, 2, 3]) await f.t.deliver(f.account, MSG(n));
      const pop3 = { protocol: "pop3", port: f.t.port("pop3"), tls: "starttls", keep: true } as const;
      assert.equal((await fetchmail(f, pop3)).code, 0);
      assert.equal((await retrieved(f)).length, 3);
      // Another client expunges message 1 (the numbering shifts); then new mail arrives.
      const store = f.t.srv.context.store;
      const inbox = await store.getMailboxByRole(f.account.id, "inbox");
      await store.expunge(f.account.id, inbox!.id, [(await mailbox(f.t, f.account.id))[0]!.uid]);
      await f.t.deliver(f.account, MSG(4));
      const r = await fetchmail(f, pop3);
      assert.equal(r.code, 0, r.log);
      // Only the new message is fetched: UIDs are per message, not per position (RFC 1939 §7).
      assert.deepEqual((await retrieved(f)).slice(3), [toLf(MSG(4))]);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail POP3S (implicit TLS) retrieves and deletes",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.deliver(f.account, MSG(1));
      const r = await fetchmail(f, {
        protocol: "pop3",
        port: f.t.port("pop3s"),
        tls: "implicit",
        keep: false,
      });
      assert.equal(r.code, 0, r.log);
      assert.deepEqual(await retrieved(f), [toLf(MSG(1))]);
      assert.equal((await mailbox(f.t, f.account.id)).length, 0);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail IMAP STARTTLS fetches unseen mail, marks it \\Seen, and then finds nothing new",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.deliver(f.account, MSG(1));
      await f.t.deliver(f.account, MSG(2));
      const imap = { protocol: "imap", port: f.t.port("imap"), tls: "starttls", keep: true } as const;
      let r = await fetchmail(f, imap);
      assert.equal(r.code, 0, r.log);
      assert.match(r.log, /IMAP> A\d+ STARTTLS/);
      assert.deepEqual(await retrieved(f), [toLf(MSG(1)), toLf(MSG(2))]);
      const inbox = await mailbox(f.t, f.account.id);
      assert.deepEqual(inbox.map((m) => m.message.keywords), [["$seen"], ["$seen"]]);
      r = await fetchmail(f, imap);
      assert.equal(r.code, 1, r.log);
      assert.equal((await retrieved(f)).length, 2);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail IMAPS (implicit TLS) without keep deletes and expunges what it fetched",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.deliver(f.account, MSG(1));
      await f.t.deliver(f.account, MSG(2));
      const r = await fetchmail(f, {
        protocol: "imap",
        port: f.t.port("imaps"),
        tls: "implicit",
        keep: false,
      });
      assert.equal(r.code, 0, r.log);
      assert.match(r.log, /IMAP> A\d+ STORE \d+ \+FLAGS \(\\Seen \\Deleted\)/);
      assert.match(r.log, /IMAP> A\d+ EXPUNGE/);
      assert.deepEqual(await retrieved(f), [toLf(MSG(1)), toLf(MSG(2))]);
      assert.equal((await mailbox(f.t, f.account.id)).length, 0);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail with a wrong password fails authentication and leaves the mail alone",
  ignore,
  async fn() {
    const f = await setup();
    try {
      await f.t.deliver(f.account, MSG(1));
      for (const protocol of ["pop3", "imap"] as const) {
        const r = await fetchmail(f, {
          protocol,
          port: f.t.port(protocol),
          tls: "starttls",
          keep: false,
          password: "not the password",
        });
        // fetchmail exit status 3: authentication failed.
        assert.equal(r.code, 3, r.log);
      }
      assert.equal((await retrieved(f)).length, 0);
      assert.equal((await mailbox(f.t, f.account.id)).length, 1);
    } finally {
      await teardown(f);
    }
  },
});

Deno.test({
  name: "fetchmail IMAP IDLE is woken by new mail and fetches it at once",
  ignore,
  async fn() {
    const f = await setup();
    const watcher = Deno.watchFs(f.out);
    // Fail-safe only (not synchronisation): if IDLE never reports the new mail, stop waiting.
    const guard = setTimeout(() => watcher.close(), 15_000);
    let child: Deno.ChildProcess | undefined;
    try {
      const count = () => [...Deno.readDirSync(f.out)].length;
      // A manual iterator: leaving a for-await loop would close the watcher.
      const events = watcher[Symbol.asyncIterator]();
      const waitFor = async (n: number) => {
        while (count() < n) if ((await events.next()).done) return;
      };
      await f.t.deliver(f.account, MSG(1));
      const rc = await writeRc(f, {
        protocol: "imap",
        port: f.t.port("imap"),
        tls: "starttls",
        keep: true,
        idle: true,
      });
      child = new Deno.Command("fetchmail", {
        args: ["-f", rc, "-i", `${f.home}/fetchids`, "--nodetach"],
        clearEnv: true,
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: f.home },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(1);
      assert.equal(count(), 1);
      // fetchmail is in IDLE (or about to enter it): a delivery must reach it as an untagged
      // EXISTS (RFC 2177) and it fetches at once.
      await f.t.deliver(f.account, MSG(2));
      await waitFor(2);
      assert.deepEqual(await retrieved(f), [toLf(MSG(1)), toLf(MSG(2))]);
    } finally {
      clearTimeout(guard);
      try {
        watcher.close();
      } catch {
        // already closed by the guard
      }
      if (child) {
        child.kill("SIGTERM");
        await child.status;
      }
      await teardown(f);
    }
  },
});
