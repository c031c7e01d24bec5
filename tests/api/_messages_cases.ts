/**
 * Cases registered by tests/api/api_test.ts. The admin API's message routes through the real
 * server, on a message nodemailer composed and delivered over SMTP: list and get with header
 * fields, text and sanitised HTML (the script, the event handler, the form, the javascript: link
 * and the remote image are gone; the message's own cid: image stays), remote images only when
 * asked, attachment downloads with `Content-Disposition: attachment` and `X-Content-Type-Options:
 * nosniff`, and the reach rules (another member gets 404, a platform admin may read and is
 * audited).
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { type ApiTestServer, login, startApiServer } from "./_server.ts";

const PDF = new TextEncoder().encode("%PDF-1.4\n% not really a PDF, but bytes to compare\n");
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

const HTML = `<html><head><style>body{background:url(https://tracker.example/bg.png)}</style>
<script>alert("x")</script></head><body>
<p onclick="steal()" style="color: red">Hello <b>support</b></p>
<img src="https://tracker.example/pixel.gif" alt="pixel">
<img src="cid:logo@tern.test" alt="logo">
<a href="javascript:alert(1)">click</a> <a href="https://example.org/doc">doc</a>
<form action="https://evil.example/post"><input name="password"></form>
<iframe src="https://evil.example/"></iframe>
</body></html>`;

async function deliver(t: ApiTestServer): Promise<void> {
  const smtp = nodemailer.createTransport({
    host: "127.0.0.1",
    port: t.srv.addresses.smtp.port,
    secure: false,
    tls: { rejectUnauthorized: false },
  });
  await smtp.sendMail({
    from: "Sender <sender@remote.test>",
    to: "alice@example.org",
    subject: "Invoice für März",
    text: "Hello support, the plain version.",
    html: HTML,
    attachments: [
      { filename: "report.pdf", content: Buffer.from(PDF), contentType: "application/pdf" },
      { filename: "page.html", content: "<script>alert(1)</script>", contentType: "text/html" },
      { filename: "logo.png", content: Buffer.from(PNG), cid: "logo@tern.test", contentType: "image/png" },
    ],
  });
  smtp.close();
}

Deno.test("api messages: list and get with headers, text and sanitised HTML; downloads are attachments", async () => {
  const t = await startApiServer();
  try {
    await deliver(t);
    const alice = t.accounts["alice@example.org"]!.id;
    const token = (await login(t, "alice@example.org")).accessToken;

    const list = await t.call("GET", `/messages/${alice}`, { token });
    assert.equal(list.status, 200);
    const page = await list.json();
    assert.equal(page.items.length, 1);
    assert.equal(page.nextCursor, null);
    const item = page.items[0];
    assert.equal(item.subject, "Invoice für März");
    assert.deepEqual(item.from, [{ name: "Sender", email: "sender@remote.test" }]);
    assert.equal(item.hasAttachment, true);

    const res = await t.call("GET", `/messages/${alice}/${item.id}`, { token });
    assert.equal(res.status, 200);
    const m = await res.json();
    assert.ok(
      m.headers.some((h: { name: string; value: string }) =>
        h.name === "Subject" && h.value === "Invoice für März"
      ),
    );
    assert.equal(m.text.trim(), "Hello support, the plain version.");
    const html: string = m.html;
    assert.match(html, /Hello <b>support<\/b>/);
    for (
      const bad of [
        /<script/i,
        /alert/,
        /onclick/i,
        /steal/,
        /tracker\.example/,
        /javascript:/i,
        /<form/i,
        /<input/i,
        /<iframe/i,
        /<style/i,
        /evil\.example/,
      ]
    ) {
      assert.doesNotMatch(html, bad);
    }
    assert.match(html, /<img [^>]*src="cid:logo@tern\.test"/);
    assert.match(html, /href="https:\/\/example\.org\/doc"/);
    assert.equal(m.truncated, false);
    const byName = Object.fromEntries(m.attachments.map((a: { name: string }) => [a.name, a]));
    assert.deepEqual(Object.keys(byName).sort(), ["logo.png", "page.html", "report.pdf"]);
    assert.equal(byName["report.pdf"].type, "application/pdf");
    assert.equal(byName["report.pdf"].size, PDF.length);
    assert.equal(byName["logo.png"].contentId, "logo@tern.test");

    const withImages =
      await (await t.call("GET", `/messages/${alice}/${item.id}?remoteImages=true`, { token }))
        .json();
    assert.match(withImages.html, /<img [^>]*src="https:\/\/tracker\.example\/pixel\.gif"/);
    assert.doesNotMatch(withImages.html, /<script|onclick/i);

    const pdf = await t.call("GET", byName["report.pdf"].downloadPath, { token });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get("content-type"), "application/pdf");
    assert.equal(
      pdf.headers.get("content-disposition"),
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    assert.equal(pdf.headers.get("x-content-type-options"), "nosniff");
    assert.deepEqual(new Uint8Array(await pdf.arrayBuffer()), PDF);

    // An HTML attachment is still only a download, sandboxed if opened anyway.
    const page2 = await t.call("GET", byName["page.html"].downloadPath, { token });
    assert.equal(page2.status, 200);
    assert.match(page2.headers.get("content-disposition") ?? "", /^attachment;/);
    assert.equal(page2.headers.get("x-content-type-options"), "nosniff");
    assert.match(page2.headers.get("content-security-policy") ?? "", /sandbox/);
    assert.equal(await page2.text(), "<script>alert(1)</script>");

    assert.equal((await t.call("GET", `/messages/${alice}/${item.id}/attachments/9`, { token })).status, 404);
    assert.equal(
      (await t.call("GET", `/messages/${alice}/${item.id}/attachments/x..1`, { token })).status,
      400,
    );
    assert.equal((await t.call("GET", `/messages/${alice}/no-such-message`, { token })).status, 404);
    assert.equal(
      (await t.call("GET", `/messages/${alice}/${item.id}?remoteImages=maybe`, { token })).status,
      400,
    );
    assert.equal((await t.call("GET", `/messages/${alice}?cursor=bogus`, { token })).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("api messages: another member gets 404 (existence not leaked); a platform admin reads and is audited", async () => {
  const t = await startApiServer();
  try {
    await deliver(t);
    const alice = t.accounts["alice@example.org"]!.id;
    const bob = (await login(t, "bob@example.org")).accessToken;
    const root = (await login(t, "root@example.org")).accessToken;
    assert.equal((await t.call("GET", `/messages/${alice}`, { token: bob })).status, 404);
    assert.equal((await t.call("GET", `/messages/no-such-account`, { token: bob })).status, 404);
    assert.equal((await t.call("GET", `/messages/${alice}`)).status, 401);
    const page = await (await t.call("GET", `/messages/${alice}`, { token: root })).json();
    const id = page.items[0].id;
    assert.equal((await t.call("GET", `/messages/${alice}/${id}`, { token: bob })).status, 404);
    assert.equal((await t.call("GET", `/messages/${alice}/${id}/attachments/2`, { token: bob })).status, 404);
    assert.equal((await t.call("GET", `/messages/${alice}/${id}`, { token: root })).status, 200);
    const events = await t.srv.context.store.audit.list({ kind: "security", limit: 20 });
    assert.ok(
      events.some((e) =>
        e.action === "message.read" && e.target === `${alice}/${id}` && e.actor === "root@example.org"
      ),
    );
  } finally {
    await t.close();
  }
});

Deno.test("api messages: pages follow the cursor, newest first, without repeats", async () => {
  const t = await startApiServer();
  try {
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.srv.addresses.smtp.port,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    for (let i = 0; i < 5; i++) {
      await smtp.sendMail({ from: "s@remote.test", to: "alice@example.org", subject: `n${i}`, text: "x" });
    }
    smtp.close();
    const alice = t.accounts["alice@example.org"]!.id;
    const token = (await login(t, "alice@example.org")).accessToken;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await (await t.call("GET", `/messages/${alice}?limit=2${q}`, { token })).json();
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((m: { subject: string }) => m.subject));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ["n4", "n3", "n2", "n1", "n0"]);
  } finally {
    await t.close();
  }
});
