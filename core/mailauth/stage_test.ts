import assert from "node:assert/strict";
import { defaultChecks } from "../config/defaults.ts";
import { decide } from "./stage.ts";
import type { AuthOutcome } from "./verify.ts";

function failing(policy: "none" | "quarantine" | "reject", pct = 100): AuthOutcome {
  return {
    spf: "fail",
    spfDomain: "sender.test",
    spfHelo: null,
    dkim: [],
    arc: "none",
    arcSealer: null,
    dmarc: {
      result: "fail",
      domain: "sender.test",
      policy,
      published: policy,
      spfAligned: false,
      dkimAligned: false,
      rua: [],
      record: { domain: "sender.test", adkim: "r", aspf: "r", p: policy, sp: policy, pct, rua: [] },
    },
    fields: "",
    lookups: 0,
  };
}

Deno.test("DMARC disposition: the policy when enforced; monitor and trusted ARC override it; pct= samples", () => {
  const c = defaultChecks();
  assert.equal(decide(failing("reject"), c), "reject");
  assert.equal(decide(failing("quarantine"), c), "quarantine");
  assert.equal(decide(failing("none"), c), "none");
  const monitored = failing("reject");
  assert.equal(decide(monitored, { ...c, dmarc_policy: "monitor" }), "none");
  assert.equal(monitored.overridden, "local_policy");
  const forwarded = { ...failing("reject"), arcSealer: { domain: "list.test", dmarcPass: true } };
  assert.equal(decide(forwarded, c), "reject");
  assert.equal(decide(forwarded, { ...c, arc_trusted_sealers: ["LIST.test"] }), "none");
  assert.equal(forwarded.overridden, "forwarded");
  // pct=50: a draw under 0.5 is in the sample, one at or over it gets the next policy down.
  assert.equal(decide(failing("reject", 50), c, () => 0.49), "reject");
  const out = failing("reject", 50);
  assert.equal(decide(out, c, () => 0.5), "quarantine");
  assert.equal(out.overridden, "sampled_out");
  assert.equal(decide(failing("quarantine", 50), c, () => 0.9), "none");
});
