/**
 * DANE for SMTP (RFC 7672) in the queue: authenticated TLSA records for `_25._tcp.<mx>` (static
 * resolver marking them authenticated) authenticate the MX host's certificate instead of the
 * WebPKI; a certificate that matches none of them, or a host without STARTTLS, gets nothing and the
 * message is deferred; unauthenticated records are ignored.
 */
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { harness } from "./_harness.ts";
import { startSink } from "./_sink.ts";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";

const mx1 = await generateSelfSigned("mx1.remote.test", new Date());
const other = await generateSelfSigned("elsewhere.test", new Date());

function tlsa(pem: string, usage: number, selector: number, mtype: number): string {
  const cert = new X509Certificate(pem);
  const bytes = selector === 0 ? cert.raw : cert.publicKey.export({ type: "spki", format: "der" });
  const data = mtype === 0
    ? bytes.toString("hex")
    : createHash(mtype === 1 ? "sha256" : "sha512").update(bytes).digest("hex");
  return `${usage} ${selector} ${mtype} ${data}`;
}

async function scenario(
  opts: {
    cert?: { cert: string; key: string };
    records: string[];
    authenticated?: boolean;
    requireTls?: boolean;
  },
  check: (r: { status: string; reply: string; sink: Awaited<ReturnType<typeof startSink>> }) => void,
) {
  const sink = await startSink({
    server: opts.cert ? { key: opts.cert.key, cert: opts.cert.cert } : { hideSTARTTLS: true },
  });
  // The sink's certificate is not trusted by any CA the queue knows: only DANE can authenticate it.
  const h = await harness({ tls_verify: true, require_tls: opts.requireTls ?? false });
  try {
    h.dns.add({ name: "remote.test", type: "MX", value: "10 mx1.remote.test" });
    h.dns.add({ name: "mx1.remote.test", type: "A", value: sink.address });
    for (const value of opts.records) {
      h.dns.add({
        name: "_25._tcp.mx1.remote.test",
        type: "TLSA",
        value,
        authenticated: opts.authenticated ?? true,
      });
    }
    const id = await h.send({ recipients: [{ address: "bob@remote.test" }] });
    await h.queue.runDue();
    const rcpt = (await h.store.queue.recipients(id))[0]!;
    check({ status: rcpt.status, reply: rcpt.lastReply ?? "", sink });
  } finally {
    await h.close();
    await sink.close();
  }
}

Deno.test("DANE-EE: every selector and matching type of a matching record authenticates the MX host", async () => {
  for (const [selector, mtype] of [[1, 1], [0, 1], [1, 2], [0, 0]]) {
    await scenario({ cert: mx1, records: [tlsa(mx1.cert, 3, selector!, mtype!)] }, ({ status, sink }) => {
      assert.equal(status, "delivered", `3 ${selector} ${mtype}`);
      assert.equal(sink.messages[0]!.secure, true);
    });
  }
});

Deno.test("DANE-EE: a certificate matching no TLSA record is refused, the message deferred", async () => {
  await scenario(
    { cert: mx1, records: [tlsa(other.cert, 3, 1, 1), `3 1 1 ${"ab".repeat(32)}`] },
    ({ status, reply, sink }) => {
      assert.equal(status, "deferred");
      assert.match(
        reply,
        /DANE authentication of mx1\.remote\.test failed: certificate matches no TLSA record/,
      );
      assert.equal(sink.messages.length, 0);
    },
  );
});

Deno.test("DANE-EE ignores the certificate's name; DANE-TA requires it to name the MX host", async () => {
  // `other` is issued for elsewhere.test: fine for usage 3 (RFC 7672 §3.1.1), not for usage 2 (§3.2.2).
  await scenario({ cert: other, records: [tlsa(other.cert, 3, 1, 1)] }, ({ status }) => {
    assert.equal(status, "delivered");
  });
  await scenario({ cert: other, records: [tlsa(other.cert, 2, 0, 1)] }, ({ status, reply, sink }) => {
    assert.equal(status, "deferred");
    assert.match(reply, /certificate not valid for mx1\.remote\.test/);
    assert.equal(sink.messages.length, 0);
  });
  await scenario({ cert: mx1, records: [tlsa(mx1.cert, 2, 0, 1)] }, ({ status }) => {
    assert.equal(status, "delivered");
  });
});

Deno.test("DANE makes TLS mandatory: a host without STARTTLS gets nothing in clear text", async () => {
  await scenario({ records: [tlsa(mx1.cert, 3, 1, 1)] }, ({ status, reply, sink }) => {
    assert.equal(status, "deferred");
    assert.match(reply, /does not offer STARTTLS/);
    assert.equal(sink.messages.length, 0);
  });
});

Deno.test("TLSA records not DNSSEC-authenticated are ignored (RFC 7672 §2.2): WebPKI rules apply", async () => {
  // Verified TLS is required and the sink's certificate is untrusted: without DANE, verification
  // fails and the delivery is deferred; the matching but unauthenticated record does not rescue it.
  await scenario({ cert: mx1, records: [tlsa(mx1.cert, 3, 1, 1)], requireTls: true }, ({ status }) => {
    assert.equal(status, "delivered", "control: the same record, authenticated");
  });
  await scenario(
    { cert: mx1, records: [tlsa(mx1.cert, 3, 1, 1)], authenticated: false, requireTls: true },
    ({ status, sink }) => {
      assert.equal(status, "deferred");
      assert.equal(sink.messages.length, 0);
    },
  );
});
