/**
 * REQUIRETLS (RFC 8689) on the sending side: a message queued with REQUIRETLS goes only over TLS
 * with a verified certificate to a next hop that offers REQUIRETLS (and carries the parameter on
 * MAIL FROM); any other host makes it bounce with 5.7.30, headers only. `TLS-Required: No`
 * (§4.2.2) switches the recipient domain's TLS policy (here DANE) off, unless REQUIRETLS was given.
 */
import assert from "node:assert/strict";
import { harness, inbox, sampleMessage } from "./_harness.ts";
import { startSink } from "./_sink.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";

const mx1 = await generateSelfSigned("mx1.remote.test", new Date());

async function scenario(
  sinkOpts: { tls: boolean; requiretls: boolean; trusted: boolean },
  send: { requireTls: boolean; body?: string; tlsa?: string },
  check: (r: {
    status: string;
    reply: string;
    sink: Awaited<ReturnType<typeof startSink>>;
    dsns: string[];
  }) => void,
) {
  const sink = await startSink({
    server: sinkOpts.tls
      ? { key: mx1.key, cert: mx1.cert, hideREQUIRETLS: !sinkOpts.requiretls }
      : { hideSTARTTLS: true },
  });
  const h = await harness({}, sinkOpts.trusted ? { tlsCa: [mx1.cert] } : {});
  try {
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx1.remote.test" });
    h.dns.add({ name: "mx1.remote.test", type: "A", value: sink.address });
    if (send.tlsa) {
      h.dns.add({ name: "_25._tcp.mx1.remote.test", type: "TLSA", value: send.tlsa, authenticated: true });
    }
    const id = await h.send(
      { recipients: [{ address: "bob@remote.test" }], requireTls: send.requireTls },
      send.body,
    );
    await h.queue.runDue();
    const rcpt = (await h.store.queue.recipients(id))[0]!;
    check({ status: rcpt.status, reply: rcpt.lastReply ?? "", sink, dsns: await inbox(h.store) });
  } finally {
    await h.close();
    await sink.close();
  }
}

Deno.test("REQUIRETLS: delivered over verified TLS to a next hop offering REQUIRETLS, with the MAIL parameter", async () => {
  await scenario({ tls: true, requiretls: true, trusted: true }, { requireTls: true }, ({ status, sink }) => {
    assert.equal(status, "delivered");
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.secure, true);
    assert.equal(sink.messages[0]!.mailArgs.REQUIRETLS, true);
  });
});

Deno.test("REQUIRETLS: a next hop without REQUIRETLS gets nothing; the sender gets a headers-only 5.7.30 bounce", async () => {
  await scenario(
    { tls: true, requiretls: false, trusted: true },
    { requireTls: true },
    ({ status, reply, sink, dsns }) => {
      assert.equal(status, "failed");
      assert.match(reply, /does not support REQUIRETLS/);
      assert.equal(sink.messages.length, 0);
      assert.equal(dsns.length, 1);
      assert.match(dsns[0]!, /Status: 5\.7\.30/);
      assert.match(dsns[0]!, /Subject: Hello/, "the original header is returned");
      assert.doesNotMatch(dsns[0]!, /Hello Bob/, "the original body is not");
    },
  );
});

Deno.test("REQUIRETLS: no STARTTLS, or a certificate that does not verify, bounces with 5.7.30; never clear text", async () => {
  for (
    const sinkOpts of [{ tls: false, requiretls: false, trusted: true }, {
      tls: true,
      requiretls: true,
      trusted: false,
    }]
  ) {
    await scenario(sinkOpts, { requireTls: true }, ({ status, reply, sink, dsns }) => {
      assert.equal(status, "failed", JSON.stringify(sinkOpts));
      assert.match(reply, /^REQUIRETLS: /);
      assert.equal(sink.messages.length, 0);
      assert.match(dsns[0] ?? "", /Status: 5\.7\.30/);
    });
  }
});

Deno.test("Without REQUIRETLS the same untrusted next hop gets the message (opportunistic TLS), without the parameter", async () => {
  await scenario(
    { tls: true, requiretls: true, trusted: false },
    { requireTls: false },
    ({ status, sink }) => {
      assert.equal(status, "delivered");
      assert.equal(sink.messages[0]!.mailArgs.REQUIRETLS, undefined);
    },
  );
});

const WRONG_TLSA = `3 1 1 ${"00".repeat(32)}`;

Deno.test("TLS-Required: No: the domain's DANE policy is not applied (a TLSA mismatch would defer)", async () => {
  const body = sampleMessage().replace("MIME-Version:", "TLS-Required: No\r\nMIME-Version:");
  await scenario(
    { tls: true, requiretls: false, trusted: false },
    { requireTls: false, tlsa: WRONG_TLSA },
    ({ status }) => {
      assert.equal(status, "deferred", "control: DANE applies without the header");
    },
  );
  await scenario({ tls: true, requiretls: false, trusted: false }, {
    requireTls: false,
    body,
    tlsa: WRONG_TLSA,
  }, ({ status, sink }) => {
    assert.equal(status, "delivered");
    assert.match(
      new TextDecoder().decode(sink.messages[0]!.data),
      /TLS-Required: No/,
      "the header travels on",
    );
  });
});

Deno.test("TLS-Required: No is ignored on a REQUIRETLS message (RFC 8689 §4.1)", async () => {
  const body = sampleMessage().replace("MIME-Version:", "TLS-Required: No\r\nMIME-Version:");
  // Honouring the header would drop the (mismatching) DANE policy and deliver to this host.
  const sinkOpts = { tls: true, requiretls: true, trusted: true };
  await scenario(sinkOpts, { requireTls: true, body, tlsa: WRONG_TLSA }, ({ status, reply, sink }) => {
    assert.equal(status, "failed");
    assert.match(reply, /DANE authentication of mx1\.remote\.test failed/);
    assert.equal(sink.messages.length, 0);
  });
});
