import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";

async function post(f: Awaited<ReturnType<typeof jmapFixture>>, body: string, type = "application/json") {
  const res = await f.fetch("/jmap/api", {
    method: "POST",
    headers: { authorization: f.basic(), "content-type": type },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), json: await res.json() };
}

Deno.test("JMAP API answers request-level errors as RFC 7807 problems", async () => {
  const f = await jmapFixture({ jmap: { max_calls_in_request: 2, max_size_request: 2000 } });
  try {
    let r = await post(f, "{not json");
    assert.equal(r.status, 400);
    assert.equal(r.type, "application/problem+json");
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:notJSON");

    r = await post(f, JSON.stringify({ using: [], methodCalls: [["Core/echo", {}]] }));
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:notRequest");
    r = await post(f, JSON.stringify([1, 2]));
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:notRequest");

    r = await post(f, JSON.stringify({ using: ["urn:example:nope"], methodCalls: [] }));
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:unknownCapability");

    const call = ["Core/echo", {}, "c"];
    r = await post(f, JSON.stringify({ using: [], methodCalls: [call, call, call] }));
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:limit");
    assert.equal(r.json.limit, "maxCallsInRequest");

    r = await post(
      f,
      JSON.stringify({ using: [], methodCalls: [["Core/echo", { pad: "x".repeat(3000) }, "c"]] }),
    );
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:limit");
    assert.equal(r.json.limit, "maxSizeRequest");

    r = await post(f, new TextDecoder("latin1").decode(new Uint8Array([0x7b, 0xff, 0x7d])));
    assert.equal(r.json.type, "urn:ietf:params:jmap:error:notJSON");
  } finally {
    await f.close();
  }
});

Deno.test("JMAP API reports method-level errors and goes on with the next call", async () => {
  const f = await jmapFixture();
  try {
    const r = await f.api([
      ["Nope/get", {}, "a"],
      ["Mailbox/get", { accountId: "someone-else" }, "b"],
      ["Mailbox/get", { accountId: f.alice.id, ids: "x" }, "c"],
      ["Core/echo", { "#x": { resultOf: "zz", name: "Core/echo", path: "/x" } }, "d"],
      ["Core/echo", { hello: "world" }, "e"],
      ["Core/echo", { "#hello": { resultOf: "e", name: "Core/echo", path: "/nothere" } }, "f"],
      ["Core/echo", { "#v": { resultOf: "e", name: "Mailbox/get", path: "/hello" } }, "g"],
      ["Core/echo", { v: 1, "#v": { resultOf: "e", name: "Core/echo", path: "/hello" } }, "h"],
      ["Email/query", { accountId: f.alice.id, filter: { bogus: 1 } }, "i"],
      ["Email/query", { accountId: f.alice.id, sort: [{ property: "bogus" }] }, "j"],
      ["Email/changes", { accountId: f.alice.id, sinceState: "not-a-state" }, "k"],
      ["Email/query", { accountId: f.alice.id, anchor: "nope" }, "l"],
      ["Mailbox/set", { accountId: f.alice.id, ifInState: "bogus", create: {} }, "m"],
    ]);
    const byId = Object.fromEntries(r.methodResponses.map((m) => [m[2], m]));
    assert.equal(byId.a![1].type, "unknownMethod");
    assert.equal(byId.b![1].type, "accountNotFound");
    assert.equal(byId.c![1].type, "invalidArguments");
    assert.equal(byId.d![1].type, "invalidResultReference");
    assert.deepEqual(byId.e![1], { hello: "world" });
    assert.equal(byId.f![1].type, "invalidResultReference");
    assert.equal(byId.g![1].type, "invalidResultReference");
    assert.equal(byId.h![1].type, "invalidArguments");
    assert.equal(byId.i![1].type, "unsupportedFilter");
    assert.equal(byId.j![1].type, "unsupportedSort");
    assert.equal(byId.k![1].type, "cannotCalculateChanges");
    assert.equal(byId.l![1].type, "anchorNotFound");
    assert.equal(byId.m![1].type, "stateMismatch");
    for (const m of r.methodResponses.filter((m) => m[0] === "error")) assert.equal(m[0], "error");
  } finally {
    await f.close();
  }
});

