/**
 * CATENATE (RFC 4469) on the wire: APPEND builds a message from TEXT literals and IMAP URLs of
 * this account's messages (whole, a section, a partial range), refuses other users, servers,
 * mailboxes, UIDVALIDITYs and UIDs with NO [BADURL url], applies APPENDLIMIT to the assembled
 * message with NO [TOOBIG], and with MULTIAPPEND appends nothing when one part is bad.
 * Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { RawImap } from "./_imap_client.ts";

const enc = new TextEncoder();
const len = (s: string) => enc.encode(s).length;

/** INBOX UID 1: a multipart message whose part 2 is "second part\r\n". */
const SOURCE = [
  "Subject: source",
  'Content-Type: multipart/mixed; boundary="b"',
  "",
  "--b",
  "Content-Type: text/plain",
  "",
  "first part",
  "--b",
  "Content-Type: text/plain",
  "",
  "second part",
  "--b--",
  "",
].join("\r\n");

async function withServer(
  fn: (c: RawImap, uidValidity: number) => Promise<void>,
  imap: { max_literal_size?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-catenate-" });
  const srv = await createServer(testConfig(dir, { local_domains: ["example.org"], imap }));
  await srv.start();
  try {
    await srv.context.store.createAccount({
      address: "u@example.org",
      secrets: await srv.context.auth.deriveSecrets("s3cret pass"),
    });
    await srv.context.store.createAccount({
      address: "other@example.org",
      secrets: await srv.context.auth.deriveSecrets("s3cret pass"),
    });
    const c = await RawImap.connect(srv.addresses.imap!.port);
    try {
      await c.login();
      const r = await c.cmd(`APPEND INBOX {${len(SOURCE)}+}\r\n${SOURCE}`);
      const m = /^TAG OK \[APPENDUID (\d+) 1\]/.exec(r.at(-1)!);
      assert.ok(m, r.join("\n"));
      await fn(c, Number(m[1]));
    } finally {
      c.close();
    }
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The reply lines (the client splits the literal at CRLF) to UID FETCH `uid` BODY.PEEK[] in Drafts. */
async function draft(c: RawImap, uid: number): Promise<string[]> {
  assert.match((await c.cmd("EXAMINE Drafts")).at(-1)!, /^TAG OK/);
  return await c.cmd(`UID FETCH ${uid} BODY.PEEK[]`);
}

Deno.test("CATENATE is advertised after login", async () => {
  await withServer(async (c) => {
    assert.ok((await c.cmd("CAPABILITY"))[0]!.split(" ").includes("CATENATE"));
  });
});

Deno.test("APPEND CATENATE joins TEXT literals and a section of a stored message", async (t) => {
  await withServer(async (c, v) => {
    await t.step("relative URL with UIDVALIDITY and SECTION", async () => {
      const head = "Subject: built\r\n\r\n";
      const tail = "-- end\r\n";
      const r = await c.cmd(
        `APPEND Drafts (\\Draft) CATENATE (TEXT {${len(head)}+}\r\n${head} ` +
          `URL "/INBOX;UIDVALIDITY=${v}/;UID=1/;SECTION=2" TEXT {${len(tail)}+}\r\n${tail})`,
      );
      assert.match(r.at(-1)!, /^TAG OK \[APPENDUID \d+ 1\] APPEND completed$/);
      const body = "Subject: built\r\n\r\nsecond part-- end\r\n";
      assert.equal(
        (await draft(c, 1)).join("\r\n"),
        `* 1 FETCH (UID 1 BODY[] {${len(body)}}\r\n${body})\r\nTAG OK FETCH completed`,
      );
    });
    await t.step("absolute URL of the logged-in user, with PARTIAL, and a whole message", async () => {
      const r = await c.cmd(
        'APPEND Drafts CATENATE (URL "imap://u%40example.org@localhost/INBOX/;UID=1/;PARTIAL=0.17" ' +
          'URL "/INBOX/;UID=1/;SECTION=1")',
      );
      assert.match(r.at(-1)!, /^TAG OK \[APPENDUID \d+ 2\] APPEND completed$/);
      const body = "Subject: source\r\nfirst part";
      assert.equal(
        (await draft(c, 2)).join("\r\n"),
        `* 2 FETCH (UID 2 BODY[] {${len(body)}}\r\n${body})\r\nTAG OK FETCH completed`,
      );
    });
  });
});

Deno.test("APPEND CATENATE refuses URLs outside the logged-in account with NO [BADURL url]", async () => {
  await withServer(async (c, v) => {
    for (
      const url of [
        `/INBOX;UIDVALIDITY=${v + 1}/;UID=1`, // another UIDVALIDITY
        "/INBOX/;UID=2", // no such UID
        "/Nowhere/;UID=1", // no such mailbox
        "/INBOX/;UID=1/;SECTION=9", // no such part
        "imap://other%40example.org@localhost/INBOX/;UID=1", // another user
        "imap://u%40example.org@elsewhere.example/INBOX/;UID=1", // another server
        "imap://localhost/INBOX/;UID=1", // anonymous
        "/INBOX/;UID=1;URLAUTH=anonymous:internal:0000", // RFC 4467 URLAUTH: not supported
      ]
    ) {
      assert.deepEqual(await c.cmd(`APPEND Drafts CATENATE (TEXT {3+}\r\nab\n URL "${url}")`), [
        `TAG NO [BADURL ${url}] Bad URL`,
      ], url);
    }
    // Nothing was appended; the session goes on.
    assert.deepEqual(await c.cmd("STATUS Drafts (MESSAGES)"), [
      "* STATUS Drafts (MESSAGES 0)",
      "TAG OK STATUS completed",
    ]);
  });
});

Deno.test("MULTIAPPEND with a bad CATENATE URL appends none of its messages", async () => {
  await withServer(async (c) => {
    assert.deepEqual(
      await c.cmd('APPEND Drafts {3+}\r\nab\n CATENATE (URL "/INBOX/;UID=1") CATENATE (URL "/INBOX/;UID=7")'),
      ["TAG NO [BADURL /INBOX/;UID=7] Bad URL"],
    );
    assert.deepEqual(await c.cmd("STATUS Drafts (MESSAGES)"), [
      "* STATUS Drafts (MESSAGES 0)",
      "TAG OK STATUS completed",
    ]);
    const r = await c.cmd('APPEND Drafts {3+}\r\nab\n CATENATE (URL "/INBOX/;UID=1")');
    assert.match(r.at(-1)!, /^TAG OK \[APPENDUID \d+ 1:2\] APPEND completed$/);
  });
});

Deno.test("APPEND CATENATE applies APPENDLIMIT to the assembled message: NO [TOOBIG]", async () => {
  await withServer(async (c) => {
    // SOURCE fits the limit alone; twice it does not.
    assert.match(
      (await c.cmd('APPEND Drafts CATENATE (URL "/INBOX/;UID=1")')).at(-1)!,
      /^TAG OK \[APPENDUID \d+ 1\]/,
    );
    assert.deepEqual(await c.cmd('APPEND Drafts CATENATE (URL "/INBOX/;UID=1" URL "/INBOX/;UID=1")'), [
      "TAG NO [TOOBIG] Message too big",
    ]);
  }, { max_literal_size: len(SOURCE) + 10 });
});

Deno.test("malformed CATENATE parts are a BAD and the session goes on", async () => {
  await withServer(async (c) => {
    for (
      const cmd of [
        "APPEND Drafts CATENATE ()",
        'APPEND Drafts CATENATE (TEXT "quoted")',
        "APPEND Drafts CATENATE (FOO {1+}\r\nx)",
      ]
    ) {
      const r = await c.cmd(cmd);
      assert.equal(r.length, 1, cmd);
      assert.match(r[0]!, /^TAG BAD /, cmd);
    }
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  });
});
