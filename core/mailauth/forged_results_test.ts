import assert from "node:assert/strict";
import { MessageSpool } from "../delivery/spool.ts";
import { authservId, headerEnd, stripForgedResults, withoutForgedResults } from "./forged_results.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("forged results: the authserv-id is the first token, quoted or not, comments skipped (RFC 8601 §2.2)", () => {
  assert.equal(authservId(" mx.test; spf=pass"), "mx.test");
  assert.equal(authservId(' (comment) "MX.Test" 1; dkim=pass'), "mx.test");
  assert.equal(authservId("\r\n\tmx.test;\r\n spf=fail"), "mx.test");
  assert.equal(authservId(" other.test; none"), "other.test");
});

Deno.test("forged results: only fields naming us go, folded lines with them; the rest is byte-identical", () => {
  const header = "Received: from a\r\n\tby b\r\nAuthentication-Results: mx.test;\r\n\tdkim=pass\r\n" +
    "authentication-results : other.test; spf=pass\r\nSubject: x\r\n\r\n";
  const out = stripForgedResults(enc.encode(header), "MX.TEST");
  assert.equal(
    dec.decode(out!),
    "Received: from a\r\n\tby b\r\nauthentication-results : other.test; spf=pass\r\nSubject: x\r\n\r\n",
  );
  assert.equal(stripForgedResults(enc.encode("Subject: x\r\n\r\n"), "mx.test"), null);
});

Deno.test("forged results: a spilled message streams the cleaned header then the untouched body", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-forged-" });
  const body = "line\r\n".repeat(5000);
  const raw = enc.encode(`Authentication-Results: mx.test; dmarc=pass\r\nSubject: s\r\n\r\n${body}`);
  const spool = new MessageSpool({ dataDir: dir, threshold: 0, maxSize: raw.length + 1 });
  try {
    await spool.append(raw);
    assert.ok(spool.spilled);
    const cleaned = withoutForgedResults(spool, "mx.test");
    const expected = `Subject: s\r\n\r\n${body}`;
    assert.equal(cleaned.bytes(), null);
    assert.equal(cleaned.size, expected.length);
    assert.equal(await new Response(await cleaned.stream()).text(), expected);
    assert.ok(dec.decode(cleaned.head()).startsWith("Subject: s\r\n\r\nline\r\n"));
  } finally {
    await spool.discard();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("headerEnd: just past the empty line that ends the header section, which may be the first line", () => {
  const at = (s: string) => headerEnd(new TextEncoder().encode(s));
  assert.equal(at("A: 1\r\nB: 2\r\n\r\nbody"), 14);
  assert.equal(at("A: 1\n\nbody"), 6);
  assert.equal(at("A: 1\r\n\r\n"), 8);
  assert.equal(at("\r\nA: 1\r\n\r\nbody"), 2); // RFC 5322 §2.1: no header fields at all
  assert.equal(at("\nA: 1\n\nbody"), 1);
  assert.equal(at("A: 1\r\nB: 2\r\n"), -1);
  assert.equal(at(""), -1);
});
