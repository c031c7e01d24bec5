/**
 * Cases registered last by tests/api/api_test.ts (which runs every `_*_cases.ts` module): the
 * OpenAPI 3.1 document at `/api/v1/openapi.json` describes every route of the API app, the
 * reference page renders it with nothing loaded from elsewhere, every secured operation refuses a
 * request without credentials (401) and, as the auth middleware does, an organization without API
 * access (403) or over its monthly calls (429). Then, over the requests every case module before
 * this one made through `ApiTestServer.call` (`SEEN`): every status the document lists for an
 * operation was produced by some test, and every status a test got is listed.
 */
import assert from "node:assert/strict";
import { type ApiTestServer, login, SEEN, startApiServer } from "./_server.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";
import { AUTH_PROBLEMS, createApiApp } from "../../protocols/api/app.ts";

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId?: string; security?: unknown[]; responses: Record<string, { description?: string }> }
    >
  >;
};

async function docOf(t: ApiTestServer): Promise<Doc> {
  const res = await t.call("GET", "/openapi.json");
  assert.equal(res.status, 200);
  return await res.json();
}

/** (method, path) → statuses of the middleware sweep's requests, kept out of `SEEN`. */
const MIDDLEWARE_SEEN = new Map<string, Set<number>>();

/** A regex matching concrete paths of an OpenAPI path template. */
function templateRegex(template: string): RegExp {
  const src = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+");
  return new RegExp(`^${src.replace(/\{[^}]+\}/g, "[^/]+")}$`);
}

/**
 * The template of `method` that answers a concrete path: of those matching it, the most specific
 * (OpenAPI 3.1 §4.8.8: a concrete segment is matched before a templated one), so that
 * `GET /queue/stats` counts for its own operation and not for `GET /queue/{id}`.
 */
function templateOf(doc: Doc, method: string, path: string): string | undefined {
  const candidates = Object.keys(doc.paths).filter((t) =>
    method in doc.paths[t]! && templateRegex(t).test(path)
  );
  const literal = (t: string) => t.split("/").map((seg) => !seg.startsWith("{"));
  return candidates.sort((a, b) => {
    const [la, lb] = [literal(a), literal(b)];
    const i = la.findIndex((x, k) => x !== lb[k]);
    return i < 0 ? 0 : la[i] ? -1 : 1;
  })[0];
}

/** "method template" → the statuses the tests' requests to that operation were answered with. */
function producedByOperation(doc: Doc, seen = SEEN): Map<string, Set<number>> {
  const produced = new Map<string, Set<number>>();
  for (const [key, statuses] of seen) {
    const [method, path] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
    const template = templateOf(doc, method, path);
    if (template === undefined) continue;
    const set = produced.get(`${method} ${template}`) ?? new Set();
    for (const s of statuses) set.add(s);
    produced.set(`${method} ${template}`, set);
  }
  return produced;
}

Deno.test("api openapi: every tests/api/_*_cases.ts module is run (imported by api_test.ts), this one last", async () => {
  const dir = new URL(".", import.meta.url);
  const modules: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^_.*_cases\.ts$/.test(e.name)) modules.push(e.name);
  }
  const imported = [
    ...(await Deno.readTextFile(new URL("api_test.ts", dir))).matchAll(/^import "\.\/(.+)";$/gm),
  ]
    .map((m) => m[1]!);
  assert.deepEqual(
    modules.filter((m) => !imported.includes(m)).sort(),
    [],
    "case modules api_test.ts does not run",
  );
  assert.equal(imported.at(-1), "_openapi_cases.ts");
});

Deno.test("api openapi: the document is OpenAPI 3.1 and lists every route the API app serves", async () => {
  const t = await startApiServer();
  try {
    const doc = await docOf(t);
    assert.equal(doc.openapi, "3.1.0");
    const app = createApiApp(t.srv.context);
    const served = new Set<string>();
    for (const r of app.routes) {
      if (r.method === "ALL") continue; // middleware
      if (r.path === "/openapi.json" || r.path === "/reference") continue;
      served.add(`${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    }
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method} ${path}`);
    }
    assert.ok(served.size >= 30, `only ${served.size} routes served`);
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], "served but not documented");
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], "documented but not served");
  } finally {
    await t.close();
  }
});

