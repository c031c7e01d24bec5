import assert from "node:assert/strict";
import fc from "fast-check";
import { parseMessageNumber, parseNonNegative, parsePop3Command } from "./command.ts";

Deno.test("parsePop3Command uppercases the keyword and splits arguments", () => {
  assert.deepEqual(parsePop3Command("retr 1"), { verb: "RETR", args: ["1"] });
  assert.deepEqual(parsePop3Command("TOP 2 10"), { verb: "TOP", args: ["2", "10"] });
  assert.deepEqual(parsePop3Command("capa"), { verb: "CAPA", args: [] });
});

Deno.test("parsePop3Command keeps spaces inside PASS", () => {
  assert.deepEqual(parsePop3Command("PASS my secret pw"), { verb: "PASS", args: ["my secret pw"] });
});

Deno.test("parsePop3Command rejects empty, odd keywords and empty arguments", () => {
  assert.ok("error" in parsePop3Command(""));
  assert.ok("error" in parsePop3Command("RETRIEVE 1"));
  assert.ok("error" in parsePop3Command("R3TR 1"));
  assert.ok("error" in parsePop3Command("RETR  1"));
  assert.ok("error" in parsePop3Command("RETR 1 "));
  assert.ok("error" in parsePop3Command("USER " + "a".repeat(41)));
});

Deno.test("parsePop3Command never throws on arbitrary input", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    const r = parsePop3Command(s);
    assert.ok("error" in r || /^[A-Z]{3,4}$/.test(r.verb));
  }));
});

Deno.test("parseMessageNumber accepts positive decimals only", () => {
  assert.equal(parseMessageNumber("1"), 1);
  assert.equal(parseMessageNumber("0"), null);
  assert.equal(parseMessageNumber("-1"), null);
  assert.equal(parseMessageNumber("+1"), null);
  assert.equal(parseMessageNumber("1a"), null);
  assert.equal(parseMessageNumber(undefined), null);
  assert.equal(parseNonNegative("0"), 0);
  assert.equal(parseNonNegative("x"), null);
});
