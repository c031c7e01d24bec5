import assert from "node:assert/strict";
import { evaluatePointer, parseRequest, resolveResultReferences } from "./request.ts";
import { MethodError, ProblemError } from "./errors.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

Deno.test("evaluatePointer follows RFC 6901 paths and maps * over arrays, flattening", () => {
  const doc = { list: [{ id: "a", ids: ["x", "y"] }, { id: "b", ids: ["z"] }], "a/b": { "m~n": 1 } };
  assert.deepEqual(evaluatePointer(doc, "/list/*/id"), ["a", "b"]);
  assert.deepEqual(evaluatePointer(doc, "/list/*/ids"), ["x", "y", "z"]);
  assert.equal(evaluatePointer(doc, "/list/1/id"), "b");
  assert.equal(evaluatePointer(doc, "/a~1b/m~0n"), 1);
  assert.equal(evaluatePointer(doc, ""), doc);
  assert.throws(() => evaluatePointer(doc, "/list/2"), TypeError);
  assert.throws(() => evaluatePointer(doc, "/list/01"), TypeError);
  assert.throws(() => evaluatePointer(doc, "list"), TypeError);
  assert.throws(() => evaluatePointer(doc, "/nope"), TypeError);
});

Deno.test("resolveResultReferences replaces #arguments and reports bad references", () => {
  const responses: [string, Record<string, unknown>, string][] = [["Email/query", { ids: ["1", "2"] }, "q"]];
  assert.deepEqual(
    resolveResultReferences(
      { a: 1, "#ids": { resultOf: "q", name: "Email/query", path: "/ids" } },
      responses,
    ),
    { a: 1, ids: ["1", "2"] },
  );
  const bad = (args: Record<string, unknown>, type: string) =>
    assert.throws(
      () => resolveResultReferences(args, responses),
      (e) => e instanceof MethodError && e.type === type,
    );
  bad({ "#ids": { resultOf: "x", name: "Email/query", path: "/ids" } }, "invalidResultReference");
  bad({ "#ids": { resultOf: "q", name: "Email/get", path: "/ids" } }, "invalidResultReference");
  bad({ "#ids": { resultOf: "q", name: "Email/query", path: "/nope" } }, "invalidResultReference");
  bad({ "#ids": "not a reference" }, "invalidResultReference");
  bad({ ids: [], "#ids": { resultOf: "q", name: "Email/query", path: "/ids" } }, "invalidArguments");
});

Deno.test("parseRequest accepts a Request object and refuses others", () => {
  const r = parseRequest(
    enc({ using: ["urn:ietf:params:jmap:core"], methodCalls: [["Core/echo", {}, "c"]] }),
  );
  assert.deepEqual(r.methodCalls, [["Core/echo", {}, "c"]]);
  const problem = (body: Uint8Array, type: string) =>
    assert.throws(() => parseRequest(body), (e) => e instanceof ProblemError && e.type.endsWith(type));
  problem(new TextEncoder().encode("nope"), "notJSON");
  problem(enc({ using: "x", methodCalls: [] }), "notRequest");
  problem(enc({ using: [], methodCalls: [["a", [], "c"]] }), "notRequest");
  problem(enc({ using: [], methodCalls: [], createdIds: { a: 1 } }), "notRequest");
});
