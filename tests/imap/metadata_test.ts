/**
 * METADATA (RFC 5464) on the wire, for what the Dovecot comparison (tests/interop/
 * metadata_diff_test.ts) cannot show: the capability, the size and count limits with their
 * response codes, binary (literal8) values kept octet for octet, private entries per user, and
 * option placement. Persistence is the store contract's (tests/store/records_contract.ts).
 * Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { MAX_ENTRIES, MAX_VALUE_SIZE } from "../../protocols/imap/commands/metadata.ts";

async function session(): Promise<{ c: RawImap; port: number; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  await c.login();
  return {
    c,
    port,
    close: async () => {
      c.close();
      await t.close();
    },
  };
}

Deno.test("METADATA and METADATA-SERVER are advertised once logged in", async () => {
  const { c, close } = await session();
  try {
    const caps = (await c.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(caps.includes("METADATA") && caps.includes("METADATA-SERVER"));
  } finally {
    await close();
  }
});

Deno.test("a value over the size limit is refused with [METADATA MAXSIZE n] and nothing is set", async () => {
  const { c, close } = await session();
  try {
    const big = "x".repeat(MAX_VALUE_SIZE + 1);
    assert.deepEqual(
      await c.cmd(`SETMETADATA INBOX (/private/a "1" /private/big {${big.length}+}\r\n${big})`),
      [`TAG NO [METADATA MAXSIZE ${MAX_VALUE_SIZE}] Value too long`],
    );
    assert.deepEqual(await c.cmd("GETMETADATA INBOX /private/a"), [
      "* METADATA INBOX (/private/a NIL)",
      "TAG OK GETMETADATA completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("more entries than the account may hold are refused with [METADATA TOOMANY]; replacing is fine", async () => {
  const { c, close } = await session();
  try {
    const pairs = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => `/private/e${from + i} "v"`).join(" ");
    assert.deepEqual(await c.cmd(`SETMETADATA "" (${pairs(MAX_ENTRIES - 1)})`), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd(`SETMETADATA INBOX (${pairs(2, 5000)})`), [
      "TAG NO [METADATA TOOMANY] Too many metadata entries",
    ]);
    // Replacing an entry and adding one more stays within the limit.
    assert.deepEqual(await c.cmd(`SETMETADATA "" (/private/e0 "w" /private/last "v")`), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd(`SETMETADATA INBOX (/private/one "v")`), [
      "TAG NO [METADATA TOOMANY] Too many metadata entries",
    ]);
    // Removing one in the same command makes room for another; the account stays full.
    assert.deepEqual(await c.cmd(`SETMETADATA "" (/private/e1 NIL /private/new "v")`), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd(`SETMETADATA INBOX (/private/one "v")`), [
      "TAG NO [METADATA TOOMANY] Too many metadata entries",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a binary value (literal8) comes back octet for octet", async () => {
  const { c, close } = await session();
  try {
    assert.deepEqual(await c.cmd("SETMETADATA INBOX (/shared/vendor/tern/bin ~{5+}\r\na\x00\r\nb)"), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd("GETMETADATA INBOX /shared/vendor/tern/bin"), [
      "* METADATA INBOX (/shared/vendor/tern/bin ~{5}",
      "a\x00",
      "b)",
      "TAG OK GETMETADATA completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("GETMETADATA options go before or after the mailbox; bad options and names are BAD", async () => {
  const { c, close } = await session();
  try {
    await c.cmd('SETMETADATA INBOX (/private/comment "hello" /private/comment/sub "x")');
    const want = ["* METADATA INBOX (/private/comment {5}", "hello /private/comment/sub {1}", "x)"];
    assert.deepEqual(await c.cmd("GETMETADATA (DEPTH 1) INBOX /private/comment"), [
      ...want,
      "TAG OK GETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd("GETMETADATA INBOX (DEPTH 1) /private/comment"), [
      ...want,
      "TAG OK GETMETADATA completed",
    ]);
    assert.deepEqual(await c.cmd("GETMETADATA (DEPTH 2) INBOX /private"), ["TAG BAD Invalid DEPTH"]);
    assert.deepEqual(await c.cmd("GETMETADATA INBOX ()"), ["TAG BAD Missing entry names"]);
    assert.deepEqual(await c.cmd('SETMETADATA INBOX (/private "x")'), [
      "TAG BAD Entry name must name an entry below /private or /shared",
    ]);
    assert.deepEqual(await c.cmd("GETMETADATA Nosuch /private/comment"), [
      "TAG NO [NONEXISTENT] Mailbox does not exist",
    ]);
  } finally {
    await close();
  }
});

Deno.test("private entries are each user's own; shared server entries cannot be set by users", async () => {
  const { t, port } = await setupImap();
  await t.addUser("w@example.org", "other pass");
  const u = await RawImap.connect(port);
  const w = await RawImap.connect(port);
  try {
    await u.login();
    await w.login("w@example.org", "other pass");
    assert.deepEqual(await u.cmd('SETMETADATA "" (/private/comment "u only")'), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await w.cmd('GETMETADATA "" /private/comment'), [
      '* METADATA "" (/private/comment NIL)',
      "TAG OK GETMETADATA completed",
    ]);
    assert.deepEqual(await w.cmd('SETMETADATA "" (/shared/comment "all")'), [
      "TAG NO [CANNOT] The /shared/comment server entry cannot be changed",
    ]);
  } finally {
    u.close();
    w.close();
    await t.close();
  }
});

Deno.test("on a shared mailbox, /shared entries need r to read and w to write; /private stay the reader's", async () => {
  const { t, port } = await setupImap();
  await t.addUser("w@example.org", "other pass");
  const u = await RawImap.connect(port);
  const w = await RawImap.connect(port);
  try {
    await u.login();
    await w.login("w@example.org", "other pass");
    const shared = '"Other Users/u@example.org/Team"';
    assert.match((await u.cmd("CREATE Team")).at(-1)!, /^TAG OK/);
    assert.match(
      (await u.cmd('SETMETADATA Team (/shared/comment "team box" /private/comment "u")')).at(-1)!,
      /^TAG OK/,
    );
    // Lookup only: the private entries are the reader's own; shared ones need "r".
    assert.match((await u.cmd("SETACL Team w@example.org l")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await w.cmd(`GETMETADATA ${shared} /private/comment`), [
      `* METADATA ${shared} (/private/comment NIL)`,
      "TAG OK GETMETADATA completed",
    ]);
    assert.deepEqual(await w.cmd(`GETMETADATA ${shared} /shared/comment`), [
      "TAG NO [NOPERM] Permission denied",
    ]);
    assert.match((await u.cmd("SETACL Team w@example.org lr")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await w.cmd(`GETMETADATA ${shared} /shared/comment`), [
      `* METADATA ${shared} (/shared/comment {8}`,
      "team box)",
      "TAG OK GETMETADATA completed",
    ]);
    assert.deepEqual(await w.cmd(`SETMETADATA ${shared} (/shared/comment "w was here")`), [
      "TAG NO [NOPERM] Permission denied",
    ]);
    assert.deepEqual(await w.cmd(`SETMETADATA ${shared} (/private/comment "w's note")`), [
      "TAG OK SETMETADATA completed",
    ]);
    assert.deepEqual(await u.cmd("GETMETADATA Team /private/comment"), [
      "* METADATA Team (/private/comment {1}",
      "u)",
      "TAG OK GETMETADATA completed",
    ]);
  } finally {
    u.close();
    w.close();
    await t.close();
  }
});
