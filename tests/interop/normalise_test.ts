/**
 * The differential harness's own pieces (no server needed): the response parser keeps literal
 * octets, quoted and literal strings compare equal, and `normaliseResponse` removes what differs
 * legitimately between servers.
 */
import assert from "node:assert/strict";
import { fetchItems, normaliseResponse, serialize } from "./_dovecot.ts";

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("fetchItems parses a FETCH response with literals, sections and 8-bit octets", () => {
  const f = fetchItems(
    latin1(
      '* 3 FETCH (UID 7 BODY[HEADER.FIELDS (FROM TO)] {5}\r\nF\xf6o\r\n FLAGS (\\Seen) ENVELOPE ("d" NIL))',
    ),
  )!;
  assert.equal(f.seq, 3);
  assert.deepEqual([...f.items.keys()], ["UID", "BODY[HEADER.FIELDS (FROM TO)]", "FLAGS", "ENVELOPE"]);
  const body = f.items.get("BODY[HEADER.FIELDS (FROM TO)]")!;
  assert.ok(body.kind === "string" && body.literal && body.bytes[1] === 0xf6 && body.bytes.length === 5);
  assert.equal(serialize(f.items.get("ENVELOPE")!), '("d" NIL)');
  assert.equal(serialize({ kind: "string", bytes: latin1('a"b'), literal: true }), '"a\\"b"');
});

Deno.test("normaliseResponse hides tags, UIDVALIDITY, MODSEQ, dates, capability order, text and item order", () => {
  assert.equal(
    normaliseResponse("a12 OK [READ-WRITE] Select completed (0.001 + 0.000 secs)."),
    "TAG OK [READ-WRITE]",
  );
  assert.equal(normaliseResponse("* OK [UIDVALIDITY 1796587473] UIDs valid"), "* OK [UIDVALIDITY *]");
  assert.equal(normaliseResponse("* CAPABILITY imap4rev1 IDLE ENABLE"), "* CAPABILITY ENABLE IDLE IMAP4REV1");
  assert.equal(
    normaliseResponse('* 1 FETCH (MODSEQ (12) INTERNALDATE " 1-Jan-2020 10:00:00 +0000" UID 4)'),
    normaliseResponse('* 1 FETCH (UID 4 INTERNALDATE "01-Jan-2020 10:00:00 +0000" MODSEQ (99))'),
  );
  assert.equal(
    normaliseResponse('* 1 FETCH (BODY ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 1 1))', { foldMimeCase: true }),
    normaliseResponse('* 1 FETCH (BODY ("text" "plain" NIL NIL NIL "7bit" 1 1))', { foldMimeCase: true }),
  );
});
