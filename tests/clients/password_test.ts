/**
 * A hostile but legal password (double quote, backslash, space, non-ASCII) through every client's
 * own quoting: IMAP LOGIN quoted strings / literals and SASL PLAIN, LOGIN and SCRAM-SHA-256 (mbsync),
 * POP3 PASS and IMAP LOGIN (fetchmail), SMTP AUTH PLAIN and LOGIN (swaks), curl's IMAP, POP3 and
 * SMTP. Each client logs in and does one small thing; a wrong password is refused.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { certFile, installed, mailbox, run, USER } from "./_clients.ts";

const NASTY = 'pa"ss\\wörd x';
const MSG = "From: u@example.org\r\nSubject: x\r\n\r\nhi\r\n";

async function withServer(
  fn: (t: TestServer, accountId: string, home: string) => Promise<void>,
): Promise<void> {
  const t = await startTestServer();
  const account = await t.addUser(USER, NASTY);
  await t.deliver(account, MSG);
  const home = await Deno.makeTempDir({ prefix: "tern-pw-" });
  try {
    await fn(t, account.id, home);
  } finally {
    await t.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test({
  name: "mbsync logs in with a quote/backslash/UTF-8 password via LOGIN, PLAIN and SCRAM-SHA-256",
  ignore: !installed("mbsync"),
  async fn() {
    await withServer(async (t, _id, home) => {
      await Deno.writeTextFile(`${home}/pass`, NASTY, { mode: 0o600 });
      for (const mech of ["LOGIN", "PLAIN", "SCRAM-SHA-256"]) {
        const dir = `${home}/${mech}`;
        await Deno.mkdir(dir);
        await Deno.writeTextFile(
          `${home}/rc`,
          `IMAPAccount a\nHost 127.0.0.1\nPort ${
            t.port("imap")
          }\nUser ${USER}\nPassCmd "cat ${home}/pass"\n` +
            `SSLType STARTTLS\nCertificateFile ${
              certFile(t)
            }\nAuthMechs ${mech}\n\nIMAPStore r\nAccount a\n\n` +
            `MaildirStore l\nPath ${dir}/\nInbox ${dir}/INBOX\n\nChannel c\nFar :r:\nNear :l:\nPatterns INBOX\n` +
            `Create Near\nSyncState *\n`,
        );
        const r = await run("mbsync", ["-c", `${home}/rc`, "-V", "c"], { home });
        assert.equal(r.code, 0, `${mech}: ${r.stderr}`);
        assert.equal([...Deno.readDirSync(`${dir}/INBOX/new`)].length, 1, mech);
      }
    });
  },
});

Deno.test({
  name: "fetchmail logs in with a quote/backslash/UTF-8 password over POP3 (PASS) and IMAP (LOGIN)",
  ignore: !installed("fetchmail"),
  async fn() {
    await withServer(async (t, _id, home) => {
      for (const [protocol, password] of [["pop3", NASTY], ["imap", NASTY], ["pop3", "wrong"]] as const) {
        const rc = `${home}/fetchmailrc`;
        // fetchmail's rc syntax: single-quoted string, backslash escaped.
        await Deno.writeTextFile(
          rc,
          `set no syslog\npoll 127.0.0.1 service ${t.port(protocol)} protocol ${protocol}\n` +
            ` user "${USER}" password '${password.replaceAll("\\", "\\\\")}'\n` +
            ` sslcertck sslcertfile "${certFile(t)}" sslcommonname localhost\n keep mda "cat"\n`,
          { mode: 0o600 },
        );
        await Deno.chmod(rc, 0o600);
        const r = await run("fetchmail", ["-f", rc, "-i", `${home}/ids`, "--nodetach", "--all"], { home });
        if (password === NASTY) {
          assert.equal(r.code, 0, `${protocol}: ${r.stderr}`);
          // The MDA (cat) output: fetchmail's own Received line, then the message with LF endings.
          assert.ok(r.stdout.includes("\n" + MSG.replaceAll("\r\n", "\n")), `${protocol}: ${r.stdout}`);
        } else {
          assert.equal(r.code, 3, `${protocol}: ${r.stderr}`);
        }
      }
    });
  },
});

Deno.test({
  name: "swaks AUTH PLAIN and LOGIN with a quote/backslash/UTF-8 password",
  ignore: !installed("swaks"),
  async fn() {
    await withServer(async (t, accountId, home) => {
      await Deno.writeTextFile(`${home}/.swaksrc`, `auth-password ${NASTY}\n`, { mode: 0o600 });
      for (const mech of ["PLAIN", "LOGIN"]) {
        const r = await run("swaks", [
          "-s",
          `127.0.0.1:${t.port("submission")}`,
          "--tls",
          "--tls-ca-path",
          certFile(t),
          "-f",
          USER,
          "-t",
          USER,
          "-a",
          mech,
          "-au",
          USER,
        ], { home });
        assert.equal(r.code, 0, `${mech}: ${r.stderr}`);
      }
      assert.equal((await mailbox(t, accountId)).length, 3);
    });
  },
});

Deno.test({
  name: "curl imap, pop3 and smtp with a quote/backslash/UTF-8 password from its config file",
  ignore: !installed("curl"),
  async fn() {
    await withServer(async (t, accountId, home) => {
      // curl config quoted strings take \" and \\ escapes.
      const esc = NASTY.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
      await Deno.writeTextFile(`${home}/curlrc`, `user = "${USER}:${esc}"\n`, { mode: 0o600 });
      const curl = (args: string[], stdin?: string) =>
        run("curl", ["-sS", "-K", `${home}/curlrc`, "--cacert", certFile(t), "--ssl-reqd", ...args], {
          home,
          stdin,
        });
      for (const login of ["AUTH=PLAIN", "AUTH=LOGIN"]) {
        const imap = await curl(["--login-options", login, `imap://127.0.0.1:${t.port("imap")}/INBOX;UID=1`]);
        assert.equal(imap.code, 0, `imap ${login}: ${imap.stderr}`);
        assert.equal(imap.stdout, MSG);
        const pop = await curl(["--login-options", login, `pop3://127.0.0.1:${t.port("pop3")}/1`]);
        assert.equal(pop.code, 0, `pop3 ${login}: ${pop.stderr}`);
        assert.equal(pop.stdout, MSG);
      }
      // POP3 USER/PASS (no SASL): the password with its space goes on the PASS line.
      const user = await curl(["--login-options", "AUTH=+APOP", `pop3://127.0.0.1:${t.port("pop3")}/1`]);
      assert.notEqual(user.code, 0, "APOP is not offered (no timestamp in the greeting)");
      const smtp = await curl(
        [`smtp://127.0.0.1:${t.port("submission")}`, "--mail-from", USER, "--mail-rcpt", USER, "-T", "-"],
        MSG,
      );
      assert.equal(smtp.code, 0, `smtp: ${smtp.stderr}`);
      assert.equal((await mailbox(t, accountId)).length, 2);
    });
  },
});
