import assert from "node:assert/strict";
import { DnsTemporaryError, StaticDnsResolver } from "./resolver.ts";
import { CachingDns, LookupBudget, mailauthResolver, reverseToAddress } from "./cached_resolver.ts";
import { verifyMessage } from "../mailauth/verify.ts";

/** A static resolver that counts the questions it is asked. */
class Counting extends StaticDnsResolver {
  asked = 0;
  override txt(name: string): Promise<string[]> {
    this.asked++;
    return super.txt(name);
  }
}

Deno.test("inbound DNS: answers are cached for the TTL, temporary failures for 30 s at most", async () => {
  let t = 0;
  const dns = new Counting([{ name: "a.test", type: "TXT", value: "v=spf1 -all" }]);
  const cache = new CachingDns(dns, { now: () => new Date(t) }, 300);
  assert.deepEqual(await cache.lookup("TXT", "A.test."), ["v=spf1 -all"]);
  t += 299_000;
  assert.deepEqual(await cache.lookup("TXT", "a.test"), ["v=spf1 -all"]);
  assert.equal(dns.asked, 1);
  t += 2000;
  await cache.lookup("TXT", "a.test");
  assert.equal(dns.asked, 2);
  dns.failing.add("b.test");
  await assert.rejects(cache.lookup("TXT", "b.test"), DnsTemporaryError);
  dns.failing.delete("b.test");
  t += 29_000;
  await assert.rejects(cache.lookup("TXT", "b.test"), DnsTemporaryError);
  t += 2000;
  assert.deepEqual(await cache.lookup("TXT", "b.test"), []);
});

Deno.test("inbound DNS: the mailauth adapter answers in node:dns shapes and error codes", async () => {
  const dns = new StaticDnsResolver([
    { name: "m.test", type: "MX", value: "10 mx.m.test" },
    { name: "m.test", type: "TXT", value: "hello" },
    { name: "192.0.2.1", type: "PTR", value: "host.m.test." },
    { name: "host.m.test", type: "A", value: "192.0.2.1:2525" },
  ]);
  dns.failing.add("down.test");
  const r = mailauthResolver(new CachingDns(dns, { now: () => new Date() }, 0), new LookupBudget(100));
  assert.deepEqual(await r("m.test", "MX"), [{ exchange: "mx.m.test", priority: 10 }]);
  assert.deepEqual(await r("m.test", "TXT"), [["hello"]]);
  assert.deepEqual(await r("1.2.0.192.in-addr.arpa", "PTR"), ["host.m.test"]);
  assert.deepEqual(await r("host.m.test", "A"), ["192.0.2.1"]);
  await assert.rejects(r("none.test", "TXT"), (e: Error & { code?: string }) => e.code === "ENODATA");
  await assert.rejects(r("down.test", "TXT"), (e: Error & { code?: string }) => e.code === "ESERVFAIL");
  assert.equal(
    reverseToAddress("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
    "2001:db8:0:0:0:0:0:1",
  );
});

const message = {
  size: 0,
  head: () => new Uint8Array(),
  bytes: () => new TextEncoder().encode("From: a@spf.test\r\nSubject: x\r\n\r\nbody\r\n"),
  stream: () => Promise.reject(new Error("in memory")),
};

Deno.test("inbound DNS: a message's lookups stop at its budget (temperror) and SPF keeps its own limit of 10 (permerror)", async () => {
  const chain = Array.from({ length: 12 }, (_, i) => `include:i${i}.spf.test`).join(" ");
  const records = [
    {
      name: "spf.test",
      type: "TXT" as const,
      value: "v=spf1 include:a.spf.test include:b.spf.test include:c.spf.test -all",
    },
    ...["a", "b", "c"].map((x) => ({ name: `${x}.spf.test`, type: "TXT" as const, value: "v=spf1 -all" })),
    { name: "many.test", type: "TXT" as const, value: `v=spf1 ${chain} -all` },
    ...Array.from(
      { length: 12 },
      (_, i) => ({ name: `i${i}.spf.test`, type: "TXT" as const, value: "v=spf1 ?all" }),
    ),
  ];
  const dns = new CachingDns(new StaticDnsResolver(records), { now: () => new Date() }, 0);
  const opts = { hostname: "mx.test", spf: true, dkim: false, dmarc: false, arc: false };
  const smtp = { ip: "192.0.2.1", helo: "h.spf.test", sender: "a@spf.test" };
  const tight = await verifyMessage(message, smtp, dns, { ...opts, maxLookups: 3 });
  assert.equal(tight.spf, "temperror");
  assert.equal(tight.lookups, 3);
  const roomy = await verifyMessage(message, smtp, dns, { ...opts, maxLookups: 50 });
  assert.equal(roomy.spf, "fail");
  // RFC 7208 §4.6.4: more than 10 DNS-querying mechanisms is a permerror.
  const many = await verifyMessage(message, { ...smtp, sender: "a@many.test" }, dns, {
    ...opts,
    maxLookups: 50,
  });
  assert.equal(many.spf, "permerror");
});
