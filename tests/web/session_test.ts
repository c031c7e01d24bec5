/**
 * The web UI's cookie and CSRF helpers (protocols/web/session.ts): pure functions, any input.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CsrfTokens,
  decodeTokens,
  encodeTokens,
  isLoopbackHost,
  readCookie,
  sameOriginRequest,
} from "../../protocols/web/session.ts";

Deno.test("web session: login tokens round-trip through the cookie value; any other cookie value decodes to null, never throws", () => {
  const token = fc.string({ minLength: 1, maxLength: 300 });
  fc.assert(fc.property(token, token, token, (accessToken, refreshToken, sessionId) => {
    const t = { accessToken, refreshToken, sessionId };
    const v = encodeTokens(t);
    assert.match(v, /^[A-Za-z0-9_-]+$/, "only cookie-octets");
    assert.deepEqual(decodeTokens(v), t);
  }));
  fc.assert(fc.property(fc.string({ maxLength: 5000 }), (s) => {
    const out = decodeTokens(s);
    assert.ok(out === null || typeof out.accessToken === "string");
  }));
  assert.equal(
    decodeTokens(encodeTokens({ accessToken: "a", refreshToken: "b", sessionId: "c" }).slice(0, -2)),
    null,
  );
  assert.equal(decodeTokens("W10"), null); // []
});

Deno.test("web session: readCookie finds one cookie by exact name and ignores oversized values", () => {
  assert.equal(readCookie("a=1; tern_web=xyz; b=2", "tern_web"), "xyz");
  assert.equal(readCookie("xtern_web=1", "tern_web"), undefined);
  assert.equal(readCookie(`tern_web=${"a".repeat(5000)}`, "tern_web"), undefined);
  assert.equal(readCookie(undefined, "tern_web"), undefined);
});

Deno.test("web session: a CSRF token fits only its own session", async () => {
  const csrf = new CsrfTokens();
  const t = await csrf.tokenFor("session-1");
  assert.ok(await csrf.check("session-1", t));
  assert.ok(!(await csrf.check("session-2", t)));
  assert.ok(!(await csrf.check("session-1", undefined)));
  assert.ok(!(await csrf.check("session-1", t.slice(1))));
  // Another process (another key) does not accept it either.
  assert.ok(!(await new CsrfTokens().check("session-1", t)));
});

Deno.test("web session: cross-site and opaque-origin posts are refused, same-origin ones allowed", () => {
  const h = (o: Record<string, string>) => new Headers({ host: "mail.example.com", ...o });
  const url = "http://mail.example.com/account/tokens";
  assert.ok(
    sameOriginRequest(h({ origin: "https://mail.example.com", "sec-fetch-site": "same-origin" }), url),
  );
  assert.ok(sameOriginRequest(h({}), url));
  assert.ok(!sameOriginRequest(h({ origin: "https://evil.example" }), url));
  assert.ok(!sameOriginRequest(h({ origin: "null" }), url));
  assert.ok(!sameOriginRequest(h({ "sec-fetch-site": "cross-site" }), url));
  assert.ok(!sameOriginRequest(h({ "sec-fetch-site": "same-site" }), url));
  assert.ok(!sameOriginRequest(h({ origin: "https://mail.example.com.evil.example" }), url));
});

Deno.test("web session: loopback Host names", () => {
  for (const host of ["127.0.0.1", "127.0.0.1:8080", "[::1]:80", "localhost:3000", "LOCALHOST"]) {
    assert.ok(isLoopbackHost(host), host);
  }
  for (
    const host of ["mail.example.com", "128.0.0.1", "[::2]", "localhost.example.com", "", "127.0.0.1:99999x"]
  ) {
    assert.ok(!isLoopbackHost(host), host);
  }
  assert.ok(!isLoopbackHost(undefined));
});
