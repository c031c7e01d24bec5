/**
 * Defect 5 of the hardening issue: a JMAP request nested 10,000 levels deep made the server answer
 * HTTP 500 (RangeError: Maximum call stack size exceeded) and log an error. The nesting depth is
 * now checked by a byte scan before parsing: RFC 8620 §3.6.1 `notRequest`, HTTP 400, over HTTP
 * and over the WebSocket (RFC 8887 RequestError), with no error-level log line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";
import { createToken } from "../../core/jmap/tokens.ts";

const NOT_REQUEST = "urn:ietf:params:jmap:error:notRequest";

function deep(levels: number, open = "[", close = "]"): string {
  return `{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"x":${open.repeat(levels)}${
    close.repeat(levels)
  }},"0"]]}`;
}

Deno.test("defect: a JMAP request nested 10,000 deep is a 400 notRequest problem, not a 500", async () => {
  const env = await startAttackEnv({ jmap: { max_json_depth: 32 } });
  try {
    for (const body of [deep(10_000), deep(10_000, '{"a":', "}"), deep(40)]) {
      const r = await fetch(`${env.http}/jmap/api`, {
        method: "POST",
        headers: { authorization: env.basic("alice"), "content-type": "application/json" },
        body,
      });
      assert.equal(r.status, 400);
      assert.match(r.headers.get("content-type") ?? "", /^application\/problem\+json/);
      const problem = await r.json();
      assert.equal(problem.type, NOT_REQUEST);
      assert.equal(problem.status, 400);
      assert.match(problem.detail, /nested deeper than 32/);
    }
    // Brackets inside strings do not count, and a request within the limit is served.
    const ok = await fetch(`${env.http}/jmap/api`, {
      method: "POST",
      headers: { authorization: env.basic("alice"), "content-type": "application/json" },
      body: `{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"s":"${
        "[{".repeat(1000)
      }\\"[","x":${"[".repeat(20)}${"]".repeat(20)}},"0"]]}`,
    });
    assert.equal(ok.status, 200);
    const echoed = await ok.json() as { methodResponses: [string, { s: string }, string][] };
    assert.equal(echoed.methodResponses[0]![0], "Core/echo");
    assert.equal(echoed.methodResponses[0]![1].s, "[{".repeat(1000) + '"[');
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: a JMAP WebSocket request nested 10,000 deep is a notRequest RequestError", async () => {
  const env = await startAttackEnv({ jmap: { max_json_depth: 32 } });
  try {
    const { token } = await createToken(env.t.srv.context.store, "alice@example.org", "ws");
    const ws = new WebSocket(
      `${env.http.replace("http", "ws")}/jmap/ws?access_token=${encodeURIComponent(token)}`,
      "jmap",
    );
    const messages: string[] = [];
    const got = new Promise<string>((resolve, reject) => {
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket error"));
    });
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onclose = () => reject(new Error("closed before open"));
    });
    ws.send(`{"@type":"Request","id":"r1",${deep(10_000).slice(1)}`);
    messages.push(await got);
    const err = JSON.parse(messages[0]!);
    assert.equal(err["@type"], "RequestError");
    assert.equal(err.type, NOT_REQUEST);
    const closed = new Promise<void>((resolve) => (ws.onclose = () => resolve()));
    ws.close();
    await closed;
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
