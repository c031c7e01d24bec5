/**
 * Keywords new to a session are announced before any response uses them (RFC 9051 §7.3.5,
 * §7.1 PERMANENTFLAGS): an untagged FLAGS and PERMANENTFLAGS precede the FETCH that carries the
 * keyword, whether it came from this session's STORE or from another session.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { python } from "../support/line_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;
const SYS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

Deno.test("imap a keyword set by another session is announced with FLAGS before the FETCH that uses it", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    // B's SELECT claims the messages as \Recent, so A's flag lists below are exactly the keywords.
    await b.cmd("SELECT INBOX");
    const sel = await a.cmd("EXAMINE INBOX");
    assert.ok(sel.includes(`* FLAGS (${SYS})`), sel.join("\n"));
    // B's own STORE announces the new keyword to B first (B's SELECT claimed \Recent).
    assert.deepEqual(await b.cmd("STORE 1 +FLAGS (project-x)"), [
      `* FLAGS (${SYS} project-x)`,
      `* OK [PERMANENTFLAGS (${SYS} project-x \\*)] Flags permitted`,
      "* 1 FETCH (FLAGS (\\Recent project-x))",
      "TAG OK STORE completed",
    ]);
    // A learns it at its next command: FLAGS first, then the FETCH with the keyword.
    assert.deepEqual(await a.cmd("NOOP"), [
      `* FLAGS (${SYS} project-x)`,
      "* OK [PERMANENTFLAGS ()] Read-only mailbox",
      "* 1 FETCH (UID 1 FLAGS (project-x))",
      "TAG OK NOOP completed",
    ]);
    // Announced once: a second message with the same keyword needs no new FLAGS.
    await b.cmd("STORE 2 +FLAGS.SILENT (project-x)");
    assert.deepEqual(await a.cmd("NOOP"), ["* 2 FETCH (UID 2 FLAGS (project-x))", "TAG OK NOOP completed"]);
    // A .SILENT STORE of another new keyword still announces it to the storing session.
    assert.deepEqual(await b.cmd("STORE 2 +FLAGS.SILENT (other)"), [
      `* FLAGS (${SYS} project-x other)`,
      `* OK [PERMANENTFLAGS (${SYS} project-x other \\*)] Flags permitted`,
      "TAG OK STORE completed",
    ]);
    // …and to A before its FETCH FLAGS, even though FETCH must hold other updates back.
    const f = await a.cmd("FETCH 2 (FLAGS)");
    assert.equal(f[0], `* FLAGS (${SYS} project-x other)`);
    assert.equal(f[1], "* OK [PERMANENTFLAGS ()] Read-only mailbox");
    assert.ok(f.slice(2).every((l) => !l.startsWith("* FLAGS")), f.join("\n"));
    assert.equal(f.at(-1), "TAG OK FETCH completed");
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap imaplib sees every keyword it is given in FETCH listed in the session's FLAGS", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  const out = await python(
    `import imaplib, json, re, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login("u@example.org", "s3cret pass")
M.select("INBOX")
N = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
N.login("u@example.org", "s3cret pass")
N.select("INBOX")
N.store("1", "+FLAGS", "(fromN)")
typ, data = M.fetch("1", "(FLAGS)")
print(json.dumps({"flags": [d.decode() for d in M.untagged_responses.get("FLAGS", [])], "fetch": data[0].decode()}))`,
    [String(port)],
  );
  const r = JSON.parse(out) as { flags: string[]; fetch: string };
  assert.match(r.fetch, /fromn/);
  assert.ok(r.flags.some((f) => f.includes("fromn")), JSON.stringify(r));
  await t.close();
});
