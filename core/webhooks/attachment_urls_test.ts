import assert from "node:assert/strict";
import { ATTACHMENT_PATH, AttachmentUrls } from "./attachment_urls.ts";

const key = new Uint8Array(32).fill(7);

function parts(url: string) {
  const u = new URL(url);
  const [account, email, part] = u.pathname.slice(ATTACHMENT_PATH.length + 1).split("/").map(
    decodeURIComponent,
  );
  return {
    account: account!,
    email: email!,
    part: part!,
    expires: u.searchParams.get("expires")!,
    sig: u.searchParams.get("sig")!,
  };
}

Deno.test("attachment URLs: valid until their expiry for exactly their part; altered, extended or foreign ones refused", () => {
  const urls = new AttachmentUrls(key, "https://mail.example.org/", 3_600_000);
  const now = new Date(Date.UTC(2026, 0, 1));
  const url = urls.url("a1", "m 1", "2.1", now);
  assert.ok(url.startsWith("https://mail.example.org/webhooks/attachments/a1/m%201/2.1?expires="));
  const p = parts(url);
  assert.equal(urls.check(p.account, p.email, p.part, p.expires, p.sig, now), true);
  assert.equal(
    urls.check(p.account, p.email, p.part, p.expires, p.sig, new Date(now.getTime() + 3_600_000)),
    true,
  );
  assert.equal(
    urls.check(p.account, p.email, p.part, p.expires, p.sig, new Date(now.getTime() + 3_601_000)),
    false,
  );
  assert.equal(urls.check(p.account, p.email, "2.2", p.expires, p.sig, now), false);
  assert.equal(urls.check("a2", p.email, p.part, p.expires, p.sig, now), false);
  assert.equal(urls.check(p.account, p.email, p.part, String(Number(p.expires) + 1000), p.sig, now), false);
  assert.equal(urls.check(p.account, p.email, p.part, p.expires, "x".repeat(43), now), false);
  assert.equal(urls.check(p.account, p.email, p.part, p.expires, "short", now), false);
  const other = new AttachmentUrls(new Uint8Array(32).fill(8), "https://mail.example.org", 3_600_000);
  assert.equal(other.check(p.account, p.email, p.part, p.expires, p.sig, now), false);
});
