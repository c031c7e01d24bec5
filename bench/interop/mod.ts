/**
 * Prints the FETCH differential report: every corpus message APPENDed to a throwaway Dovecot and to
 * Tern, every FETCH item compared (see `tests/interop/_fetch_diff.ts`). Not a timing benchmark: it
 * lives here so `deno task bench interop` runs it.
 *
 * Usage: `deno task bench interop`, or directly
 * `deno run -A bench/interop/mod.ts [--baseline] [--diffs N] [--json]`:
 * `--baseline` compares Dovecot with a second Dovecot (the harness's noise floor), `--diffs N`
 * prints N example differences (default 25), `--json` prints every difference as JSON lines.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dovecotMissing, type ImapPeer, startDovecot, startTern } from "../../tests/interop/_dovecot.ts";
import { agreement, corpusFiles, formatReport, runFetchDiff } from "../../tests/interop/_fetch_diff.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      baseline: { type: "boolean", default: false },
      diffs: { type: "string", default: "25" },
      json: { type: "boolean", default: false },
    },
  });
  if (dovecotMissing) {
    console.log(`skipped: ${dovecotMissing}`);
    return 0;
  }
  const files = await corpusFiles();
  if (files.length === 0) {
    console.log("skipped: corpus ../shared/corpus/ absent");
    return 0;
  }
  const a = await startDovecot();
  let b: ImapPeer | null = null;
  try {
    b = values.baseline ? await startDovecot() : await startTern();
    if (values.baseline) b.name = "dovecot-2";
    const started = performance.now();
    const report = await runFetchDiff(a, b, { files });
    if (values.json) {
      for (const d of report.diffs) console.log(JSON.stringify(d));
    }
    console.log(formatReport(report, Number(values.diffs)));
    console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s; agreement ${agreement(report)}%)`);
    return 0;
  } finally {
    await b?.stop();
    await a.stop();
  }
}

if (import.meta.main) Deno.exit(await main());