Deno.test("JMAP API refuses methods whose capability is not in using", async () => {
  const f = await jmapFixture();
  try {
    const r = await f.api([["Mailbox/get", { accountId: f.alice.id }, "a"], ["Core/echo", { x: 1 }, "b"]], {
      using: ["urn:ietf:params:jmap:core"],
    });
    assert.equal(r.methodResponses[0]![0], "error");
    assert.equal(r.methodResponses[0]![1].type, "unknownMethod");
    assert.deepEqual(r.methodResponses[1]![1], { x: 1 });
  } finally {
    await f.close();
  }
});

Deno.test("JMAP API enforces maxObjectsInGet and maxObjectsInSet", async () => {
  const f = await jmapFixture({ jmap: { max_objects_in_get: 2, max_objects_in_set: 1 } });
  try {
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const drafts = await f.store.getMailboxByRole(f.alice.id, "drafts");
    const r = await f.api([
      ["Mailbox/get", { accountId: f.alice.id, ids: ["a", "b", "c"] }, "a"],
      ["Mailbox/set", { accountId: f.alice.id, create: { x: { name: "x" }, y: { name: "y" } } }, "b"],
      // At the limits exactly: served.
      ["Mailbox/get", { accountId: f.alice.id, ids: [inbox!.id, drafts!.id] }, "c"],
      ["Mailbox/set", { accountId: f.alice.id, create: { z: { name: "z" } } }, "d"],
    ]);
    // Over the limits: refused, and nothing of the refused /set happened.
    assert.deepEqual(r.methodResponses[0]!.slice(0, 1), ["error"]);
    assert.equal(r.methodResponses[0]![1].type, "requestTooLarge");
    assert.deepEqual(r.methodResponses[1]!.slice(0, 1), ["error"]);
    assert.equal(r.methodResponses[1]![1].type, "requestTooLarge");
    const names = (await f.store.listMailboxes(f.alice.id)).map((m) => m.name);
    assert.ok(!names.includes("x") && !names.includes("y"), names.join(","));
    const [getName, got] = r.methodResponses[2]!;
    assert.equal(getName, "Mailbox/get", JSON.stringify(got));
    assert.deepEqual((got.list as { id: string }[]).map((m) => m.id).sort(), [inbox!.id, drafts!.id].sort());
    const [setName, set] = r.methodResponses[3]!;
    assert.equal(setName, "Mailbox/set", JSON.stringify(set));
    assert.deepEqual(Object.keys(set.created as object), ["z"]);
    assert.ok(names.includes("z"));
  } finally {
    await f.close();
  }
});

Deno.test("JMAP API enforces maxConcurrentRequests and maxConcurrentUpload per account", async () => {
  const f = await jmapFixture({ jmap: { max_concurrent_requests: 1, max_concurrent_upload: 1 } });
  try {
    for (
      const [path, limit] of [["/jmap/api", "maxConcurrentRequests"], [
        `/jmap/upload/${f.alice.id}/`,
        "maxConcurrentUpload",
      ]]
    ) {
      // The first request holds its slot while its body is still arriving.
      let started!: () => void;
      const reading = new Promise<void>((r) => started = r);
      let feed!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          feed = c;
        },
        pull() {
          started();
        },
      });
      const first = f.fetch(path!, {
        method: "POST",
        headers: { authorization: f.basic(), "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      await reading;
      const second = await f.fetch(path!, {
        method: "POST",
        headers: { authorization: f.basic(), "content-type": "application/json" },
        body: JSON.stringify({ using: [], methodCalls: [] }),
      });
      assert.equal(second.status, 429, String(path));
      assert.equal((await second.json()).limit, limit);
      feed.enqueue(new TextEncoder().encode(JSON.stringify({ using: [], methodCalls: [] })));
      feed.close();
      const res = await first;
      assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.status}`);
      await res.body?.cancel();
    }
  } finally {
    await f.close();
  }
});
