/**
 * ACL differential test against Dovecot 2.3.19 (RFC 4314, RFC 8440; Dovecot with the `acl` and
 * `imap_acl` plugins and a vfile ACL backend): the same SETACL/DELETEACL/GETACL/LISTRIGHTS/MYRIGHTS
 * conversation on both servers as the owner. Compared: the tagged status with its response code,
 * and each `* ACL`, `* MYRIGHTS` and `* LISTRIGHTS` response with the mailbox name unquoted and each
 * rights string as a set of letters (RFC 4314 §2.1 gives no order; Dovecot writes "lrwstipekxa",
 * Tern the RFC's "lrswipkxtea").
 *
 * Known differences, left out of the script: Dovecot 2.3 has no LIST-MYRIGHTS (RFC 8440: `LIST
 * RETURN (MYRIGHTS)` is BAD there; tests/imap/acl_test.ts covers it), and answers MYRIGHTS of a
 * mailbox that does not exist with the rights it would have, LISTRIGHTS of one likewise (Tern:
 * NO [NONEXISTENT], as for every command on a missing mailbox).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, type Response, serialize, ValueParser } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const DOVECOT_CONFIG = `mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins acl imap_acl
}
plugin {
  acl = vfile
  acl_anyone = allow
}
`;

const SCRIPT = [
  "CREATE Work",
  "GETACL Work",
  "MYRIGHTS Work",
  "LISTRIGHTS Work v@localhost",
  "SETACL Work v@localhost lr",
  "GETACL Work",
  "SETACL Work v@localhost +si",
  "GETACL Work",
  "SETACL Work v@localhost -r",
  "GETACL Work",
  "SETACL Work anyone l",
  "GETACL Work",
  "DELETEACL Work anyone",
  "DELETEACL Work v@localhost",
  "GETACL Work",
  "GETACL Nope",
  "SETACL Nope v@localhost lr",
];

/** The rights string as a sorted set of letters. */
function letters(v: string): string {
  return [...new Set(v)].sort().join("");
}

/** The canonical form of one response (see the module comment). */
function canonical(r: Response): string | null {
  if (r.text.startsWith("TAG ")) return `TAG ${r.text.split(" ")[1]}${code(r.text)}`;
  const m = /^\* (ACL|MYRIGHTS|LISTRIGHTS) /.exec(r.text);
  if (!m) return null;
  const p = new ValueParser(r.bytes);
  p.pos = m[0].length;
  const parts: string[] = [];
  while (p.pos < r.bytes.length) {
    const v = p.value();
    parts.push(
      v.kind === "string" || v.kind === "atom"
        ? new TextDecoder().decode(v.kind === "atom" ? new TextEncoder().encode(v.text) : v.bytes)
        : serialize(v),
    );
    while (p.pos < r.bytes.length && r.bytes[p.pos] === 0x20) p.pos++;
  }
  const [mailbox, ...rest] = parts;
  if (m[1] === "ACL") {
    const pairs: string[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2) pairs.push(`${rest[i]} ${letters(rest[i + 1]!)}`);
    return `* ACL ${mailbox} ${pairs.sort().join(" ")}`;
  }
  if (m[1] === "MYRIGHTS") return `* MYRIGHTS ${mailbox} ${letters(rest[0] ?? "")}`;
  // identifier, required rights, then each optional group (as a set of groups).
  const [who, required, ...optional] = rest;
  return `* LISTRIGHTS ${mailbox} ${who} "${letters(required ?? "")}" ${
    optional.map(letters).sort().join(" ")
  }`;
}

/** The response code of a tagged reply, if any. */
function code(text: string): string {
  const m = /^TAG \S+ (\[[^\]]*\])/.exec(text);
  return m && !m[1]!.startsWith("[MAILBOXID") ? " " + m[1] : "";
}

async function run(peer: ImapPeer): Promise<string[]> {
  const w = await peer.login();
  const log: string[] = [];
  try {
    for (const c of SCRIPT) {
      const rs = await w.cmd(c);
      log.push(c, ...rs.map(canonical).filter((x) => x !== null).map((l) => "  " + l));
    }
  } finally {
    w.close();
  }
  return log;
}

Deno.test({
  name: "ACL: GETACL, MYRIGHTS, LISTRIGHTS, SETACL and DELETEACL answer as Dovecot does",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot(undefined, DOVECOT_CONFIG);
    const tern = await startTern();
    try {
      const d = await run(dovecot);
      const t = await run(tern);
      if (Deno.env.get("SHOW")) console.log(d.join("\n") + "\n-----\n" + t.join("\n"));
      assert.deepEqual(t, d);
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
