/**
 * METADATA differential test against Dovecot 2.3.19 (RFC 5464; Dovecot with `imap_metadata = yes`
 * and a file dict): the same GETMETADATA/SETMETADATA conversation on both servers, server and
 * mailbox entries, /private and /shared, DEPTH, MAXSIZE with LONGENTRIES, NIL removal, entry-name
 * errors, case-insensitive names, RENAME keeping entries and DELETE dropping them. Compared: the
 * tagged status with its response code, and each `* METADATA` response with its entries in name
 * order (Dovecot lists descendants in its dict's order) and values compared as octets (quoted or
 * literal alike).
 *
 * Known differences, left out of the script: Dovecot lets SETMETADATA set the bare `/private`
 * (Tern: BAD, no entry is named by a tree root), answers a missing mailbox with a plain NO (Tern:
 * NO [NONEXISTENT]), fails SETMETADATA of a mixed-case name with SERVERBUG, and refuses a value
 * with a NUL octet (NO [CANNOT]; Tern keeps literal8 values, RFC 5464 §5 `value = nstring /
 * literal8`: tests/imap/metadata_test.ts). CREATE's MAILBOXID code (RFC 8474) is not compared.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, type Response, serialize, ValueParser } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const DOVECOT_CONFIG = `mail_attribute_dict = file:%h/dovecot-attributes
protocol imap {
  imap_metadata = yes
}
`;

const SCRIPT = [
  "CREATE Work",
  'SETMETADATA "" (/private/comment "my server comment")',
  'SETMETADATA "" (/shared/comment "shared server comment")',
  'GETMETADATA "" /private/comment',
  'GETMETADATA "" (/private/comment /shared/comment /shared/nothere)',
  'SETMETADATA INBOX (/private/comment "inbox note" /shared/vendor/x/a "1" /shared/vendor/x/a/b "2" /shared/vendor/x/c "3")',
  "GETMETADATA INBOX /shared",
  "GETMETADATA (DEPTH 1) INBOX /shared/vendor/x",
  "GETMETADATA (DEPTH infinity) INBOX /shared",
  "GETMETADATA (DEPTH infinity) INBOX (/shared /private)",
  "GETMETADATA (DEPTH 1) INBOX /shared/nothing",
  "GETMETADATA (MAXSIZE 1) INBOX (/private/comment /shared/vendor/x/a)",
  "GETMETADATA (MAXSIZE 10 DEPTH infinity) INBOX /shared",
  "SETMETADATA INBOX (/shared/vendor/x/a NIL)",
  "GETMETADATA (DEPTH infinity) INBOX /shared",
  'SETMETADATA INBOX (/foo "x")',
  'SETMETADATA INBOX (/private/ "x")',
  'SETMETADATA INBOX (/private/a//b "x")',
  'SETMETADATA INBOX (/private/a* "x")',
  "GETMETADATA INBOX /PRIVATE/COMMENT",
  'SETMETADATA INBOX (/private/comment "")',
  "GETMETADATA INBOX /private/comment",
  'SETMETADATA Work (/private/comment "work" /shared/comment "team")',
  "RENAME Work Play",
  "GETMETADATA Play (/private/comment /shared/comment)",
  "DELETE Play",
  "CREATE Play",
  "GETMETADATA Play (/private/comment /shared/comment)",
];

/** The canonical form of one response (see the module comment). */
function canonical(r: Response): string | null {
  if (r.text.startsWith("TAG ")) return `TAG ${r.text.split(" ")[1]}${code(r.text)}`;
  if (!r.text.startsWith("* METADATA ")) return null;
  const p = new ValueParser(r.bytes);
  p.pos = "* METADATA ".length;
  const mailbox = serialize(p.value());
  const list = p.value();
  if (list.kind !== "list") return `* METADATA ${mailbox} ?`;
  const pairs: string[] = [];
  for (let i = 0; i + 1 < list.items.length; i += 2) {
    pairs.push(`${serialize(list.items[i]!)} ${serialize(list.items[i + 1]!)}`);
  }
  return `* METADATA ${mailbox} (${pairs.sort().join(" ")})`;
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
      log.push(
        c.replaceAll("\0", "\\0"),
        ...rs.map(canonical).filter((x) => x !== null).map((l) => "  " + l),
      );
    }
  } finally {
    w.close();
  }
  return log;
}

Deno.test({
  name:
    "METADATA: GETMETADATA/SETMETADATA answer as Dovecot does (entries, DEPTH, MAXSIZE, errors, RENAME/DELETE)",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot(undefined, DOVECOT_CONFIG);
    const tern = await startTern();
    try {
      const d = await run(dovecot);
      const t = await run(tern);
      if (Deno.env.get("SHOW")) console.log(t.join("\n"));
      assert.deepEqual(t, d);
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
