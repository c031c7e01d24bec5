/**
 * FETCH parity with Dovecot: every corpus message (../shared/corpus/, skipped when absent) is
 * APPENDed to a throwaway Dovecot and to Tern with the same flags and INTERNALDATE, and every FETCH
 * item of every message is compared (see `_fetch_diff.ts`). Skipped with a reason when Dovecot is
 * not installed (`apt-get install dovecot-imapd`).
 *
 * The agreement must be at least 99% on all messages, malformed MIME included (the differences
 * left, where the two parsers recover differently, are listed in docs/rfc.md), and on well-formed
 * messages alone.
 */
import assert from "node:assert/strict";
import { dovecotMissing, startDovecot, startTern } from "./_dovecot.ts";
import { agreement, corpusFiles, formatReport, runFetchDiff, wellFormedAgreement } from "./_fetch_diff.ts";

const files = await corpusFiles();
const skip = dovecotMissing ?? (files.length === 0 ? "corpus ../shared/corpus/ absent" : null);
if (skip) console.log(`fetch_diff_test skipped: ${skip}`);

Deno.test({
  name: "FETCH items of every corpus message agree with Dovecot (≥ 99%, malformed MIME included)",
  ignore: skip !== null,
  async fn() {
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const report = await runFetchDiff(dovecot, tern, { files });
      console.log(formatReport(report, 10));
      assert.equal(report.messages, files.length);
      assert.ok(report.total > files.length * 20, `only ${report.total} items compared`);
      assert.ok(
        wellFormedAgreement(report) >= 99,
        `well-formed agreement ${wellFormedAgreement(report)}% < 99%`,
      );
      assert.ok(agreement(report) >= 99, `agreement ${agreement(report)}% < 99%`);
    } finally {
      await tern.stop();
      await dovecot.stop();
    }
  },
});
