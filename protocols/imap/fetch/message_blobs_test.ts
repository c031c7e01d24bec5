import assert from "node:assert/strict";
import { MessageBlobs, messageBlobsOf } from "./message_blobs.ts";

Deno.test("MessageBlobs: keeps at most its bound, dropping the least recently used first", () => {
  const m = new MessageBlobs(2);
  m.set("e1", "b1");
  m.set("e2", "b2");
  assert.equal(m.get("e1"), "b1"); // e2 is now the oldest
  m.set("e3", "b3");
  assert.equal(m.size, 2);
  assert.equal(m.get("e2"), undefined);
  assert.equal(m.get("e1"), "b1");
  assert.equal(m.get("e3"), "b3");
});

Deno.test("MessageBlobs: each store has its own map (message ids are unique only within a store)", () => {
  const a = {};
  const b = {};
  messageBlobsOf(a).set("e1", "blob-a");
  assert.equal(messageBlobsOf(b).get("e1"), undefined);
  assert.equal(messageBlobsOf(a).get("e1"), "blob-a");
});
