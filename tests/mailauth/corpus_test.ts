/**
 * Every message of ../shared/corpus/ through message authentication (SPF, DKIM, ARC, DMARC) and
 * forged-result removal, once held in memory and once spilled to disk (the stream path): no crash,
 * exactly one Authentication-Results field for our host, and every DKIM-Signature of the message
 * accounted for by a result (the keys are not published, so none may pass).
 */
import assert from "node:assert/strict";
import { systemClock } from "../../core/clock.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { MessageSpool } from "../../core/delivery/spool.ts";
import { CachingDns } from "../../core/dns/cached_resolver.ts";
import { withoutForgedResults } from "../../core/mailauth/forged_results.ts";
import { verifyMessage } from "../../core/mailauth/verify.ts";

const corpusDir = new URL("../../../shared/corpus/", import.meta.url);

function corpusFiles(): string[] {
  try {
    return [...Deno.readDirSync(corpusDir)].filter((e) => e.name.endsWith(".eml")).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

const files = corpusFiles();
const latin1 = new TextDecoder("latin1");

Deno.test({
  name: `mailauth corpus: all ${files.length} messages verify without a crash, in memory and spilled`,
  ignore: files.length === 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tern-mailauth-corpus-" });
    // An empty zone: every lookup is "no such record", as for mail from a domain with nothing published.
    const dns = new CachingDns(new StaticDnsResolver(), systemClock, 300);
    let signed = 0;
    try {
      for (const name of files) {
        const raw = await Deno.readFile(new URL(name, corpusDir));
        const header = latin1.decode(raw.subarray(0, Math.min(raw.length, 256 * 1024)));
        const end = header.search(/\r?\n\r?\n/);
        const signatures =
          (header.slice(0, end === -1 ? undefined : end).match(/^dkim-signature:/gim) ?? []).length;
        if (signatures > 0) signed++;
        for (const threshold of [raw.length + 1, 0]) {
          const spool = new MessageSpool({ dataDir: dir, threshold, maxSize: raw.length + 1 });
          try {
            await spool.append(raw);
            assert.equal(spool.spilled, threshold === 0, name);
            const cleaned = withoutForgedResults(spool, "mx.test");
            const out = await verifyMessage(
              cleaned,
              {
                ip: "192.0.2.1",
                helo: "client.example",
                sender: "someone@example.com",
              },
              dns,
              { hostname: "mx.test", spf: true, dkim: true, dmarc: true, arc: true, maxLookups: 50 },
            );
            const ars = out.fields.match(/^Authentication-Results:/gim) ?? [];
            assert.equal(ars.length, 1, name);
            assert.match(out.fields, /^Authentication-Results: mx\.test;/m, name);
            assert.equal(out.spf, "none", name);
            assert.ok(
              out.dkim.length >= signatures,
              `${name}: ${out.dkim.length} results, ${signatures} signatures`,
            );
            assert.ok(out.dkim.every((k) => k.result !== "pass"), name);
          } finally {
            await spool.discard();
          }
        }
      }
      assert.ok(signed > 0, "the corpus has DKIM-signed messages");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
