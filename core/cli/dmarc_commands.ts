/**
 * `tern dmarc reports` and `tern dmarc report`: the DMARC aggregate reports other receivers sent
 * us (RFC 7489 §7.2), as parsed and kept by the delivery hook (core/mailauth/dmarc_incoming.ts).
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTable } from "./table.ts";

/** The `dmarc` group for `tern --help`. */
export const DMARC_GROUP: GroupSpec = { name: "dmarc", summary: "show received DMARC aggregate reports" };

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};

/** `tern dmarc reports|report`. */
export const DMARC_COMMANDS: CommandSpec[] = [
  {
    path: ["dmarc", "reports"],
    summary: "list received DMARC aggregate reports, newest first",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {
      json: { type: "boolean", help: "print JSON (with every row) instead of a table" },
      limit: { type: "string", arg: "N", help: "show at most N reports (default 50)" },
      "data-dir": DATA_DIR,
    },
    examples: ["tern dmarc reports", "tern dmarc reports --limit 10 --json"],
    async run(ctx: CommandContext) {
      const raw = ctx.values.limit;
      const limit = typeof raw === "string" ? Number(raw) : 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
        throw new CliError("--limit takes a number from 1 to 100000", ExitCode.usage);
      }
      const reports = await ctx.withDirectory(({ store }) => store.dmarc.listReports(limit));
      if (ctx.values.json) ctx.io.out(JSON.stringify(reports, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["RECEIVED", "FROM", "DOMAIN", "PERIOD", "MESSAGES", "PASSED", "REPORT-ID"],
          reports.map((r) => [
            r.received.toISOString(),
            r.orgName,
            r.domain,
            `${r.begin.toISOString().slice(0, 10)}..${r.end.toISOString().slice(0, 10)}`,
            String(r.messages),
            String(r.passed),
            r.reportId,
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["dmarc", "report"],
    summary: "show the rows of one received report (by its report id)",
    args: "REPORT-ID",
    minArgs: 1,
    maxArgs: 1,
    options: { json: { type: "boolean", help: "print JSON instead of a table" }, "data-dir": DATA_DIR },
    examples: ["tern dmarc report 12345678901234567890"],
    async run(ctx: CommandContext) {
      const id = ctx.positionals[0]!;
      const reports = await ctx.withDirectory(({ store }) => store.dmarc.listReports(100_000));
      const r = reports.find((x) => x.reportId === id);
      if (!r) throw new CliError(`No DMARC report "${id}"`);
      if (ctx.values.json) ctx.io.out(JSON.stringify(r, null, 2) + "\n");
      else {
        ctx.io.out(`${r.orgName} about ${r.domain}, ${r.begin.toISOString()} to ${r.end.toISOString()}\n`);
        ctx.io.out(formatTable(
          ["SOURCE-IP", "COUNT", "DISPOSITION", "DKIM", "SPF", "HEADER-FROM", "AUTH-RESULTS"],
          r.rows.map((row) => [
            row.sourceIp,
            String(row.count),
            row.disposition + (row.override ? ` (${row.override})` : ""),
            row.dkim,
            row.spf,
            row.headerFrom,
            [
              ...row.dkimResults.map((d) => `dkim=${d.result} ${d.domain}`),
              `spf=${row.spfResult.result} ${row.spfResult.domain}`,
            ].join("; "),
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
];
