/**
 * JMAP request limits (RFC 8620 §2 capabilities, §3.6.1 request-level errors), each on both sides:
 * maxCallsInRequest, maxObjectsInGet and maxObjectsInSet (requestTooLarge), maxSizeRequest and
 * maxSizeUpload (the `limit` problem), with the advertised values checked against the config; the
 * server serves normal clients afterwards.
 */
import assert from "node:assert/strict";
import { type AttackEnv, startAttackEnv } from "./_env.ts";

const LIMITS = {
  jmap: {
    max_calls_in_request: 3,
    max_objects_in_get: 5,
    max_objects_in_set: 5,
    max_size_request: 3000,
    max_size_upload: 1000,
  },
};
const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

async function setup(): Promise<{ env: AttackEnv; accountId: string; core: Record<string, unknown> }> {
  const env = await startAttackEnv(LIMITS);
  const r = await fetch(`${env.http}/jmap/session`, { headers: { authorization: env.basic("alice") } });
  const s = await r.json() as {
    primaryAccounts: Record<string, string>;
    capabilities: Record<string, Record<string, unknown>>;
  };
  return {
    env,
    accountId: s.primaryAccounts["urn:ietf:params:jmap:mail"]!,
    core: s.capabilities["urn:ietf:params:jmap:core"]!,
  };
}

async function post(
  env: AttackEnv,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${env.http}/jmap/api`, {
    method: "POST",
    headers: { authorization: env.basic("alice"), "content-type": "application/json" },
    body,
  });
  return { status: r.status, json: await r.json() };
}

const request = (calls: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ using: USING, methodCalls: calls, ...extra });

Deno.test("JMAP limits are advertised as configured", async () => {
  const { env, core } = await setup();
  try {
    assert.equal(core.maxCallsInRequest, 3);
    assert.equal(core.maxObjectsInGet, 5);
    assert.equal(core.maxObjectsInSet, 5);
    assert.equal(core.maxSizeRequest, 3000);
    assert.equal(core.maxSizeUpload, 1000);
  } finally {
    await env.close();
  }
});

Deno.test("JMAP maxCallsInRequest: 3 calls are served, 4 are a 400 limit problem", async () => {
  const { env } = await setup();
  try {
    const calls = (n: number) => Array.from({ length: n }, (_, i) => ["Core/echo", { i }, String(i)]);
    const ok = await post(env, request(calls(3)));
    assert.equal(ok.status, 200);
    assert.equal((ok.json.methodResponses as unknown[]).length, 3);
    const over = await post(env, request(calls(4)));
    assert.equal(over.status, 400);
    assert.equal(over.json.type, "urn:ietf:params:jmap:error:limit");
    assert.equal(over.json.limit, "maxCallsInRequest");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("JMAP maxObjectsInGet / maxObjectsInSet: 5 ids are served, 6 are requestTooLarge", async () => {
  const { env, accountId } = await setup();
  try {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `M${i}`);
    const { json } = await post(
      env,
      request([
        ["Email/get", { accountId, ids: ids(5), properties: ["id"] }, "g5"],
        ["Email/get", { accountId, ids: ids(6), properties: ["id"] }, "g6"],
        ["Email/set", { accountId, destroy: ids(5) }, "s5"],
      ]),
    );
    const [g5, g6, s5] = json.methodResponses as [string, Record<string, unknown>, string][];
    assert.equal(g5![0], "Email/get");
    assert.deepEqual(g5![1].notFound, ids(5));
    assert.deepEqual([g6![0], g6![1].type], ["error", "requestTooLarge"]);
    assert.equal(s5![0], "Email/set");
    assert.deepEqual(Object.keys(s5![1].notDestroyed as object), ids(5));
    const { json: over } = await post(env, request([["Email/set", { accountId, destroy: ids(6) }, "s6"]]));
    const [s6] = over.methodResponses as [string, Record<string, unknown>, string][];
    assert.deepEqual([s6![0], s6![1].type], ["error", "requestTooLarge"]);
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("JMAP maxSizeRequest: a 3000-octet request is served, 3001 octets is a 400 limit problem", async () => {
  const { env } = await setup();
  try {
    const sized = (n: number) => {
      const base = request([["Core/echo", {}, "0"]], { pad: "" });
      return request([["Core/echo", {}, "0"]], { pad: "p".repeat(n - base.length) });
    };
    assert.equal(sized(3000).length, 3000);
    assert.equal((await post(env, sized(3000))).status, 200);
    const over = await post(env, sized(3001));
    assert.equal(over.status, 400);
    assert.equal(over.json.limit, "maxSizeRequest");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("JMAP maxSizeUpload: 1000 octets upload (201), 1001 octets is a 413 limit problem", async () => {
  const { env, accountId } = await setup();
  try {
    const upload = (n: number) =>
      fetch(`${env.http}/jmap/upload/${accountId}/`, {
        method: "POST",
        headers: { authorization: env.basic("alice"), "content-type": "application/octet-stream" },
        body: new Uint8Array(n).fill(0x61),
      });
    const ok = await upload(1000);
    assert.equal(ok.status, 201);
    assert.equal((await ok.json()).size, 1000);
    const over = await upload(1001);
    assert.equal(over.status, 413);
    assert.equal((await over.json()).limit, "maxSizeUpload");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