Deno.test("api openapi: the reference page renders every operation, self-contained (no script, nothing remote)", async () => {
  const t = await startApiServer();
  try {
    const doc = await docOf(t);
    const res = await t.call("GET", "/reference");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const html = await res.text();
    assert.ok(!/<script|<link|src=|@import/i.test(html), "nothing loaded from elsewhere");
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        assert.ok(html.includes(`id="${op.operationId}"`), String(op.operationId));
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("api openapi: every secured operation answers 401 with the Bearer challenge to a request without credentials", async () => {
  const t = await startApiServer();
  try {
    const doc = await docOf(t);
    let n = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const concrete = path.replace(/\{[^}]+\}/g, "x");
        const res = await t.call(
          method.toUpperCase(),
          concrete,
          method === "get" || method === "delete" ? {} : { json: {} },
        );
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="Tern"', `${method} ${path}`);
        assert.equal(res.headers.get("content-type"), "application/problem+json");
        await res.body?.cancel();
        n++;
      }
    }
    assert.ok(n >= 25);
  } finally {
    await t.close();
  }
});

Deno.test("api openapi: every secured operation answers 403 to an organization whose plan has no API access and 429 to one whose monthly API calls are used up", async () => {
  const t = await startApiServer([
    "root@example.org",
    "carol@closed.test",
    "dave@metered.test",
  ]);
  try {
    const store = t.srv.context.store;
    await addPlan(store, { id: "noapi", features: { api_access: false } });
    await addPlan(store, { id: "metered", limits: { apiCallsPerMonth: 0 } });
    await addOrganization(store, { id: "closed", plan: "noapi", domains: ["closed.test"] });
    await addOrganization(store, { id: "metered", plan: "metered", domains: ["metered.test"] });
    const refusals = [
      { token: (await login(t, "carol@closed.test")).accessToken, status: 403, detail: /no API access/ },
      { token: (await login(t, "dave@metered.test")).accessToken, status: 429, detail: /monthly API calls/ },
    ];
    const doc = await docOf(t);
    let n = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const concrete = path.replace(/\{[^}]+\}/g, "x");
        for (const { token, status, detail } of refusals) {
          // Recorded apart: these statuses cover only what the middleware adds to the document.
          const res = await fetch(`${t.api}${concrete}`, {
            method: method.toUpperCase(),
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: method === "get" || method === "delete" ? undefined : "{}",
          });
          const key = `${method} ${concrete}`;
          MIDDLEWARE_SEEN.set(key, (MIDDLEWARE_SEEN.get(key) ?? new Set()).add(res.status));
          assert.equal(res.status, status, `${method} ${path}`);
          assert.equal(res.headers.get("content-type"), "application/problem+json");
          assert.match((await res.json()).detail, detail, `${method} ${path}`);
        }
        n++;
      }
    }
    assert.ok(n >= 25);
    // The refused calls were not counted.
    assert.equal((await store.usage.sum("metered", "0000-01-01", "9999-12-31")).apiCalls, 0);
  } finally {
    await t.close();
  }
});

Deno.test("api openapi: every documented response status of every operation was produced by some test", async () => {
  const t = await startApiServer();
  let doc: Doc;
  try {
    doc = await docOf(t);
  } finally {
    await t.close();
  }
  const produced = producedByOperation(doc);
  const byMiddleware = producedByOperation(doc, MIDDLEWARE_SEEN);
  const missing: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, response] of Object.entries(op.responses)) {
        // A status the operation declares itself needs a test of its own; one only the auth
        // middleware adds (protocols/api/app.ts AUTH_PROBLEMS) is covered by the sweep above.
        const added = response.description === AUTH_PROBLEMS[status];
        const sources = added ? [produced, byMiddleware] : [produced];
        if (!sources.some((p) => p.get(`${method} ${path}`)?.has(Number(status)))) {
          missing.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
  }
  assert.deepEqual(
    missing,
    [],
    "documented statuses no test produced: request them through ApiTestServer.call in a " +
      "tests/api/_*_cases.ts module that tests/api/api_test.ts imports before _openapi_cases.ts",
  );
});

Deno.test("api openapi: every status an operation answered a test with is one the document lists for it", async () => {
  const t = await startApiServer();
  let doc: Doc;
  try {
    doc = await docOf(t);
  } finally {
    await t.close();
  }
  const undocumented: string[] = [];
  for (const [key, statuses] of producedByOperation(doc)) {
    const [method, path] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
    const responses = doc.paths[path]![method]!.responses;
    for (const status of statuses) {
      if (!(String(status) in responses)) undocumented.push(`${method.toUpperCase()} ${path} ${status}`);
    }
  }
  assert.deepEqual(undocumented, [], "statuses answered but not in the document");
});
