/**
 * JMAP for Sieve (RFC 9661): SieveScript/get, /set (blobs, onSuccessActivateScript,
 * onSuccessDeactivateScript, the SetErrors), /query and /validate.
 */
import assert from "node:assert/strict";
import { type Call, type JmapFixture, jmapFixture, USING } from "./_fixture.ts";

const SIEVE_USING = [...USING, "urn:ietf:params:jmap:sieve"];

async function upload(f: JmapFixture, text: string): Promise<string> {
  const res = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
    method: "POST",
    headers: { authorization: f.basic(), "content-type": "application/sieve" },
    body: text,
  });
  assert.equal(res.status, 201);
  return (await res.json()).blobId;
}

async function call(
  f: JmapFixture,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const r = await f.api([[name, { accountId: f.alice.id, ...args }, "0"]], { using: SIEVE_USING });
  const [got] = r.methodResponses as Call[];
  if (got![0] === "error") throw new Error(JSON.stringify(got![1]));
  return got![1];
}

Deno.test("jmap sieve: the capability is advertised with the extensions and limits", async () => {
  const f = await jmapFixture();
  try {
    const res = await f.fetch("/jmap/session", { headers: { authorization: f.basic() } });
    const s = await res.json();
    assert.deepEqual(s.capabilities["urn:ietf:params:jmap:sieve"], {});
    const cap = s.accounts[f.alice.id].accountCapabilities["urn:ietf:params:jmap:sieve"];
    assert.equal(cap.implementation, "Tern");
    assert.ok(cap.sieveExtensions.includes("fileinto") && cap.sieveExtensions.includes("vacation"));
    assert.equal(cap.maxNumberRedirects, 4);
    assert.equal(s.primaryAccounts["urn:ietf:params:jmap:sieve"], f.alice.id);
    // Without the capability in `using`, the methods are unknown.
    const r = await f.api([["SieveScript/get", { accountId: f.alice.id }, "0"]]);
    assert.equal(r.methodResponses[0]![0], "error");
    assert.equal(r.methodResponses[0]![1].type, "unknownMethod");
  } finally {
    await f.close();
  }
});

