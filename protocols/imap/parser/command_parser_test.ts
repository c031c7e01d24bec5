import assert from "node:assert/strict";
import fc from "fast-check";
import { CommandFramer } from "./framer.ts";
import { parseCommand, type ParseResult } from "./command_parser.ts";
import type { Token } from "./tokens.ts";

const enc = new TextEncoder();

function parse(text: string): ParseResult {
  const f = new CommandFramer();
  f.push(enc.encode(text));
  for (;;) {
    const r = f.next();
    if (r.type === "command") return parseCommand(r.command);
    if (r.type === "needMore" || r.type === "error") throw new Error("incomplete: " + r.type);
  }
}

function simplify(t: Token): unknown {
  if (t.type === "list") return t.items.map(simplify);
  if (t.type === "string") return { s: t.value, lit: t.literal };
  return t.section !== undefined
    ? { atom: t.value, section: t.section, partial: t.partial ?? null }
    : t.value;
}

Deno.test("parseCommand parses tags, UID commands, strings, literals and lists", () => {
  const r = parse(
    'A001 UID FETCH 1:*,$ (FLAGS BODY.PEEK[HEADER.FIELDS (FROM "TO")]<0.512>) "q\\"x\\\\" {3}\r\nabc\r\n',
  );
  assert.ok(r.ok);
  assert.equal(r.command.tag, "A001");
  assert.equal(r.command.name, "FETCH");
  assert.equal(r.command.uid, true);
  assert.deepEqual(r.command.args.map(simplify), [
    "1:*,$",
    ["FLAGS", {
      atom: "BODY.PEEK",
      section: 'HEADER.FIELDS (FROM "TO")',
      partial: { origin: 0, count: 512 },
    }],
    { s: 'q"x\\', lit: false },
    { s: "abc", lit: true },
  ]);
});

Deno.test("parseCommand keeps brackets in ordinary atoms", () => {
  const r = parse("t SELECT [Gmail]/Sent\r\n");
  assert.ok(r.ok);
  assert.deepEqual(r.command.args.map(simplify), ["[Gmail]/Sent"]);
});

Deno.test("parseCommand reports syntax errors with the tag", () => {
  for (
    const bad of ['a1 LOGIN "unterminated\r\n', "a1 FETCH 1 (FLAGS\r\n", 'a1 X "bad\\escape"\r\n', "a1\r\n"]
  ) {
    const r = parse(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.tag, "a1");
  }
  const noTag = parse("+ NOOP\r\n");
  assert.equal(noTag.ok, false);
  if (!noTag.ok) assert.equal(noTag.tag, "*");
});

Deno.test("parseCommand bounds list nesting", () => {
  const r = parse(`a1 SEARCH ${"(".repeat(40)}ALL${")".repeat(40)}\r\n`);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, "LIMIT");
});

Deno.test("parseCommand round-trips quoted strings", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 50 }).filter((s) => !/[\r\n\0]/.test(s)), (s) => {
      const q = '"' + s.replace(/[\\"]/g, (m) => "\\" + m) + '"';
      const r = parse(`x LOGIN ${q} {${enc.encode(s).length}}\r\n${s}\r\n`);
      assert.ok(r.ok);
      const [a, b] = r.command.args;
      assert.equal(a?.type === "string" && a.value, s);
      assert.equal(b?.type === "string" && b.value, s);
    }),
  );
});
