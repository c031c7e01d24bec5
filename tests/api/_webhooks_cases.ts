/**
 * Cases registered by tests/api/api_test.ts. Admin-API webhook routes through the real server and a
 * loopback receiver: a platform admin creates a webhook (secret shown once), lists, reads and tests
 * it; a delivered message shows up in the delivery log with its attempts and can be replayed (same
 * webhook-id); members are refused; bad scopes, non-local domains and unknown ids get their problem
 * statuses; delete.
 */
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { login, startApiServer } from "./_server.ts";
import { Receiver } from "../webhooks/_receiver.ts";
import { addOrganization, addPlan, setRole } from "../../core/tenancy/operations.ts";

Deno.test("api webhooks: create, list, get, test, delivery log with attempts, replay, delete; members refused", async () => {
  const r = new Receiver();
  const t = await startApiServer(undefined, {
    outbound_http: { allow_private: ["127.0.0.0/8"] },
    webhooks: { poll_interval: 1 },
  });
  try {
    const root = (await login(t, "root@example.org")).accessToken;
    const alice = (await login(t, "alice@example.org")).accessToken;
    // Members may not manage webhooks (the matrix: webhook needs organization reach).
    assert.equal((await t.call("GET", "/webhooks", { token: alice })).status, 403);
    // Bad input.
    const bad = await t.call("POST", "/webhooks", {
      token: root,
      json: { scope: "nonsense scope", url: r.url() },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const notLocal = await t.call("POST", "/webhooks", {
      token: root,
      json: { scope: "domain:elsewhere.example", url: r.url() },
    });
    assert.equal(notLocal.status, 422);
    await notLocal.body?.cancel();
    const ftp = await t.call("POST", "/webhooks", {
      token: root,
      json: { scope: "system", url: "ftp://x/" },
    });
    assert.equal(ftp.status, 400);
    await ftp.body?.cancel();

    const created = await t.call("POST", "/webhooks", {
      token: root,
      json: { scope: "address:bob@example.org", url: r.url(), events: ["message.received"] },
    });
    assert.equal(created.status, 201);
    const hook = await created.json();
    assert.match(hook.secret, /^whsec_/);
    r.secret = hook.secret;
    const got = await t.call("GET", `/webhooks/${hook.id}`, { token: root });
    assert.equal(got.status, 200);
    const view = await got.json();
    assert.equal(view.secret, undefined, "the secret is not shown again");
    assert.equal(view.scope, "address:bob@example.org");
    const list = await (await t.call("GET", "/webhooks", { token: root })).json();
    assert.deepEqual(list.items.map((w: { id: string }) => w.id), [hook.id]);
    const missing = await t.call("GET", "/webhooks/wh_nope", { token: root });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // Test send: signed, verified by the receiver with node:crypto.
    const tested = await (await t.call("POST", `/webhooks/${hook.id}/test`, { token: root })).json();
    assert.deepEqual([tested.ok, tested.statusCode], [true, 200]);
    const [testReq] = await r.waitFor(1);
    assert.deepEqual([testReq!.json.type, testReq!.verified], ["webhook.test", true]);

    // A message to bob: delivered to the webhook, then visible in the log with its attempt.
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.srv.addresses.smtp.port,
      ignoreTLS: true,
    });
    await transport.sendMail({
      from: "x@remote.example",
      to: "bob@example.org",
      subject: "api log",
      text: "hi",
    });
    transport.close();
    const [, delivered] = await r.waitFor(2);
    assert.equal(delivered!.json.type, "message.received");
    await t.srv.context.webhooks!.worker.stop();
    const log = await (await t.call("GET", `/webhooks/${hook.id}/deliveries`, { token: root })).json();
    assert.equal(log.items.length, 1);
    assert.deepEqual([log.items[0].id, log.items[0].status, log.items[0].lastStatusCode], [
      delivered!.id,
      "delivered",
      200,
    ]);
    const badStatus = await t.call("GET", `/webhooks/${hook.id}/deliveries?status=odd`, { token: root });
    assert.equal(badStatus.status, 400);
    await badStatus.body?.cancel();
    const detail =
      await (await t.call("GET", `/webhooks/${hook.id}/deliveries/${delivered!.id}`, { token: root }))
        .json();
    assert.deepEqual(detail.attempts_log.map((a: { statusCode: number }) => a.statusCode), [200]);
    const noDelivery = await t.call("GET", `/webhooks/${hook.id}/deliveries/msg_nope`, { token: root });
    assert.equal(noDelivery.status, 404);
    await noDelivery.body?.cancel();
    // Replay: pending again; the worker sends it with the same webhook-id.
    t.srv.context.webhooks!.worker.start();
    const replayed = await t.call("POST", `/webhooks/${hook.id}/deliveries/${delivered!.id}/replay`, {
      token: root,
    });
    assert.equal(replayed.status, 200);
    assert.equal((await replayed.json()).status, "pending");
    const [, , again] = await r.waitFor(3);
    assert.equal(again!.id, delivered!.id);
    const noReplay = await t.call("POST", `/webhooks/${hook.id}/deliveries/msg_nope/replay`, { token: root });
    assert.equal(noReplay.status, 404);
    await noReplay.body?.cancel();

    // Members see nothing of it; the platform admin deletes it.
    for (const [m, p] of [["GET", ""], ["DELETE", ""], ["POST", "/test"], ["GET", "/deliveries"]] as const) {
      const res = await t.call(m, `/webhooks/${hook.id}${p}`, { token: alice });
      assert.equal(res.status, 403, `${m} ${p}`);
      await res.body?.cancel();
    }
    const deleted = await t.call("DELETE", `/webhooks/${hook.id}`, { token: root });
    assert.equal(deleted.status, 204);
    const gone = await t.call("DELETE", `/webhooks/${hook.id}`, { token: root });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
    const noTest = await t.call("POST", `/webhooks/${hook.id}/test`, { token: root });
    assert.equal(noTest.status, 404);
    await noTest.body?.cancel();
    const noLog = await t.call("GET", `/webhooks/${hook.id}/deliveries/${delivered!.id}`, { token: root });
    assert.equal(noLog.status, 404);
    await noLog.body?.cancel();
    const unauth = await t.call("GET", "/webhooks");
    assert.equal(unauth.status, 401);
    await unauth.body?.cancel();
  } finally {
    await t.close();
    await r.close();
  }
});

