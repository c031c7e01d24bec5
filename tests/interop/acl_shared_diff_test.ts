/**
 * Shared-mailbox differential test against Dovecot 2.3.19 (RFC 4314 with the other-users
 * namespace of RFC 2342; Dovecot with the acl/imap_acl plugins, a vfile ACL and a shared namespace
 * whose prefix is Tern's `Other Users/<owner>/`): the owner shares two mailboxes with different
 * rights, then the grantee's NAMESPACE, LIST, MYRIGHTS, SELECT (READ-ONLY or READ-WRITE,
 * PERMANENTFLAGS), STORE, APPEND and a mailbox shared with nobody are compared. Compared: the tagged
 * status with its response code, and the NAMESPACE, LIST, MYRIGHTS, EXISTS, PERMANENTFLAGS and
 * FETCH responses, normalised (tests/interop/_dovecot.ts) and, for LIST, sorted.
 *
 * Known differences, left out of the comparison: a mailbox the grantee may not see is answered
 * NO [NONEXISTENT] by Tern and a bare NO by Dovecot (both read as "does not exist"), so only the
 * status of those replies is compared. STORE in a mailbox opened read-only for lack of rights is
 * left out: Dovecot answers OK and changes nothing, Tern NO [READ-ONLY] as for any read-only
 * mailbox (tests/imap/acl_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, normaliseResponse, type Response } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const DOVECOT_CONFIG = `mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins acl imap_acl
}
namespace shared {
  type = shared
  separator = /
  prefix = Other Users/%%u/
  location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}
plugin {
  acl = vfile
  acl_shared_dict = file:%h/../shared-mailboxes.db
}
`;

const MSG = "From: u@localhost\r\nTo: v@localhost\r\nSubject: shared\r\n\r\nhello\r\n";
const OWNER = [
  "CREATE Projects",
  `APPEND Projects {${MSG.length}+}\r\n${MSG}`,
  "CREATE Team",
  `APPEND Team {${MSG.length}+}\r\n${MSG}`,
  "CREATE Secret",
  "SETACL Projects v@localhost lr",
  "SETACL Team v@localhost lrswi",
];
const P = '"Other Users/u@localhost/Projects"';
const T = '"Other Users/u@localhost/Team"';
const GRANTEE = [
  "NAMESPACE",
  'LIST "" "Other Users*"',
  'LIST "" "Other Users/%"',
  'LIST "" "Other Users/%/%"',
  `MYRIGHTS ${P}`,
  `MYRIGHTS ${T}`,
  `SELECT ${P}`,
  "FETCH 1 (FLAGS)",
  `SELECT ${T}`,
  "STORE 1 +FLAGS (\\Flagged)",
  "STORE 1 +FLAGS (\\Seen)",
  "FETCH 1 (FLAGS)",
  "UNSELECT",
  `STATUS ${T} (MESSAGES)`,
  `APPEND ${T} {${MSG.length}+}\r\n${MSG}`,
  `APPEND ${P} {${MSG.length}+}\r\n${MSG}`,
  `STATUS ${T} (MESSAGES)`,
  'SELECT "Other Users/u@localhost/Secret"',
  'STATUS "Other Users/u@localhost/Secret" (MESSAGES)',
];
const KEPT = /^\* (NAMESPACE|LIST|MYRIGHTS|STATUS|\d+ EXISTS|OK \[PERMANENTFLAGS|\d+ FETCH)/;

/** Flags and rights letters as sets: RFC 9051 and RFC 4314 §2.1 give them no order. */
function unordered(line: string): string {
  const rights = /^(\* MYRIGHTS .* )(\w+)$/.exec(line);
  if (rights) return rights[1] + [...rights[2]!].sort().join("");
  return line.replace(/FLAGS \(([^)]*)\)/, (_, f: string) => `FLAGS (${f.split(" ").sort().join(" ")})`);
}

function tagged(text: string, command: string): string {
  const t = normaliseResponse(text);
  // See the module comment: only the status where a hidden mailbox is named.
  return command.includes("Secret") ? t.split(" ").slice(0, 2).join(" ") : t;
}

async function run(peer: ImapPeer): Promise<string[]> {
  const owner = await peer.login();
  try {
    for (const c of OWNER) assert.match((await owner.cmd(c)).at(-1)!.text, /^\S+ OK/, `${peer.name}: ${c}`);
  } finally {
    owner.close();
  }
  const w = await peer.login({ address: "v@localhost", password: "pw" });
  const log: string[] = [];
  try {
    for (const c of GRANTEE) {
      const rs: Response[] = await w.cmd(c);
      const last = rs.at(-1)!;
      const kept = rs.slice(0, -1).filter((r) => KEPT.test(r.text)).map((r) =>
        unordered(normaliseResponse(r))
      );
      // LIST and SELECT responses come in any order (RFC 9051 §6.3.9, §6.3.2).
      if (c.startsWith("LIST") || c.startsWith("SELECT")) kept.sort();
      log.push(c.split("\r\n")[0]!, ...kept.map((l) => "  " + l), "  " + tagged(last.text, c));
    }
  } finally {
    w.close();
  }
  return log;
}

Deno.test({
  name:
    "ACL: a grantee's view of shared mailboxes (namespace, LIST, MYRIGHTS, SELECT, STORE, APPEND) matches Dovecot's",
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
