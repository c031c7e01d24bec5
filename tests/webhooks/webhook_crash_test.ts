/**
 * At-least-once across a crash: a server killed with SIGKILL while a webhook request is in flight
 * (the receiver has it but has not answered) sends it again after a restart, with the same
 * `webhook-id`, and records it delivered. The outbox row was committed with the message, before
 * SMTP's 250, so nothing acknowledged loses its webhook.
 *
 * @module
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { addWebhook } from "../../core/webhooks/operations.ts";
import { Receiver } from "./_receiver.ts";

const OVERRIDES = {
  local_domains: ["example.org"],
  outbound_http: { allow_private: ["127.0.0.0/8"] },
  webhooks: { retry_base: 1, retry_max: 1, poll_interval: 1 },
  shutdown_grace: 5,
};

function startChild(dataDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      new URL("./_webhook_child.ts", import.meta.url).pathname,
      dataDir,
      JSON.stringify(OVERRIDES),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const port = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("child exited before listening");
      buffered += value;
    }
    reader.releaseLock();
    return (JSON.parse(buffered.split("\n")[0]!) as { smtp: number }).smtp;
  })();
  return { child, port };
}

Deno.test("a server killed mid-delivery resends the webhook after restart (same webhook-id), then records it delivered", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-webhook-crash-" });
  let release: (r: Response) => void = () => {};
  const held = new Promise<Response>((resolve) => (release = resolve));
  // The first request is never answered while the first server lives; later ones get 200.
  const r = new Receiver((n) => n === 0 ? held : new Response("ok"));
  try {
    const store = await SqliteStore.open({ dataDir });
    let hookId: string;
    try {
      await store.addDomain("example.org");
      await store.createAccount({ address: "ada@example.org", secrets: { passwordHash: "x" } });
      const hook = await addWebhook(store, { scope: "address:ada@example.org", url: r.url() }, new Date());
      r.secret = hook.secret;
      hookId = hook.id;
    } finally {
      await store.close();
    }

    const first = startChild(dataDir);
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: await first.port,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      from: "sender@remote.example",
      to: "ada@example.org",
      subject: "crash",
      text: "body",
    });
    transport.close();
    assert.match(info.response, /^250/);
    const [inFlight] = await r.waitFor(1);
    first.child.kill("SIGKILL");
    await first.child.status;
    await first.child.stdout.cancel().catch(() => {});

    const second = startChild(dataDir);
    await second.port;
    const reqs = await r.waitFor(2);
    assert.equal(reqs[1]!.id, inFlight!.id, "the same webhook-id after the restart");
    assert.ok(reqs.every((q) => q.verified));
    assert.equal(reqs[1]!.body, inFlight!.body);
    second.child.kill("SIGTERM");
    assert.equal((await second.child.status).code, 0);
    await second.child.stdout.cancel().catch(() => {});

    const after = await SqliteStore.open({ dataDir });
    try {
      const [d] = await after.webhooks.deliveries(hookId);
      assert.deepEqual([d!.id, d!.status, d!.lastStatusCode], [inFlight!.id, "delivered", 200]);
    } finally {
      await after.close();
    }
  } finally {
    release(new Response("late"));
    await r.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
