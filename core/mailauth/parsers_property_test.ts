/**
 * Properties of the pure parsers of core/mailauth over arbitrary input (fast-check): none throws,
 * forged-result removal only ever removes whole fields, and a received report never yields
 * negative counts.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { authservId, stripForgedResults } from "./forged_results.ts";
import { parseAggregateReport } from "./dmarc_incoming.ts";
import { dnsListName, isListing } from "../policy/dnsbl.ts";
import { checkHelo } from "../policy/helo_check.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

const fieldName = fc.constantFrom(
  "Authentication-Results",
  "authentication-results ",
  "Received",
  "Subject",
  "X-A",
);
const field = fc.tuple(fieldName, fc.string({ maxLength: 60 }), fc.boolean()).map(([n, v, folded]) =>
  `${n}:${v.replace(/[\r\n]/g, " ")}${folded ? "\r\n\tmore" : ""}\r\n`
);

Deno.test("property: forged-result removal keeps every other field byte for byte", () => {
  fc.assert(
    fc.property(
      fc.array(field, { maxLength: 12 }),
      fc.constantFrom("mx.test", "other.test"),
      (fields, id) => {
        const header = fields.join("") + "\r\n";
        const out = stripForgedResults(enc.encode(header), id);
        const kept = fields.filter((f) =>
          !(/^authentication-results\s*:/i.test(f) && authservId(f.slice(f.indexOf(":") + 1)) === id)
        );
        if (kept.length === fields.length) assert.equal(out, null);
        else assert.equal(dec.decode(out!), kept.join("") + "\r\n");
      },
    ),
  );
});

Deno.test("property: the parsers never throw on arbitrary input", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => {
      authservId(s);
      checkHelo(s, "192.0.2.1", ["mx.test"]);
      dnsListName(s, "bl.test");
      isListing({ zone: "z" }, s);
      const r = parseAggregateReport(s, new Date(0));
      const wrapped = parseAggregateReport(
        `<feedback><report_metadata><org_name>o</org_name><report_id>${s}</report_id><date_range><begin>1</begin>` +
          `<end>2</end></date_range></report_metadata><policy_published><domain>d</domain></policy_published>` +
          `<record><row><source_ip>${s}</source_ip><count>${s}</count></row></record></feedback>`,
        new Date(0),
      );
      for (const rep of [r, wrapped]) {
        if (rep) assert.ok(rep.messages >= 0 && rep.rows.every((x) => x.count >= 0));
      }
    }),
  );
});