Deno.test("api webhooks: another organization's scope is 404, a plan without webhooks or a member is 403; bad cursor 400, unknown webhook 404; nothing created", async () => {
  // "default" (example.org: alice a member, root the platform admin) and "acme" (acme.test: carol
  // its administrator) on a plan without the webhooks feature.
  const t = await startApiServer(["alice@example.org", "root@example.org", "carol@acme.test"]);
  try {
    const store = t.srv.context.store;
    await addPlan(store, { id: "nohooks", features: { webhooks: false } });
    await addOrganization(store, { id: "acme", plan: "nohooks", domains: ["acme.test"] });
    await setRole(store, "carol@acme.test", "admin");
    const root = (await login(t, "root@example.org")).accessToken;
    const alice = (await login(t, "alice@example.org")).accessToken;
    const carol = (await login(t, "carol@acme.test")).accessToken;
    const url = "https://hooks.example/in";

    const problem = async (res: Response, status: number, what: string) => {
      assert.equal(res.status, status, what);
      assert.equal(res.headers.get("content-type"), "application/problem+json", what);
      await res.body?.cancel();
    };
    // carol may not see example.org: the same answer as for something that does not exist.
    await problem(
      await t.call("POST", "/webhooks", { token: carol, json: { scope: "domain:example.org", url } }),
      404,
      "another organization's domain",
    );
    await problem(
      await t.call("POST", "/webhooks", { token: carol, json: { scope: "org:default", url } }),
      404,
      "another organization",
    );
    // Her own domain, but acme's plan has no webhooks.
    await problem(
      await t.call("POST", "/webhooks", { token: carol, json: { scope: "domain:acme.test", url } }),
      403,
      "plan without webhooks",
    );
    // A member may not add one for itself.
    await problem(
      await t.call("POST", "/webhooks", { token: alice, json: { scope: "address:alice@example.org", url } }),
      403,
      "member",
    );
    assert.deepEqual(await store.webhooks.list(), []);

    await problem(await t.call("GET", "/webhooks?cursor=not-a-cursor", { token: root }), 400, "bad cursor");
    await problem(await t.call("GET", "/webhooks/wh_nope/deliveries", { token: root }), 404, "unknown log");

    // A webhook of "default": its deliveries are refused to the member (403) before any lookup,
    // and out of carol's reach (404).
    const created = await t.call("POST", "/webhooks", {
      token: root,
      json: { scope: "address:alice@example.org", url },
    });
    assert.equal(created.status, 201);
    const { id } = await created.json();
    await problem(
      await t.call("GET", `/webhooks/${id}/deliveries/msg_nope`, { token: alice }),
      403,
      "member get",
    );
    await problem(
      await t.call("POST", `/webhooks/${id}/deliveries/msg_nope/replay`, { token: alice }),
      403,
      "member replay",
    );
    await problem(await t.call("GET", `/webhooks/${id}`, { token: carol }), 404, "carol get");
    await problem(await t.call("GET", `/webhooks/${id}/deliveries`, { token: carol }), 404, "carol log");
    assert.deepEqual((await store.webhooks.list()).map((w) => w.id), [id]);
  } finally {
    await t.close();
  }
});
