import assert from "node:assert/strict";
import { parseMime } from "../../../core/mime/parse.ts";
import { formatBodyStructure } from "./bodystructure.ts";
import { formatEnvelope } from "./envelope.ts";
import { envelopeHeaders, octetBytes, octets } from "./octets.ts";
import { canQuoteOctets, ostr } from "./strings.ts";

/** Message bytes from text whose chars are octets (\xF6 is the byte 0xF6). */
const raw = (s: string) => octetBytes(s);

Deno.test("ostr sends 8-bit octets in a literal of exactly those octets, valid UTF-8 quoted under UTF8=ACCEPT", () => {
  assert.equal(ostr("Fr\xf6sche", false), "{7}\r\nFr\xf6sche");
  assert.equal(ostr("Fr\xf6sche", true), "{7}\r\nFr\xf6sche", "Latin-1 is not UTF-8: still a literal");
  assert.equal(ostr("Fr\xc3\xb6sche", true), '"Fr\xc3\xb6sche"', "valid UTF-8 octets may be quoted");
  assert.equal(ostr("Fr\xc3\xb6sche", false), "{8}\r\nFr\xc3\xb6sche");
  assert.equal(ostr('a "b"', false), '"a \\"b\\""');
  assert.equal(canQuoteOctets("x\ry", true), false);
});

Deno.test("ENVELOPE hands raw Latin-1 header bytes through unchanged (RFC 9051 §7.5.2)", () => {
  const m = raw("Subject: Die Hasen und die Fr\xf6sche\r\nFrom: J\xfcrgen <j@example.org>\r\n\r\nx\r\n");
  const root = parseMime(m);
  const env = formatEnvelope(envelopeHeaders(m, root.headers), false);
  assert.equal(
    env,
    '(NIL {25}\r\nDie Hasen und die Fr\xf6sche (({6}\r\nJ\xfcrgen NIL "j" "example.org")) ' +
      '(({6}\r\nJ\xfcrgen NIL "j" "example.org")) (({6}\r\nJ\xfcrgen NIL "j" "example.org")) NIL NIL NIL NIL NIL)',
  );
  // On the wire these are single octets 0xF6 and 0xFC, never UTF-8 sequences.
  const wire = octetBytes(env);
  assert.ok(wire.includes(0xf6) && !wire.includes(0xc3));
});

Deno.test("ENVELOPE: empty fields are empty strings, missing domains filled, repeated address fields joined", () => {
  const m = raw(
    "Subject:\r\nFrom: a@example.org\r\nFrom: Someone Else\r\nTo: undisclosed\r\nIn-Reply-To: \r\n" +
      "Message-ID: <x@y>\r\n\r\n",
  );
  const env = formatEnvelope(envelopeHeaders(m, parseMime(m).headers), false);
  assert.equal(
    env,
    '(NIL "" ((NIL NIL "a" "example.org")("Someone Else" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ' +
      '((NIL NIL "a" "example.org")("Someone Else" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ' +
      '((NIL NIL "a" "example.org")("Someone Else" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ' +
      '((NIL NIL "undisclosed" "MISSING_DOMAIN")) NIL NIL "" "<x@y>")',
  );
});

Deno.test("BODYSTRUCTURE keeps raw parameter octets, joins RFC 2231 continuations undecoded, lists languages", () => {
  const m = raw(
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n' +
      'Content-Type: application/octet-stream; name="Fr\xf6sche.txt"\r\n' +
      "Content-Disposition: attachment; filename*0*=iso-8859-1''Fr%F6; filename*1*=sche.txt\r\n" +
      "Content-Transfer-Encoding: quoted printable\r\nContent-Language: de\r\n\r\nx\r\n--b--\r\n",
  );
  const s = formatBodyStructure(m, parseMime(m), true, false);
  assert.equal(
    s,
    '(("application" "octet-stream" ("name" {11}\r\nFr\xf6sche.txt) NIL NIL "7BIT" 1 NIL ' +
      `("attachment" ("filename*" "iso-8859-1''Fr%F6sche.txt")) ("de") NIL) "mixed" ("boundary" "b") NIL NIL NIL)`,
  );
  assert.equal(octets(octetBytes(s)), s, "octet strings survive the trip to bytes");
});
