import assert from "node:assert/strict";
import { deepMerge, testConfig } from "./test_config.ts";
import { LISTENER_NAMES } from "./defaults.ts";

Deno.test("testConfig puts every listener on 127.0.0.1 port 0", () => {
  const c = testConfig("/tmp/x");
  assert.equal(c.data_dir, "/tmp/x");
  for (const n of LISTENER_NAMES) {
    assert.equal(c.listeners[n].port, 0, n);
    assert.equal(c.listeners[n].address, "127.0.0.1", n);
    assert.equal(c.listeners[n].allow_plaintext_auth, c.listeners[n].tls !== "implicit", n);
  }
});

Deno.test("testConfig merges overrides deeply and replaces arrays", () => {
  const c = testConfig("/tmp/x", {
    smtp: { max_message_size: 1000, relay_networks: ["10.0.0.0/8"] },
    listeners: { imap: { tls: "none" } },
    local_domains: ["example.com"],
  });
  assert.equal(c.smtp.max_message_size, 1000);
  assert.equal(c.smtp.max_recipients, 100);
  assert.deepEqual(c.smtp.relay_networks, ["10.0.0.0/8"]);
  assert.equal(c.listeners.imap.tls, "none");
  assert.equal(c.listeners.imap.port, 0);
  assert.deepEqual(c.local_domains, ["example.com"]);
});

Deno.test("deepMerge leaves the patch unshared", () => {
  const patch = { a: { list: [1, 2] } };
  const base: { a: { list: number[]; n: number } } = { a: { list: [0], n: 1 } };
  const merged = deepMerge(base, patch);
  merged.a.list.push(3);
  assert.deepEqual(patch.a.list, [1, 2]);
  assert.equal(merged.a.n, 1);
});
