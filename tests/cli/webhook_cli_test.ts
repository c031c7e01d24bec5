/**
 * `tern webhook …` run in-process through the CLI runner on a temporary data directory, with a
 * loopback receiver: add prints the secret once, list shows the scope and events, test sends a
 * signed event through the SSRF guard (refused without `[outbound_http] allow_private`), log and
 * replay, delete.
 */
import assert from "node:assert/strict";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";
import { Receiver } from "../webhooks/_receiver.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

async function tern(dir: string, args: string[], config: string, stdin?: string) {
  const io = new MemoryIo({ stdin, env: {} });
  const code = await runCli([...args, "--config", config, "--data-dir", `${dir}/data`], io, {
    version: "test",
  });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

Deno.test("tern webhook add/list/test/log/replay/delete manage webhooks; test goes through the SSRF guard", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-webhook-cli-" });
  const r = new Receiver();
  try {
    const open = `${dir}/open.toml`;
    const strict = `${dir}/strict.toml`;
    await Deno.writeTextFile(open, `[outbound_http]\nallow_private = ["127.0.0.0/8"]\n`);
    await Deno.writeTextFile(strict, `hostname = "mail.example.org"\n`);
    const ok = async (args: string[], config = open, stdin?: string) => {
      const res = await tern(dir, args, config, stdin);
      assert.equal(res.code, 0, `tern ${args.join(" ")}: ${res.stderr}`);
      return res.stdout;
    };
    await ok(["domain", "add", "example.org"]);
    const added = JSON.parse(
      await ok([
        "webhook",
        "add",
        "address:ada@example.org",
        r.url(),
        "--events",
        "message.received,quota.warning",
        "--json",
      ]),
    );
    assert.match(added.id, /^wh_/);
    assert.match(added.secret, /^whsec_/);
    assert.deepEqual(added.events, ["message.received", "quota.warning"]);
    r.secret = added.secret;
    // The secret is not listed again.
    const listed = JSON.parse(await ok(["webhook", "list", "--json"]));
    assert.deepEqual(listed.map((w: { id: string; scope: string }) => [w.id, w.scope]), [[
      added.id,
      "address:ada@example.org",
    ]]);
    assert.ok(!JSON.stringify(listed).includes(added.secret));
    // Bad input: a usage error (exit 2), not a stored webhook.
    assert.equal((await tern(dir, ["webhook", "add", "address:x@example.org", "ftp://x/"], open)).code, 2);
    assert.equal((await tern(dir, ["webhook", "add", "domain:other.example", r.url()], open)).code, 1);
    assert.equal(
      (await tern(dir, ["webhook", "add", "address:ada@example.org", r.url(), "--events", "nope"], open))
        .code,
      2,
    );
    // test: a signed webhook.test that the receiver verifies with node:crypto.
    assert.match(await ok(["webhook", "test", added.id]), /HTTP 200/);
    const [req] = await r.waitFor(1);
    assert.equal(req!.json.type, "webhook.test");
    assert.equal(req!.verified, true);
    // Without the allow-list the loopback receiver is refused and nothing is sent.
    const refused = await tern(dir, ["webhook", "test", added.id], strict);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /loopback/);
    assert.equal(r.requests.length, 1);
    // log and replay of a failed delivery.
    const store = await SqliteStore.open({ dataDir: `${dir}/data` });
    try {
      await store.webhooks.enqueue([{
        id: "msg_failed1",
        webhookId: added.id,
        event: "quota.warning",
        accountId: null,
        messageId: null,
        data: "{}",
        createdAt: new Date(1000),
        expiresAt: new Date(2000),
      }]);
      await store.webhooks.recordAttempt(
        {
          deliveryId: "msg_failed1",
          attempt: 1,
          at: new Date(1500),
          statusCode: 500,
          latencyMs: 9,
          error: "HTTP 500",
        },
        { status: "failed" },
      );
    } finally {
      await store.close();
    }
    const log = JSON.parse(await ok(["webhook", "log", added.id, "--status", "failed", "--json"]));
    assert.deepEqual(log.map((d: { id: string; lastStatusCode: number }) => [d.id, d.lastStatusCode]), [[
      "msg_failed1",
      500,
    ]]);
    assert.match(await ok(["webhook", "replay", "msg_failed1"]), /pending again/);
    assert.deepEqual(
      JSON.parse(await ok(["webhook", "log", added.id, "--status", "pending", "--json"])).length,
      1,
    );
    assert.equal((await tern(dir, ["webhook", "replay", "msg_nope"], open)).code, 1);
    assert.match(await ok(["webhook", "delete", added.id]), /Deleted/);
    assert.deepEqual(JSON.parse(await ok(["webhook", "list", "--json"])), []);
    assert.equal((await tern(dir, ["webhook", "delete", added.id], open)).code, 1);
  } finally {
    await r.close();
    await Deno.remove(dir, { recursive: true });
  }
});
