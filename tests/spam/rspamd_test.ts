/**
 * rspamd integration: with `[spam] rspamd_url` set, the spam stage asks a real rspamd (Debian's
 * package, started here on loopback with a minimal configuration and one test rule) and uses its
 * score: a message its rule marks is filed to Junk with the rspamd verdict in X-Spam-Status, an
 * ordinary one stays in the Inbox. An rspamd that cannot be reached falls back to the rules.
 * Skipped only where the `rspamd` program is not installed.
 */
import assert from "node:assert/strict";
import { python } from "../support/line_client.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import type { Account } from "../../core/store/types.ts";

const SEND = `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode())
s.quit()`;

function installed(): boolean {
  try {
    return new Deno.Command("rspamd", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}
const HAVE_RSPAMD = installed();

const RULES = `rspamd_config:register_symbol({
  name = "TERN_TEST_SPAM",
  score = 20.0,
  callback = function(task)
    local s = task:get_subject() or ""
    return s:find("rspamd-spam", 1, true) ~= nil
  end,
})
`;

/** A port free right now on 127.0.0.1. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts rspamd in the foreground on loopback; resolves once its scanner worker has started. */
async function startRspamd(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-rspamd-" });
  // rspamd drops root to _rspamd: its directory must be usable by that user.
  await Deno.chmod(dir, 0o777);
  const port = freePort();
  await Deno.writeTextFile(`${dir}/rules.lua`, RULES);
  // A tiny public-suffix list: compiling the full one takes rspamd many seconds.
  await Deno.writeTextFile(`${dir}/tld.dat`, "com\nnet\norg\nexample\n");
  await Deno.writeTextFile(
    `${dir}/rspamd.conf`,
    `options {
  pidfile = "${dir}/rspamd.pid";
  dbdir = "${dir}";
  url_tld = "${dir}/tld.dat";
  filters = "";
  dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 0; }
}
logging { type = "console"; level = "info"; }
actions { reject = 15; "add header" = 6; greylist = 4; }
worker "normal" { bind_socket = "127.0.0.1:${port}"; count = 1; }
lua = "${dir}/rules.lua";
`,
  );
  const root = Deno.uid() === 0;
  const child = new Deno.Command("rspamd", {
    args: ["-f", "-c", `${dir}/rspamd.conf`, ...(root ? ["-u", "_rspamd", "-g", "_rspamd"] : [])],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Ready when the scanner worker says it started (its socket is bound before that); rspamd
  // logs to stderr in the foreground.
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (;;) {
    const { done, value } = await lines.read();
    if (done) throw new Error(`rspamd exited before starting: ${seen.slice(-2000)}`);
    seen += value;
    if (/start_worker:/.test(seen)) break;
  }
  // Keep draining its output so it never blocks on a full pipe.
  const drain = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })().catch(() => {});
  const stdout = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
      await stdout;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function fileOf(t: TestServer, user: Account, subject: string): Promise<{ box: string; raw: string }> {
  const store = t.srv.context.store;
  for (const box of await store.listMailboxes(user.id)) {
    for (const p of await store.listPlacements(user.id, box.id)) {
      const raw = new TextDecoder().decode((await store.readMessage(user.id, p.messageId))!);
      if (raw.includes(`Subject: ${subject}\r\n`)) return { box: box.name, raw };
    }
  }
  throw new Error(`${subject} not found`);
}

const message = (subject: string) =>
  `From: a@example.net\r\nTo: u@example.org\r\nSubject: ${subject}\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\n` +
  `Message-ID: <${crypto.randomUUID()}@example.net>\r\n\r\nhello\r\n`;

Deno.test({
  name:
    "rspamd: its score decides, a message its rule marks goes to Junk with the rspamd verdict, another to the Inbox",
  ignore: !HAVE_RSPAMD,
  async fn() {
    const rspamd = await startRspamd();
    const t = await startTestServer({ spam: { enabled: true, rspamd_url: rspamd.url } });
    try {
      const user = await t.addUser("u@example.org", "s3cret pass");
      await python(SEND, [
        String(t.port("smtp")),
        "a@example.net",
        "u@example.org",
        message("rspamd-spam offer"),
      ]);
      await python(SEND, [String(t.port("smtp")), "a@example.net", "u@example.org", message("lunch")]);
      const spam = await fileOf(t, user, "rspamd-spam offer");
      assert.equal(spam.box, "Junk");
      // 20 of rspamd's reject score 15, rescaled to our threshold 5: 6.7.
      assert.match(
        spam.raw,
        /\r\nX-Spam-Score: 6\.7\r\nX-Spam-Status: Yes, score=6\.7 required=5\.0 tests=RSPAMD\(reject\)/,
      );
      const ham = await fileOf(t, user, "lunch");
      assert.equal(ham.box, "Inbox");
      assert.match(ham.raw, /\r\nX-Spam-Status: No, score=0\.0 required=5\.0 tests=RSPAMD\(no_action\)/);
    } finally {
      await t.close();
      await rspamd.stop();
    }
  },
});

Deno.test("rspamd: when it cannot be reached the rules score the message and it is delivered", async () => {
  const t = await startTestServer({ spam: { enabled: true, rspamd_url: `http://127.0.0.1:${freePort()}` } });
  try {
    const user = await t.addUser("u@example.org", "s3cret pass");
    await python(SEND, [
      String(t.port("smtp")),
      "a@example.net",
      "u@example.org",
      message("rspamd-spam offer"),
    ]);
    const got = await fileOf(t, user, "rspamd-spam offer");
    assert.equal(got.box, "Inbox");
    assert.match(got.raw, /\r\nX-Spam-Status: No, score=\d\.\d required=5\.0 tests=(?!RSPAMD)/);
  } finally {
    await t.close();
  }
});
