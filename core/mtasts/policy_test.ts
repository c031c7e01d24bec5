import assert from "node:assert/strict";
import fc from "fast-check";
import { mxMatches, parseStsPolicy, parseStsRecord } from "./policy.ts";

Deno.test("MTA-STS TXT record: v=STSv1 first, id of 1-32 alphanumerics (RFC 8461 §3.1)", () => {
  assert.equal(parseStsRecord("v=STSv1; id=20160831085700Z;"), "20160831085700Z");
  assert.equal(parseStsRecord("v=STSv1;id=abc; extra=1"), "abc");
  assert.equal(parseStsRecord("id=abc; v=STSv1"), null);
  assert.equal(parseStsRecord("v=STSv2; id=abc"), null);
  assert.equal(parseStsRecord("v=STSv1; id=has-dash"), null);
  assert.equal(parseStsRecord("v=STSv1; id=" + "a".repeat(33)), null);
});

Deno.test("MTA-STS policy file: the RFC 8461 §3.2 example and the rules on fields", () => {
  const example = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n" +
    "mx: backupmx.example.com\r\nmax_age: 604800\r\n";
  assert.deepEqual(parseStsPolicy(example), {
    mode: "enforce",
    mx: ["mail.example.com", "*.example.net", "backupmx.example.com"],
    maxAge: 604800,
  });
  assert.deepEqual(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 1\nfuture: x\n"), {
    mode: "none",
    mx: [],
    maxAge: 1,
  });
  assert.equal(parseStsPolicy("version: STSv1\nmode: enforce\nmax_age: 10\n"), null, "enforce without mx");
  assert.equal(parseStsPolicy("version: STSv1\nmode: strict\nmx: a\nmax_age: 10\n"), null);
  assert.equal(parseStsPolicy("version: STSv1\nmode: testing\nmx: a\nmax_age: 31557601\n"), null);
  assert.equal(parseStsPolicy("mode: testing\nmx: a\nmax_age: 10\n"), null, "no version");
  assert.equal(parseStsPolicy("<html>not a policy</html>"), null);
});

Deno.test("MTA-STS mx patterns: exact names, and a wildcard matching exactly one leftmost label (§4.1)", () => {
  const p = { mx: ["mail.example.com", "*.example.net"] };
  assert.ok(mxMatches(p, "MAIL.example.com."));
  assert.ok(mxMatches(p, "mx1.example.net"));
  assert.ok(!mxMatches(p, "example.net"));
  assert.ok(!mxMatches(p, "a.b.example.net"));
  assert.ok(!mxMatches(p, "mail.example.com.evil.test"));
});

Deno.test("MTA-STS policy parser: never throws on any text", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    const p = parseStsPolicy(s);
    if (p) assert.ok(p.maxAge <= 31557600);
  }));
});
