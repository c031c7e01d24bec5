import assert from "node:assert/strict";
import { Router, splitHostPort } from "./routing.ts";
import { StaticDnsResolver } from "../dns/resolver.ts";
import { queueSettings } from "./settings.ts";
import { defaultConfig } from "../config/defaults.ts";

function router(dns: StaticDnsResolver) {
  return new Router(queueSettings(defaultConfig()), dns);
}

Deno.test("Router orders MX hosts by preference and resolves each", async () => {
  const dns = new StaticDnsResolver([
    { name: "d.test", type: "MX", value: "30 c.d.test" },
    { name: "d.test", type: "MX", value: "10 a.d.test" },
    { name: "d.test", type: "MX", value: "20 b.d.test" },
    { name: "a.d.test", type: "A", value: "127.0.0.2" },
    { name: "b.d.test", type: "A", value: "127.0.0.3" },
    { name: "b.d.test", type: "AAAA", value: "::1" },
  ]);
  const r = await router(dns).route("D.test");
  assert.equal(r.kind, "targets");
  if (r.kind !== "targets") return;
  // c.d.test has no address and is skipped.
  assert.deepEqual(r.targets.map((t) => [t.host, t.address, t.port]), [
    ["a.d.test", "127.0.0.2", 25],
    ["b.d.test", "127.0.0.3", 25],
    ["b.d.test", "::1", 25],
  ]);
});

Deno.test("Router reports null MX and unknown domains as permanent, SERVFAIL as temporary", async () => {
  const dns = new StaticDnsResolver([{ name: "null.test", type: "MX", value: "0 ." }]);
  dns.failing.add("broken.test");
  assert.deepEqual(await router(dns).route("null.test"), {
    kind: "permanent",
    status: "5.1.10",
    reason: "Domain null.test does not accept mail (null MX)",
  });
  assert.equal((await router(dns).route("nowhere.test")).kind, "permanent");
  assert.equal((await router(dns).route("broken.test")).kind, "temporary");
});

Deno.test("splitHostPort handles names, IPv4, bracketed IPv6 and bare IPv6", () => {
  assert.deepEqual(splitHostPort("smtp.test:587", 25), { host: "smtp.test", port: 587 });
  assert.deepEqual(splitHostPort("127.0.0.1", 25), { host: "127.0.0.1", port: 25 });
  assert.deepEqual(splitHostPort("[::1]:2525", 25), { host: "::1", port: 2525 });
  assert.deepEqual(splitHostPort("::1", 25), { host: "::1", port: 25 });
});

Deno.test("resolverFor answers from [[queue.static_dns]] when records are configured", async () => {
  const { resolverFor } = await import("./start.ts");
  const config = defaultConfig();
  config.queue = { ...config.queue!, static_dns: [{ name: "a.test", type: "MX", value: "5 mx.a.test" }] };
  const dns = resolverFor(config);
  assert.ok(dns instanceof StaticDnsResolver);
  assert.deepEqual(await dns.mx("A.test."), [{ preference: 5, exchange: "mx.a.test" }]);
});
