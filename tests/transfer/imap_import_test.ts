/**
 * `tern import imap` against Dovecot from Debian on loopback (STARTTLS with a certificate made for
 * the test): Python's imaplib fills three Dovecot folders with corpus messages, flags and internal
 * dates; the import brings every message over with its folder, flags and date, and a second run
 * brings nothing twice.
 */
import assert from "node:assert/strict";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { systemClock } from "../../core/clock.ts";
import { dovecotMissing, startDovecot } from "../interop/_dovecot.ts";
import { installed } from "../clients/_clients.ts";
import { python } from "../support/line_client.ts";
import { comparable, corpusNames, corpusPath, dumpAccount } from "./_fixtures.ts";

const ignore = dovecotMissing !== null || !installed("openssl") || (await corpusNames()).length === 0;

const FILL = `
import imaplib, sys, time
port, paths = int(sys.argv[1]), sys.argv[2:]
c = imaplib.IMAP4("127.0.0.1", port)
c.login("u@localhost", "pw")
for box in ["Sent", "Work/Reports"]:
    c.create(box)
flags = ["(\\\\Seen)", "(\\\\Seen \\\\Flagged)", "()", "(\\\\Answered \\\\Seen $Label1)"]
for i, p in enumerate(paths):
    box = ["INBOX", "Sent", "Work/Reports"][i % 3]
    date = imaplib.Time2Internaldate(1500000000 + i * 3600)
    typ, data = c.append(box, flags[i % 4], date, open(p, "rb").read())
    assert typ == "OK", data
c.logout()
`;

async function tern(args: string[], stdin?: string) {
  const io = new MemoryIo({ stdin });
  const code = await runCli(args, io, { version: "0.0.0" });
  return { code, out: io.stdout, err: io.stderr };
}

Deno.test({
  name: "tern import imap brings every folder of a Dovecot account over STARTTLS with flags and dates, once",
  ignore,
  async fn() {
    const certDir = await Deno.makeTempDir({ prefix: "tern-imapimport-" });
    const gen = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-days",
        "2",
        "-keyout",
        `${certDir}/key.pem`,
        "-out",
        `${certDir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(gen.code, 0, new TextDecoder().decode(gen.stderr));
    await Deno.chmod(certDir, 0o755);
    await Deno.chmod(`${certDir}/key.pem`, 0o644);
    const dovecot = await startDovecot(
      undefined,
      `ssl = yes\nssl_cert = <${certDir}/cert.pem\nssl_key = <${certDir}/key.pem\n`,
    );
    try {
      const names = (await corpusNames()).slice(0, 36);
      await python(FILL, [String(dovecot.port), ...names.map(corpusPath)]);

      const dataDir = `${certDir}/data`;
      const store = await SqliteStore.open({ dataDir });
      const auth = createAuthService(store, defaultConfig(), systemClock);
      await store.addDomain("example.org");
      await store.createAccount({ address: "ada@example.org", secrets: await auth.deriveSecrets("pw") });
      await store.close();

      const args = [
        "import",
        "imap",
        "ada@example.org",
        `imap://127.0.0.1:${dovecot.port}`,
        "--user",
        "u@localhost",
        "--password-stdin",
        "--insecure",
        "--data-dir",
        dataDir,
        "--json",
      ];
      const r = await tern(args, "pw\n");
      assert.equal(r.code, 0, r.err + (await dovecot.log()));
      assert.equal(JSON.parse(r.out).imported, names.length);

      const reopened = await SqliteStore.open({ dataDir });
      let got;
      try {
        got = await dumpAccount(reopened, (await reopened.getAccountByAddress("ada@example.org"))!);
      } finally {
        await reopened.close();
      }
      const keywords = [["$seen"], ["$flagged", "$seen"], [], ["$answered", "$label1", "$seen"]];
      const want = await Promise.all(
        names.map(async (n, i) =>
          `${["INBOX", "Sent", "Work/Reports"][i % 3]} ${keywords[i % 4]!.join(",")} ${
            (1500000000 + i * 3600) * 1000
          } ${comparable(await Deno.readFile(corpusPath(n)))}`
        ),
      );
      assert.deepEqual(
        got.map((d) => `${d.folder} ${d.keywords.join(",")} ${d.receivedAt} ${d.hash}`).sort(),
        want.sort(),
      );

      // Resumed or repeated: nothing is imported twice.
      const again = await tern(args, "pw\n");
      assert.equal(again.code, 0, again.err);
      assert.deepEqual([JSON.parse(again.out).imported, JSON.parse(again.out).duplicates], [0, names.length]);

      // A wrong password is a clear failure, not a crash.
      const bad = await tern(args, "wrong\n");
      assert.equal(bad.code, 1);
    } finally {
      await dovecot.stop();
      await Deno.remove(certDir, { recursive: true });
    }
  },
});
