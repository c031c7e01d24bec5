import assert from "node:assert/strict";
import { addressToString, isNonAscii, parseCommand, type SmtpCommand } from "./command.ts";

const enc = new TextEncoder();
const parse = (s: string) => parseCommand(enc.encode(s));
function cmd(s: string): SmtpCommand {
  const r = parse(s);
  if (!r.ok) throw new Error(`expected ok for ${s}: ${r.reply.lines.join(" ")}`);
  return r.command;
}
function code(s: string): string {
  const r = parse(s);
  if (r.ok) throw new Error(`expected failure for ${s}`);
  return `${r.reply.code} ${r.reply.enhanced}`;
}

Deno.test("parseCommand verbs are case-insensitive", () => {
  assert.deepEqual(cmd("ehlo client.example"), { verb: "EHLO", domain: "client.example" });
  assert.deepEqual(cmd("QuIt"), { verb: "QUIT" });
  assert.deepEqual(cmd("noop"), { verb: "NOOP", arg: "" });
});

Deno.test("parseCommand HELO/EHLO accept domains and address literals", () => {
  assert.deepEqual(cmd("EHLO [192.0.2.1]"), { verb: "EHLO", domain: "[192.0.2.1]" });
  assert.deepEqual(cmd("EHLO [IPv6:2001:db8::1]"), { verb: "EHLO", domain: "[IPv6:2001:db8::1]" });
  assert.equal(code("EHLO"), "501 5.5.4");
  assert.equal(code("HELO a b"), "501 5.5.4");
  assert.equal(code("EHLO bad<host>"), "501 5.5.4");
  assert.deepEqual(cmd("EHLO DESKTOP_42"), { verb: "EHLO", domain: "DESKTOP_42" });
});

Deno.test("parseCommand LHLO takes a domain like EHLO (RFC 2033 §4.1)", () => {
  assert.deepEqual(cmd("lhlo mta.example"), { verb: "LHLO", domain: "mta.example" });
  assert.deepEqual(cmd("LHLO [127.0.0.1]"), { verb: "LHLO", domain: "[127.0.0.1]" });
  assert.equal(code("LHLO"), "501 5.5.4");
});

Deno.test("parseCommand MAIL parses the null reverse-path and parameters", () => {
  const c = cmd("MAIL FROM:<> SIZE=100 BODY=8BITMIME");
  assert.equal(c.verb, "MAIL");
  if (c.verb !== "MAIL") return;
  assert.equal(c.from, null);
  assert.deepEqual([...c.params], [["SIZE", "100"], ["BODY", "8BITMIME"]]);
  const d = cmd("mail from:<Alice@Example.ORG> smtputf8");
  if (d.verb !== "MAIL") throw new Error();
  assert.deepEqual(d.from, { local: "Alice", domain: "Example.ORG" });
  assert.deepEqual([...d.params], [["SMTPUTF8", null]]);
});

Deno.test("parseCommand MAIL tolerates a space after the colon and drops source routes", () => {
  const c = cmd("MAIL FROM: <@relay.example,@b.example:user@example.org>");
  if (c.verb !== "MAIL") throw new Error();
  assert.equal(addressToString(c.from!), "user@example.org");
});

Deno.test("parseCommand MAIL rejects bad syntax with 501 5.5.4", () => {
  assert.equal(code("MAIL FROM:user@example.org"), "501 5.5.4");
  assert.equal(code("MAIL TO:<a@b.c>"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@b.c>SIZE=1"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@@b.c>"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@b.c> SIZE=1 SIZE=2"), "501 5.5.4");
  assert.equal(code("MAIL FROM:<a@b.c> =x"), "501 5.5.4");
});

Deno.test("parseCommand RCPT accepts Postmaster, quoted local parts and UTF-8", () => {
  const p = cmd("RCPT TO:<Postmaster>");
  if (p.verb !== "RCPT") throw new Error();
  assert.deepEqual(p.to, { local: "Postmaster", domain: "" });
  const q = cmd('RCPT TO:<"john doe>x"@example.org> NOTIFY=SUCCESS,FAILURE');
  if (q.verb !== "RCPT") throw new Error();
  assert.equal(q.to.local, '"john doe>x"');
  assert.equal(q.params.get("NOTIFY"), "SUCCESS,FAILURE");
  const u = cmd("RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>");
  if (u.verb !== "RCPT") throw new Error();
  assert.ok(isNonAscii(u.to));
  assert.ok(!isNonAscii({ local: "a", domain: "b.c" }));
});

Deno.test("parseCommand AUTH handles initial responses and the = form", () => {
  assert.deepEqual(cmd("auth plain AGEAYg=="), { verb: "AUTH", mechanism: "PLAIN", initial: "AGEAYg==" });
  assert.deepEqual(cmd("AUTH PLAIN ="), { verb: "AUTH", mechanism: "PLAIN", initial: "=" });
  assert.deepEqual(cmd("AUTH SCRAM-SHA-256"), { verb: "AUTH", mechanism: "SCRAM-SHA-256", initial: null });
  assert.equal(code("AUTH PLAIN !!!"), "501 5.5.2");
  assert.equal(code("AUTH"), "501 5.5.4");
});

Deno.test("parseCommand BDAT reads size and LAST", () => {
  assert.deepEqual(cmd("BDAT 0 LAST"), { verb: "BDAT", size: 0, last: true });
  assert.deepEqual(cmd("bdat 1024"), { verb: "BDAT", size: 1024, last: false });
  assert.equal(code("BDAT x"), "501 5.5.4");
  assert.equal(code("BDAT 10 FIRST"), "501 5.5.4");
});

Deno.test("parseCommand unknown verbs give 500 5.5.2 and arguments to DATA give 501", () => {
  assert.equal(code("FOO bar"), "500 5.5.2");
  assert.equal(code(""), "500 5.5.2");
  assert.equal(code("DATA now"), "501 5.5.4");
  assert.equal(code("VRFY"), "501 5.5.4");
  assert.equal(parseCommand(new Uint8Array([0x4d, 0x41, 0x49, 0x4c, 0x20, 0xff])).ok, false);
});
