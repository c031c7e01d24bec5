import assert from "node:assert/strict";
import fc from "fast-check";
import { dotStuff, DotStuffer } from "./dot_stuff.ts";
import { crlfLength } from "../../core/mime/line_endings.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("dotStuff stuffs leading dots and normalises line endings to CRLF", () => {
  assert.equal(dec.decode(dotStuff(enc.encode("a\n.b\r\n..c\rd"))), "a\r\n..b\r\n...c\r\nd\r\n.\r\n");
});

Deno.test("dotStuff of an empty message is just the terminator", () => {
  assert.equal(dec.decode(dotStuff(new Uint8Array(0))), ".\r\n");
});

Deno.test("DotStuffer handles a CRLF split across chunks", () => {
  const s = new DotStuffer();
  const parts = [s.push(enc.encode("a\r")), s.push(enc.encode("\n.b\r\n")), s.end()];
  assert.equal(parts.map((p) => dec.decode(p)).join(""), "a\r\n..b\r\n.\r\n");
});

/** What a POP3 client does: split on CRLF, stop at ".", unstuff. */
function unstuff(wire: string): string[] {
  const lines = wire.split("\r\n");
  const out: string[] = [];
  for (const l of lines) {
    if (l === ".") return out;
    out.push(l.startsWith(".") ? l.slice(1) : l);
  }
  throw new Error("no terminator");
}

Deno.test("DotStuffer property: any chunking round-trips through a client's unstuffing", () => {
  fc.assert(fc.property(
    fc.array(fc.stringMatching(/^[a-z.]{0,6}$/), { maxLength: 8 }),
    fc.constantFrom("\r\n", "\n", "\r"),
    fc.integer({ min: 1, max: 7 }),
    (lines, eol, size) => {
      const text = lines.map((l) => l + eol).join("");
      const bytes = enc.encode(text);
      const s = new DotStuffer();
      let wire = "";
      for (let i = 0; i < bytes.length; i += size) wire += dec.decode(s.push(bytes.subarray(i, i + size)));
      wire += dec.decode(s.end());
      assert.deepEqual(unstuff(wire), lines);
      assert.equal(crlfLength(bytes), lines.reduce((n, l) => n + l.length + 2, 0));
    },
  ));
});