Deno.test("jmap sieve: set creates from a blob and activates it; get returns a downloadable blob", async () => {
  const f = await jmapFixture();
  try {
    const script = 'require "fileinto";\r\nif header :contains "subject" "[list]" { fileinto "Lists"; }\r\n';
    const blobId = await upload(f, script);
    const set = await call(f, "SieveScript/set", {
      create: { a: { name: "main", blobId } },
      onSuccessActivateScript: "#a",
    });
    const created = (set.created as Record<string, Record<string, unknown>>).a!;
    assert.equal(created.isActive, true);
    assert.equal(created.name, "main");
    const active = await f.store.sieveScripts.active(f.alice.id);
    assert.equal(active?.content, script);
    const got = await call(f, "SieveScript/get", { ids: null });
    const [one] = got.list as Record<string, unknown>[];
    assert.deepEqual({ ...one, blobId: undefined }, {
      id: created.id,
      name: "main",
      isActive: true,
      blobId: undefined,
    });
    const dl = await f.fetch(
      `/jmap/download/${f.alice.id}/${one!.blobId}/main.sieve?accept=application/sieve`,
      {
        headers: { authorization: f.basic() },
      },
    );
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), script);
    assert.equal(got.state, set.newState);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sieve: invalidSieve, alreadyExists, sieveIsActive, blobNotFound; deactivate and destroy", async () => {
  const f = await jmapFixture();
  try {
    const good = await upload(f, "keep;");
    const bad = await upload(f, 'fileinto "x";');
    const first = await call(f, "SieveScript/set", {
      create: { a: { name: "one", blobId: good } },
      onSuccessActivateScript: "#a",
    });
    const id = ((first.created as Record<string, Record<string, unknown>>).a!).id as string;
    const r = await call(f, "SieveScript/set", {
      create: {
        b: { name: "two", blobId: bad },
        c: { name: "one", blobId: good },
        d: { name: "three", blobId: "Uffff" },
      },
      destroy: [id],
    });
    const nc = r.notCreated as Record<string, Record<string, unknown>>;
    assert.equal(nc.b!.type, "invalidSieve");
    assert.match(nc.b!.description as string, /line 1, column 1: .*needs require "fileinto"/);
    assert.equal(nc.c!.type, "alreadyExists");
    assert.equal(nc.d!.type, "blobNotFound");
    assert.equal((r.notDestroyed as Record<string, Record<string, unknown>>)[id]!.type, "sieveIsActive");
    // A failed /set activates nothing.
    const two = await call(f, "SieveScript/set", { create: { e: { name: "two", blobId: good } } });
    const twoId = ((two.created as Record<string, Record<string, unknown>>).e!).id as string;
    const switched = await call(f, "SieveScript/set", { onSuccessActivateScript: twoId });
    assert.deepEqual(switched.updated, { [id]: { isActive: false }, [twoId]: { isActive: true } });
    const off = await call(f, "SieveScript/set", { onSuccessDeactivateScript: true });
    assert.deepEqual(off.updated, { [twoId]: { isActive: false } });
    const gone = await call(f, "SieveScript/set", {
      destroy: [id],
      update: { [twoId]: { name: "renamed" } },
    });
    assert.deepEqual(gone.destroyed, [id]);
    assert.deepEqual(gone.updated, { [twoId]: null });
    assert.deepEqual((await f.store.sieveScripts.list(f.alice.id)).map((s) => s.name), ["renamed"]);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sieve: query filters by name and isActive and sorts; validate checks without storing", async () => {
  const f = await jmapFixture();
  try {
    const blob = await upload(f, "keep;");
    const set = await call(f, "SieveScript/set", {
      create: {
        a: { name: "alpha", blobId: blob },
        b: { name: "beta", blobId: blob },
        c: { name: "alphabet", blobId: blob },
      },
      onSuccessActivateScript: "#b",
    });
    const ids = Object.fromEntries(
      Object.entries(set.created as Record<string, Record<string, unknown>>).map((
        [k, v],
      ) => [k, v.id as string]),
    );
    const q1 = await call(f, "SieveScript/query", {
      filter: { name: "alpha" },
      sort: [{ property: "name", isAscending: false }],
    });
    assert.deepEqual(q1.ids, [ids.c, ids.a]);
    const q2 = await call(f, "SieveScript/query", { filter: { isActive: true } });
    assert.deepEqual(q2.ids, [ids.b]);
    const q3 = await call(f, "SieveScript/query", {
      sort: [{ property: "isActive", isAscending: false }],
      calculateTotal: true,
    });
    assert.deepEqual(q3.ids, [ids.b, ids.a, ids.c]);
    assert.equal(q3.total, 3);
    const v1 = await call(f, "SieveScript/validate", { blobId: await upload(f, "if true { keep; }") });
    assert.deepEqual(v1.error, null);
    const v2 = await call(f, "SieveScript/validate", { blobId: await upload(f, "if true { keep }") });
    assert.deepEqual(v2.error, {
      type: "invalidSieve",
      description: "line 1, column 16: expected ';' or '{', found '}'",
    });
    assert.equal((await f.store.sieveScripts.list(f.alice.id)).length, 3);
  } finally {
    await f.close();
  }
});

Deno.test("jmap sieve: [sieve] limits set the capability and refuse a larger script or one script too many", async () => {
  const f = await jmapFixture({ sieve: { max_script_size: 1024, max_scripts: 1, max_redirects: 7 } });
  try {
    const res = await f.fetch("/jmap/session", { headers: { authorization: f.basic() } });
    const cap = (await res.json()).accounts[f.alice.id].accountCapabilities["urn:ietf:params:jmap:sieve"];
    assert.deepEqual([cap.maxSizeScript, cap.maxNumberScripts, cap.maxNumberRedirects], [1024, 1, 7]);
    const big = await upload(f, "#".repeat(1025));
    const small = await upload(f, "keep;");
    const r = await call(f, "SieveScript/set", {
      create: { a: { name: "big", blobId: big }, b: { name: "one", blobId: small } },
    });
    assert.equal((r.notCreated as Record<string, { type: string }>).a!.type, "tooLarge");
    assert.ok((r.created as Record<string, unknown>).b);
    const again = await call(f, "SieveScript/set", { create: { c: { name: "two", blobId: small } } });
    assert.equal((again.notCreated as Record<string, { type: string }>).c!.type, "overQuota");
  } finally {
    await f.close();
  }
});
