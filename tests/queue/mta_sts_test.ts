/**
 * MTA-STS on the sending side (RFC 8461): the queue fetches the recipient domain's policy from a
 * loopback HTTPS server (the `_mta-sts` TXT record and the `mta-sts.` host answered by static DNS),
 * and in "enforce" mode delivers only to the MX hosts the policy names, only over verified TLS;
 * "testing" changes nothing; a domain without a usable policy is delivered as before; an unchanged
 * policy id is served from the cache.
 */
import assert from "node:assert/strict";
import { harness } from "./_harness.ts";
import { startSink } from "./_sink.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";
import { MtaStsPolicies } from "../../core/mtasts/policies.ts";
import { OutboundHttpClient } from "../../core/net/outbound_http.ts";
import { nullLogger } from "../../core/log/logger.ts";

const mx1 = await generateSelfSigned("mx1.remote.test", new Date());
const web = await generateSelfSigned("mta-sts.remote.test", new Date());

/** A loopback HTTPS policy server; `policy` null answers 404. */
function policyServer(state: { policy: string | null; requests: number }) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: web.cert, key: web.key, onListen() {} },
    (req) => {
      state.requests++;
      if (new URL(req.url).pathname !== "/.well-known/mta-sts.txt" || state.policy === null) {
        return new Response("not found", { status: 404 });
      }
      return new Response(state.policy, { headers: { "content-type": "text/plain" } });
    },
  );
}

async function scenario(
  policy: string | null,
  opts: { mx1Tls: boolean },
  check: (r: {
    status: string;
    reply: string;
    mx1: Awaited<ReturnType<typeof startSink>>;
    mx2: Awaited<ReturnType<typeof startSink>>;
    requests: () => number;
    again: () => Promise<string>;
  }) => Promise<void>,
) {
  const state = { policy, requests: 0 };
  const server = policyServer(state);
  const mx1Sink = await startSink({
    server: opts.mx1Tls ? { key: mx1.key, cert: mx1.cert } : { hideSTARTTLS: true },
  });
  const mx2Sink = await startSink({ server: { hideSTARTTLS: true } });
  const port = (server.addr as Deno.NetAddr).port;
  // The harness's resolver is shared by routing and the policy fetch (bound before the harness exists).
  // deno-lint-ignore prefer-const
  let h!: Awaited<ReturnType<typeof harness>>;
  const dnsProxy = {
    mx: (d: string) => h.dns.mx(d),
    addresses: (n: string) => h.dns.addresses(n),
    txt: (n: string) => h.dns.txt(n),
    ptr: (n: string) => h.dns.ptr(n),
    srv: (n: string) => h.dns.srv(n),
    cname: (n: string) => h.dns.cname(n),
  };
  const sts = new MtaStsPolicies({
    dns: dnsProxy,
    http: new OutboundHttpClient(dnsProxy, { allowPrivate: ["127.0.0.0/8"], caCerts: [web.cert] }),
    clock: { now: () => new Date() },
    log: nullLogger,
  });
  h = await harness({}, { mtaSts: sts, tlsCa: [mx1.cert] });
  try {
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx1.remote.test" });
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx2.remote.test" });
    h.dns.add({ name: "mx1.remote.test", type: "A", value: mx1Sink.address });
    h.dns.add({ name: "mx2.remote.test", type: "A", value: mx2Sink.address });
    h.dns.add({ name: "_mta-sts.remote.test", type: "TXT", value: "v=STSv1; id=20261206" });
    h.dns.add({ name: "mta-sts.remote.test", type: "A", value: `127.0.0.1:${port}` });
    const send = async () => {
      const id = await h.send({ recipients: [{ address: "bob@remote.test" }] });
      await h.queue.runDue();
      const rcpt = (await h.store.queue.recipients(id))[0]!;
      return `${rcpt.status} ${rcpt.lastReply ?? ""}`;
    };
    const first = await send();
    await check({
      status: first.split(" ")[0]!,
      reply: first,
      mx1: mx1Sink,
      mx2: mx2Sink,
      requests: () => state.requests,
      again: send,
    });
  } finally {
    await h.close();
    await mx1Sink.close();
    await mx2Sink.close();
    await server.shutdown();
  }
}

const ENFORCE = "version: STSv1\r\nmode: enforce\r\nmx: mx1.remote.test\r\nmax_age: 86400\r\n";

Deno.test("MTA-STS enforce: only the policy's MX host, over verified TLS; the cached policy is reused", async () => {
  // Random order among equal-preference MX hosts (RFC 5321 §5.1) cannot lead to mx2: try a few sends.
  await scenario(ENFORCE, { mx1Tls: true }, async ({ status, mx1, mx2, requests, again }) => {
    assert.equal(status, "delivered");
    for (let i = 0; i < 4; i++) assert.match(await again(), /^delivered /);
    assert.equal(mx2.messages.length, 0);
    assert.equal(mx1.messages.length, 5);
    assert.ok(mx1.messages.every((m) => m.secure), "every delivery used TLS");
    // The TXT id did not change: one fetch for five deliveries.
    assert.equal(requests(), 1);
  });
});

Deno.test("MTA-STS enforce: no TLS at the policy's MX host defers the message, never plain text", async () => {
  await scenario(ENFORCE, { mx1Tls: false }, ({ status, mx1, mx2 }) => {
    assert.equal(status, "deferred");
    assert.equal(mx1.messages.length + mx2.messages.length, 0);
    return Promise.resolve();
  });
});

Deno.test("MTA-STS enforce: a policy naming none of the MX hosts defers with 4.7.5", async () => {
  const other = ENFORCE.replace("mx: mx1.remote.test", "mx: *.elsewhere.test");
  await scenario(other, { mx1Tls: true }, ({ status, reply, mx1, mx2 }) => {
    assert.equal(status, "deferred");
    assert.match(reply, /The MTA-STS policy of remote\.test allows none of its MX hosts/);
    assert.equal(mx1.messages.length + mx2.messages.length, 0);
    return Promise.resolve();
  });
});

Deno.test("MTA-STS testing or none mode, or no usable policy (404): delivered as without MTA-STS", async () => {
  for (const policy of [ENFORCE.replace("enforce", "testing"), ENFORCE.replace("enforce", "none"), null]) {
    await scenario(policy, { mx1Tls: false }, ({ status, mx1, mx2 }) => {
      assert.equal(status, "delivered", String(policy));
      assert.equal(mx1.messages.length + mx2.messages.length, 1);
      return Promise.resolve();
    });
  }
});
