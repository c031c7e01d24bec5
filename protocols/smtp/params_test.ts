import assert from "node:assert/strict";
import { parseMailParams, parseRcptParams } from "./params.ts";

const m = (entries: [string, string | null][], esmtp = true) =>
  parseMailParams(new Map(entries), { esmtp, maxSize: 1000 });

Deno.test("parseMailParams reads SIZE, BODY, SMTPUTF8, RET and ENVID", () => {
  const r = m([["SIZE", "999"], ["BODY", "binarymime"], ["SMTPUTF8", null], ["RET", "HDRS"], [
    "ENVID",
    "QQ+2Bx",
  ]]);
  assert.deepEqual(r, {
    ok: true,
    value: { size: 999, body: "BINARYMIME", smtputf8: true, ret: "HDRS", envid: "QQ+2Bx" },
  });
});

Deno.test("parseMailParams refuses a declared SIZE above the limit with 552 5.3.4", () => {
  const r = m([["SIZE", "1001"]]);
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual([r.reply.code, r.reply.enhanced], [552, "5.3.4"]);
});

Deno.test("parseMailParams refuses unknown parameters with 555 and parameters after HELO", () => {
  for (const r of [m([["FOO", "1"]]), m([["SIZE", "1"]], false)]) {
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual([r.reply.code, r.reply.enhanced], [555, "5.5.4"]);
  }
  const bad = m([["BODY", "9BIT"]]);
  assert.equal(!bad.ok && bad.reply.code, 501);
  const v = m([["SMTPUTF8", "yes"]]);
  assert.equal(!v.ok && v.reply.code, 501);
});

Deno.test("parseRcptParams validates NOTIFY and ORCPT (RFC 3461)", () => {
  const ok = parseRcptParams(new Map([["NOTIFY", "success,delay"], ["ORCPT", "rfc822;a+40b@c"]]), {
    esmtp: true,
  });
  assert.deepEqual(ok, { ok: true, value: { notify: ["SUCCESS", "DELAY"], orcpt: "rfc822;a+40b@c" } });
  for (const v of ["NEVER,SUCCESS", "SOMETIMES", "SUCCESS,SUCCESS"]) {
    const r = parseRcptParams(new Map([["NOTIFY", v]]), { esmtp: true });
    assert.equal(r.ok, false, v);
  }
  assert.equal(parseRcptParams(new Map([["ORCPT", "nosemicolon"]]), { esmtp: true }).ok, false);
});
