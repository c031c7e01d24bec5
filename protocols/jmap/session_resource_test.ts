import assert from "node:assert/strict";
import { sessionState } from "./session_resource.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Account } from "../../core/store/types.ts";
import type { SharedAccount } from "./mailbox_sharing.ts";

Deno.test("sessionState: each input keeps its own state when states are remembered (name, shares, limits)", () => {
  const config = testConfig("/nonexistent");
  const alice = { id: "a1", address: "alice@example.org", displayName: "Alice" } as Account;
  const renamed = { ...alice, displayName: "Alice B." } as Account;
  const bob = { id: "a2", address: "bob@example.org", displayName: "Bob" } as Account;
  const shared: SharedAccount[] = [{ owner: bob, readOnly: true }];
  const writable: SharedAccount[] = [{ owner: bob, readOnly: false }];
  const cases = [
    () => sessionState(alice, config),
    () => sessionState(renamed, config),
    () => sessionState(alice, config, shared),
    () => sessionState(alice, config, writable),
    () => sessionState(bob, config),
  ];
  const first = cases.map((f) => f());
  assert.equal(new Set(first).size, cases.length, "every input has its own state");
  // Again, in another order: the remembered digests answer exactly as before.
  for (let i = cases.length - 1; i >= 0; i--) assert.equal(cases[i]!(), first[i]);
  const limits = structuredClone(config);
  limits.jmap.max_objects_in_get += 1;
  assert.notEqual(sessionState(alice, limits), first[0], "a core limit is part of the state");
  assert.match(first[0]!, /^[A-Za-z0-9_-]{16}$/);
});
