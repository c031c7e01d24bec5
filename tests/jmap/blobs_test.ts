import assert from "node:assert/strict";
import { jmapFixture, sampleMessage } from "./_fixture.ts";

Deno.test("upload, Email/import, Email/get bodyStructure and download round trip", async () => {
  const f = await jmapFixture();
  try {
    const raw = new TextEncoder().encode([
      "From: Carol <carol@example.net>",
      "To: alice@example.org, Friends: dan@example.net, Erin <erin@example.net>;",
      "Subject: =?UTF-8?Q?Caf=C3=A9?= report",
      "Date: Sat, 21 Nov 2026 10:00:00 +0100",
      "Message-ID: <m1@example.net>",
      "List-Unsubscribe: <mailto:leave@example.net>, <https://example.net/leave>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
      "",
      "--b1",
      'Content-Type: multipart/alternative; boundary="b2"',
      "",
      "--b2",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Caf=C3=A9 au lait",
      "--b2",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Café</p>",
      "--b2--",
      "--b1",
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0xLjQK",
      "--b1--",
      "",
    ].join("\r\n"));
    const up = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
      method: "POST",
      headers: { authorization: f.basic(), "content-type": "message/rfc822" },
      body: raw,
    });
    assert.equal(up.status, 201);
    const blob = await up.json();
    assert.equal(blob.size, raw.length);
    assert.equal(blob.type, "message/rfc822");
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const r = await f.api([
      ["Email/import", {
        accountId: f.alice.id,
        emails: { e: { blobId: blob.blobId, mailboxIds: { [inbox!.id]: true }, keywords: { $seen: true } } },
      }, "0"],
      ["Email/get", {
        accountId: f.alice.id,
        ids: ["#e"],
        properties: [
          "bodyStructure",
          "textBody",
          "htmlBody",
          "attachments",
          "bodyValues",
          "subject",
          "header:To:asGroupedAddresses",
          "header:To:asAddresses",
          "header:Subject:asText",
          "header:Subject",
          "header:Date:asDate",
          "header:Message-ID:asMessageIds",
          "header:List-Unsubscribe:asURLs",
          "header:X-Missing:all",
          "sentAt",
          "hasAttachment",
          "keywords",
        ],
        fetchAllBodyValues: true,
        maxBodyValueBytes: 4,
      }, "1"],
    ]);
    const imported = r.methodResponses[0]![1];
    assert.ok(imported.created, JSON.stringify(imported));
    const e = (r.methodResponses[1]![1].list as Record<string, unknown>[])[0]!;
    assert.equal(e.subject, "Café report");
    assert.equal(e["header:Subject:asText"], "Café report");
    assert.equal(e["header:Subject"], " =?UTF-8?Q?Caf=C3=A9?= report");
    assert.deepEqual(e["header:To:asGroupedAddresses"], [
      { name: null, addresses: [{ name: null, email: "alice@example.org" }] },
      {
        name: "Friends",
        addresses: [{ name: null, email: "dan@example.net" }, { name: "Erin", email: "erin@example.net" }],
      },
    ]);
    assert.equal((e["header:To:asAddresses"] as unknown[]).length, 3);
    assert.equal(e["header:Date:asDate"], "2026-11-21T10:00:00+01:00");
    assert.deepEqual(e["header:Message-ID:asMessageIds"], ["m1@example.net"]);
    assert.deepEqual(e["header:List-Unsubscribe:asURLs"], [
      "mailto:leave@example.net",
      "https://example.net/leave",
    ]);
    assert.deepEqual(e["header:X-Missing:all"], []);
    assert.equal(e.sentAt, "2026-11-21T10:00:00+01:00");
    assert.deepEqual(e.keywords, { $seen: true });
    const bs = e.bodyStructure as { type: string; subParts: { type: string; subParts?: unknown[] }[] };
    assert.equal(bs.type, "multipart/mixed");
    assert.equal(bs.subParts[0]!.type, "multipart/alternative");
    assert.equal(bs.subParts[1]!.type, "application/pdf");
    const text = e.textBody as { partId: string; type: string }[];
    const html = e.htmlBody as { partId: string; type: string }[];
    const att = e.attachments as { name: string; blobId: string; size: number; type: string }[];
    assert.deepEqual(text.map((p) => p.type), ["text/plain"]);
    assert.deepEqual(html.map((p) => p.type), ["text/html"]);
    assert.deepEqual(att.map((p) => p.name), ["report.pdf"]);
    assert.equal(att[0]!.size, 9);
    const values = e.bodyValues as Record<string, { value: string; isTruncated: boolean }>;
    assert.deepEqual(values[text[0]!.partId], { value: "Caf", isEncodingProblem: false, isTruncated: true });

    // Download the attachment (decoded) and the whole message.
    const dl = await f.fetch(
      `/jmap/download/${f.alice.id}/${att[0]!.blobId}/${
        encodeURIComponent("rapport é.pdf")
      }?accept=application/pdf`,
      { headers: { authorization: f.basic() } },
    );
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get("content-type"), "application/pdf");
    assert.match(dl.headers.get("content-disposition") ?? "", /filename\*=UTF-8''rapport%20%C3%A9\.pdf/);
    assert.equal(new TextDecoder().decode(await dl.arrayBuffer()), "%PDF-1.4\n");
    const created = (imported.created as Record<string, { blobId: string }>).e!;
    const whole = await f.fetch(
      `/jmap/download/${f.alice.id}/${created.blobId}/m.eml?accept=message/rfc822`,
      {
        headers: { authorization: f.basic() },
      },
    );
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), raw);
    // Bob cannot download Alice's blobs, even with his own account id.
    const other = await f.fetch(`/jmap/download/${f.bob.id}/${created.blobId}/m.eml?accept=message/rfc822`, {
      headers: { authorization: f.basic(f.bob) },
    });
    assert.equal(other.status, 404);
    await other.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("upload over maxSizeUpload is refused with a limit problem", async () => {
  const f = await jmapFixture({ jmap: { max_size_upload: 10 } });
  try {
    const res = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
      method: "POST",
      headers: { authorization: f.basic() },
      body: sampleMessage(),
    });
    assert.equal(res.status, 413);
    const p = await res.json();
    assert.equal(p.type, "urn:ietf:params:jmap:error:limit");
    assert.equal(p.limit, "maxSizeUpload");
  } finally {
    await f.close();
  }
});

Deno.test("Email/parse describes an uploaded message without storing it", async () => {
  const f = await jmapFixture();
  try {
    const up = await (await f.fetch(`/jmap/upload/${f.alice.id}/`, {
      method: "POST",
      headers: { authorization: f.basic() },
      body: sampleMessage({ subject: "Parsed" }),
    })).json();
    const r = await f.api([["Email/parse", { accountId: f.alice.id, blobIds: [up.blobId, "Unope"] }, "0"]]);
    const res = r.methodResponses[0]![1];
    assert.equal((res.parsed as Record<string, { subject: string }>)[up.blobId]!.subject, "Parsed");
    assert.deepEqual(res.notFound, ["Unope"]);
  } finally {
    await f.close();
  }
});
