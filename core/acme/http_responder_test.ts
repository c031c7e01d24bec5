import assert from "node:assert/strict";
import { respond } from "./http_responder.ts";
import { AcmeChallenges } from "./challenges.ts";

Deno.test("the port-80 responder answers pending tokens, redirects the rest to HTTPS, refuses other methods", () => {
  const c = new AcmeChallenges();
  c.addHttp("tok", "tok.thumbprint");
  assert.deepEqual(
    respond(c, "GET", "/.well-known/acme-challenge/tok", "mail.example.test").body,
    "tok.thumbprint",
  );
  assert.equal(respond(c, "GET", "/.well-known/acme-challenge/other", "mail.example.test").status, 404);
  c.removeHttp("tok");
  assert.equal(respond(c, "GET", "/.well-known/acme-challenge/tok", "mail.example.test").status, 404);
  assert.deepEqual(
    respond(c, "HEAD", "/a?b=c", "Mail.Example.test:80").headers.location,
    "https://Mail.Example.test/a?b=c",
  );
  assert.equal(
    respond(c, "GET", "/x", "mail.example.test", 8443).headers.location,
    "https://mail.example.test:8443/x",
  );
  assert.equal(respond(c, "POST", "/x", "mail.example.test").status, 405);
  // A Host that is not a name cannot steer the redirect anywhere.
  assert.equal(respond(c, "GET", "/x", "evil.example/@other").status, 400);
  assert.equal(respond(c, "GET", "/x", undefined).status, 400);
  assert.equal(respond(c, "GET", "http://other/x", "mail.example.test").status, 400);
});
