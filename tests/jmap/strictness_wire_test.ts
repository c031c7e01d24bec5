/**
 * RFC 8620/8621 strictness over the real HTTP listener: `using` must name every capability (core
 * included), Email/parse nulls and notParsable, Email/import SetErrors, Mailbox/set alreadyExists,
 * server-set properties, destroy rules, and body parts (subParts, charset, quoted display names).
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";

type Invocation = [string, Record<string, unknown>, string];
const CORE = "urn:ietf:params:jmap:core";
const MAIL = "urn:ietf:params:jmap:mail";

async function client(t: TestServer) {
  await t.addUser("alice@example.org", "alice-pw");
  const base = `http://127.0.0.1:${t.port("http")}`;
  const authorization = "Basic " + btoa("alice@example.org:alice-pw");
  const session = await (await fetch(`${base}/jmap/session`, { headers: { authorization } })).json();
  const accountId: string = session.primaryAccounts[MAIL];
  const post = async (body: unknown) => {
    const res = await fetch(`${base}/jmap/api`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return (await res.json()).methodResponses as Invocation[];
  };
  /** One method call; returns its response arguments (asserting the response name). */
  const call = async (name: string, args: Record<string, unknown>) => {
    const [r] = await post({ using: [CORE, MAIL], methodCalls: [[name, { accountId, ...args }, "0"]] });
    assert.equal(r![0], name, JSON.stringify(r));
    return r![1];
  };
  const upload = async (body: Uint8Array<ArrayBuffer> | string, type = "message/rfc822") => {
    const res = await fetch(`${base}/jmap/upload/${accountId}/`, {
      method: "POST",
      headers: { authorization, "content-type": type },
      body,
    });
    assert.equal(res.status, 201);
    return (await res.json()).blobId as string;
  };
  const mailboxes = (await call("Mailbox/get", {})).list as { id: string; role: string | null }[];
  const inbox = mailboxes.find((m) => m.role === "inbox")!.id;
  return { accountId, post, call, upload, inbox };
}

const BINARY = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0x01, 0x02, 0xff, 0xfe, 0x0a]);
const MESSAGE = "From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: Hello\r\n\r\nHi.\r\n";

