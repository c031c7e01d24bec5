import assert from "node:assert/strict";
import { clientNetwork, Greylist } from "./greylist.ts";

function clocked() {
  let t = Date.UTC(2026, 0, 1);
  return { clock: { now: () => new Date(t) }, advance: (s: number) => (t += s * 1000) };
}

const opts = { delay: 300, retryWindow: 3600, passTtl: 86_400, exemptDomains: ["opt-out.test"] };

Deno.test("greylist: a retry from another address of the same /24 (or /64) passes as the same triplet", () => {
  const { clock, advance } = clocked();
  const g = new Greylist(opts, clock);
  assert.equal(g.check("192.0.2.10", "a@x.test", "bob@example.org").pass, false);
  advance(301);
  assert.deepEqual(g.check("192.0.2.99", "a@x.test", "bob@example.org"), { pass: true, reason: "retried" });
  assert.equal(clientNetwork("2001:db8:1:2:3::1"), "2001:db8:1:2::/64");
  assert.equal(clientNetwork("::ffff:192.0.2.10"), "192.0.2.0/24");
});

Deno.test("greylist: a retry after the retry window starts over; a pass expires after its lifetime", () => {
  const { clock, advance } = clocked();
  const g = new Greylist(opts, clock);
  g.check("192.0.2.10", "a@x.test", "bob@example.org");
  advance(3601);
  assert.deepEqual(g.check("192.0.2.10", "a@x.test", "bob@example.org"), {
    pass: false,
    reason: "new",
    retryIn: 300,
  });
  advance(300);
  assert.equal(g.check("192.0.2.10", "a@x.test", "bob@example.org").pass, true);
  advance(86_401);
  assert.equal(g.check("192.0.2.10", "a@x.test", "bob@example.org").pass, false);
});

Deno.test("greylist: opted-out sender or recipient domains pass at once; the entry count stays bounded", () => {
  const { clock } = clocked();
  const g = new Greylist({ ...opts, maxEntries: 100 }, clock);
  assert.deepEqual(g.check("192.0.2.10", "a@OPT-OUT.test", "bob@example.org"), {
    pass: true,
    reason: "exempt",
  });
  assert.deepEqual(g.check("192.0.2.10", null, "postmaster@opt-out.test"), { pass: true, reason: "exempt" });
  for (let i = 0; i < 1000; i++) g.check("192.0.2.10", `s${i}@x.test`, "bob@example.org");
  assert.ok(g.size <= 100);
});
