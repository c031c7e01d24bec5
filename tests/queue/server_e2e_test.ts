/**
 * The whole server: a remote recipient submitted over SMTP (nodemailer, authenticated) or over JMAP
 * (EmailSubmission/set) is queued and delivered by the server's own queue to a loopback MX whose
 * address comes from `[[queue.static_dns]]`.
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startTestServer } from "../support/server.ts";
import { startSink } from "./_sink.ts";

async function withRemoteSink(
  fn: (
    t: Awaited<ReturnType<typeof startTestServer>>,
    arrived: () => Promise<void>,
    sink: Awaited<ReturnType<typeof startSink>>,
  ) => Promise<void>,
) {
  let notify: () => void = () => {};
  let next = new Promise<void>((r) => (notify = r));
  const sink = await startSink({
    data: () => {
      notify();
      next = new Promise<void>((r) => (notify = r));
      return "accept";
    },
  });
  const t = await startTestServer({
    queue: { static_dns: [{ name: "remote.test", type: "A", value: sink.address }] },
  });
  try {
    await t.addUser("alice@example.org", "alice-pw");
    await fn(t, () => next, sink);
  } finally {
    await t.close();
    await sink.close();
  }
}

Deno.test("server e2e: SMTP submission to a remote domain is delivered by the queue", async () => {
  await withRemoteSink(async (t, arrived, sink) => {
    const waiting = arrived();
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.port("submission"),
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: "alice@example.org", pass: "alice-pw" },
    });
    const info = await transport.sendMail({
      from: "alice@example.org",
      to: "friend@remote.test",
      subject: "Outbound",
      text: "Hello from Tern",
    });
    transport.close();
    assert.deepEqual(info.accepted, ["friend@remote.test"]);
    await waiting;
    assert.equal(sink.messages.length, 1);
    const m = sink.messages[0]!;
    assert.equal(m.from, "alice@example.org");
    assert.deepEqual(m.rcpts.map((r) => r.address), ["friend@remote.test"]);
    const text = new TextDecoder().decode(m.data);
    assert.match(text, /^Received: from /m);
    assert.match(text, /^Subject: Outbound\r$/m);
    assert.match(text, /Hello from Tern/);
  });
});

Deno.test("server e2e: JMAP EmailSubmission to a remote domain is delivered by the queue", async () => {
  await withRemoteSink(async (t, arrived, sink) => {
    const base = `http://127.0.0.1:${t.port("http")}`;
    const auth = "Basic " + btoa("alice@example.org:alice-pw");
    const session = await (await fetch(`${base}/jmap/session`, { headers: { authorization: auth } })).json();
    const accountId = session.primaryAccounts["urn:ietf:params:jmap:mail"];
    const api = async (methodCalls: unknown[]) => {
      const res = await fetch(`${base}${new URL(session.apiUrl, base).pathname}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({
          using: [
            "urn:ietf:params:jmap:core",
            "urn:ietf:params:jmap:mail",
            "urn:ietf:params:jmap:submission",
          ],
          methodCalls,
        }),
      });
      return (await res.json()).methodResponses as [string, Record<string, unknown>, string][];
    };
    const [[, mailboxes]] = await api([["Mailbox/get", { accountId }, "m"]]) as [
      [string, { list: { id: string; role: string }[] }, string],
    ];
    const drafts = mailboxes.list.find((m) => m.role === "drafts")!.id;
    const [[, identities]] = await api([["Identity/get", { accountId }, "i"]]) as [
      [string, { list: { id: string }[] }, string],
    ];
    const waiting = arrived();
    const r = await api([
      ["Email/set", {
        accountId,
        create: {
          d: {
            mailboxIds: { [drafts]: true },
            keywords: { $draft: true },
            from: [{ email: "alice@example.org" }],
            to: [{ email: "bob@remote.test" }],
            subject: "Via JMAP",
            bodyValues: { b: { value: "Sent through EmailSubmission." } },
            textBody: [{ partId: "b", type: "text/plain" }],
          },
        },
      }, "0"],
      ["EmailSubmission/set", {
        accountId,
        create: { s: { identityId: identities.list[0]!.id, emailId: "#d" } },
      }, "1"],
    ]);
    assert.ok((r[1]![1].created as Record<string, unknown>)?.s, JSON.stringify(r[1]));
    await waiting;
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.rcpts.map((x) => x.address), ["bob@remote.test"]);
    assert.match(new TextDecoder().decode(sink.messages[0]!.data), /^Subject: Via JMAP\r$/m);
  });
});