Deno.test("JMAP strictness over the wire (RFC 8620 §3.3, §5.3; RFC 8621 §2.5, §4.1.4, §4.6, §4.8, §4.9)", async (t) => {
  const server = await startTestServer();
  try {
    const c = await client(server);

    await t.step("an empty using runs no method: every call is unknownMethod (RFC 8620 §3.3)", async () => {
      const r = await c.post({ using: [], methodCalls: [["Core/echo", { hello: true }, "e"]] });
      assert.deepEqual(r.map(([name, args, id]) => [name, args.type, id]), [["error", "unknownMethod", "e"]]);
      const ok = await c.post({ using: [CORE], methodCalls: [["Core/echo", { hello: true }, "e"]] });
      assert.deepEqual(ok, [["Core/echo", { hello: true }, "e"]]);
    });

    await t.step(
      "Email/parse: id, mailboxIds, keywords, receivedAt null; a non-message is notParsable",
      async () => {
        const msg = await c.upload(MESSAGE);
        const bin = await c.upload(BINARY, "application/pdf");
        const r = await c.call("Email/parse", {
          blobIds: [msg, bin, "Gmissing"],
          properties: ["id", "mailboxIds", "keywords", "receivedAt", "subject"],
        });
        assert.deepEqual(r.parsed, {
          [msg]: { id: null, mailboxIds: null, keywords: null, receivedAt: null, subject: "Hello" },
        });
        assert.deepEqual(r.notParsable, [bin]);
        assert.deepEqual(r.notFound, ["Gmissing"]);
      },
    );

    await t.step(
      "Email/import: blobNotFound for a missing blob, invalidEmail for a non-message",
      async () => {
        const bin = await c.upload(BINARY, "application/pdf");
        const r = await c.call("Email/import", {
          emails: {
            gone: { blobId: "Gmissing", mailboxIds: { [c.inbox]: true } },
            bin: { blobId: bin, mailboxIds: { [c.inbox]: true } },
          },
        });
        const notCreated = r.notCreated as Record<string, { type: string; notFound?: string[] }>;
        assert.equal(notCreated.gone!.type, "blobNotFound");
        assert.deepEqual(notCreated.gone!.notFound, ["Gmissing"]);
        assert.equal(notCreated.bin!.type, "invalidEmail");
        assert.equal(r.created ?? null, null);
      },
    );

    await t.step(
      "Mailbox/set create: alreadyExists with existingId; server-set values only at their default",
      async () => {
        const first = await c.call("Mailbox/set", { create: { p: { name: "Projects" } } });
        const projects = (first.created as Record<string, { id: string }>).p!.id;
        const r = await c.call("Mailbox/set", {
          create: {
            dup: { name: "Projects" },
            inbox: { name: "INBOX" },
            counts: { name: "Counted", totalEmails: 5 },
            rights: { name: "Rights", myRights: { mayDelete: false } },
            defaults: {
              name: "Defaults",
              totalEmails: 0,
              unreadEmails: 0,
              totalThreads: 0,
              unreadThreads: 0,
            },
            child: { name: "Projects", parentId: projects },
          },
        });
        const notCreated = r.notCreated as Record<string, Record<string, unknown>>;
        assert.equal(notCreated.dup!.type, "alreadyExists");
        assert.equal(notCreated.dup!.existingId, projects);
        assert.equal(notCreated.inbox!.type, "alreadyExists");
        assert.equal(notCreated.inbox!.existingId, c.inbox);
        assert.deepEqual([notCreated.counts!.type, notCreated.counts!.properties], ["invalidProperties", [
          "totalEmails",
        ]]);
        assert.deepEqual([notCreated.rights!.type, notCreated.rights!.properties], ["invalidProperties", [
          "myRights",
        ]]);
        const created = r.created as Record<string, { id: string }>;
        assert.ok(created.defaults?.id, "default counts are accepted");
        assert.ok(created.child?.id, "the same name under another parent is no duplicate");
      },
    );

    await t.step("Mailbox/set destroy: mailboxHasChild, mailboxHasEmail, onDestroyRemoveEmails", async () => {
      const made = await c.call("Mailbox/set", {
        create: {
          parent: { name: "Parent" },
          kid: { name: "Kid", parentId: "#parent" },
          box: { name: "Box" },
        },
      });
      const ids = made.created as Record<string, { id: string }>;
      const box = ids.box!.id;
      const only = await c.upload("From: a@example.net\r\nSubject: only in Box\r\n\r\nx\r\n");
      const both = await c.upload("From: a@example.net\r\nSubject: in Box and Inbox\r\n\r\ny\r\n");
      const imported = await c.call("Email/import", {
        emails: {
          only: { blobId: only, mailboxIds: { [box]: true } },
          both: { blobId: both, mailboxIds: { [box]: true, [c.inbox]: true } },
        },
      });
      const emails = imported.created as Record<string, { id: string }>;
      const refused = await c.call("Mailbox/set", { destroy: [ids.parent!.id, box] });
      const notDestroyed = refused.notDestroyed as Record<string, { type: string }>;
      assert.equal(notDestroyed[ids.parent!.id]!.type, "mailboxHasChild");
      assert.equal(notDestroyed[box]!.type, "mailboxHasEmail");
      const removed = await c.call("Mailbox/set", { destroy: [box], onDestroyRemoveEmails: true });
      assert.deepEqual(removed.destroyed, [box]);
      const after = await c.call("Email/get", {
        ids: [emails.only!.id, emails.both!.id],
        properties: ["mailboxIds"],
      });
      // The email only in Box is destroyed; the other one just loses Box.
      assert.deepEqual(after.notFound, [emails.only!.id]);
      assert.deepEqual(after.list, [{ id: emails.both!.id, mailboxIds: { [c.inbox]: true } }]);
    });

    await t.step(
      "created body parts: subParts null on leaves, us-ascii for ASCII text, quoted display names",
      async () => {
        const r = await c.call("Email/set", {
          create: {
            e: {
              mailboxIds: { [c.inbox]: true },
              subject: "Parts",
              from: [{ name: "Doe, John", email: "john@example.org" }],
              to: [{ name: 'Ann "the boss" Lee', email: "ann@example.org" }, {
                name: "Plain Name",
                email: "p@example.org",
              }],
              bodyValues: { t: { value: "plain ascii text" }, h: { value: "<p>Grüße</p>" } },
              textBody: [{ partId: "t", type: "text/plain" }],
              htmlBody: [{ partId: "h", type: "text/html" }],
            },
          },
        });
        const id = (r.created as Record<string, { id: string }>).e!.id;
        const got = await c.call("Email/get", {
          ids: [id],
          properties: ["bodyStructure", "header:From:asRaw", "header:To:asRaw"],
          bodyProperties: ["partId", "type", "charset", "subParts"],
        });
        const email = (got.list as Record<string, unknown>[])[0]!;
        assert.deepEqual(email.bodyStructure, {
          partId: null,
          type: "multipart/alternative",
          charset: null,
          subParts: [
            { partId: "1", type: "text/plain", charset: "us-ascii", subParts: null },
            { partId: "2", type: "text/html", charset: "utf-8", subParts: null },
          ],
        });
        // RFC 5322 §3.4: a display name with specials is a quoted-string.
        assert.equal(email["header:From:asRaw"], ' "Doe, John" <john@example.org>');
        assert.equal(
          email["header:To:asRaw"],
          ' "Ann \\"the boss\\" Lee" <ann@example.org>, Plain Name <p@example.org>',
        );
      },
    );
  } finally {
    await server.close();
  }
});
