/**
 * Moving mail in and out: `tern import mbox|maildir|eml-dir|imap ACCOUNT SOURCE`, `tern export
 * ACCOUNT --format mbox|maildir`, `tern backup DEST` and `tern restore SRC`. The formats and the
 * import rules are in core/transfer/; the backup in the store backend.
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";
import { CliError, ExitCode } from "./errors.ts";
import { normalizeAddress } from "./directory_ops.ts";
import { progressReporter } from "./progress.ts";
import { importInto, type ImportReport } from "../transfer/importer.ts";
import { EmlDirSource, MboxSource } from "../transfer/file_sources.ts";
import { MaildirSource, MaildirWriter } from "../transfer/maildir.ts";
import type { ImapSourceOptions } from "../transfer/imap_source.ts";
import { exportItems, senderOf } from "../transfer/exporter.ts";
import { formatMboxMessage } from "../transfer/mbox.ts";
import type { SkippedItem, TransferSource } from "../transfer/types.ts";
import type { Store } from "../store/store.ts";
import type { Account } from "../store/types.ts";
import { restoreStore } from "../store/open.ts";

/** Groups for `tern --help`. */
export const TRANSFER_GROUPS: GroupSpec[] = [
  { name: "import", summary: "import mail from mbox, Maildir, a directory of .eml files or an IMAP server" },
];

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const BATCH: OptionSpec = { type: "string", arg: "N", help: "messages per commit (default 100)" };
const PROGRESS_EVERY: OptionSpec = {
  type: "string",
  arg: "N",
  help: "without a terminal, print a progress line every N messages (default 1000)",
};
const MAX_IMPORT_MESSAGE = 256 * 1024 * 1024;

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

async function account(store: Store, address: string): Promise<Account> {
  const a = await store.getAccountByAddress(normalizeAddress(address));
  if (!a) throw new CliError(`No account "${address}"`);
  return a;
}

async function runImport(
  ctx: CommandContext,
  label: string,
  make: (onSkip: (s: SkippedItem) => void) => TransferSource,
) {
  const batch = str(ctx, "batch");
  const batchSize = batch === undefined ? 100 : Number(batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new CliError("--batch must be a whole number from 1 to 10000", ExitCode.usage);
  }
  const skipped: SkippedItem[] = [];
  const source = make((s) => {
    skipped.push(s);
    ctx.io.err(`skipped (${s.folder.join("/")}): ${s.reason}\n`);
  });
  const every = Number(str(ctx, "progress-every") ?? 1000);
  if (!Number.isInteger(every) || every < 1) {
    throw new CliError("--progress-every must be a positive whole number", ExitCode.usage);
  }
  const progress = progressReporter(ctx.io, label, { lineEvery: every });
  const report: ImportReport = await ctx.withDirectory(async ({ store }) => {
    const target = await account(store, ctx.positionals[0]!);
    const state = () => {
      const p = source.progress();
      return { messages: 0, bytes: p.bytes, totalBytes: p.totalBytes, totalMessages: p.totalMessages };
    };
    const r = await importInto(store, target, source, {
      batchSize,
      onProgress: (p) => progress.update({ ...state(), messages: p.messages }),
    });
    progress.stop({ ...state(), messages: r.imported + r.duplicates });
    return r;
  });
  if (ctx.values.json) {
    ctx.io.out(JSON.stringify({ ...report, skipped: skipped.length }, null, 2) + "\n");
  } else {
    ctx.io.out(
      `Imported ${report.imported} message(s), ${report.duplicates} already present, ${skipped.length} skipped` +
        (report.createdFolders.length ? `; created ${report.createdFolders.join(", ")}` : "") + "\n",
    );
  }
  return ExitCode.ok;
}

const IMPORT_NOTE = "Resumable: running it again imports only what is not there yet (messages are matched " +
  "by their content hash per mailbox). Flags, keywords and internal dates are kept; INBOX and the " +
  "special-use folders (Sent, Drafts, Trash, Junk, Archive) go to the account's own.";

/** The import, export, backup and restore commands. */
export const TRANSFER_COMMANDS: CommandSpec[] = [
  {
    path: ["import", "mbox"],
    summary: "import an mbox file (or a directory of mbox files, one folder each)",
    args: "ACCOUNT SOURCE",
    minArgs: 2,
    maxArgs: 2,
    options: {
      folder: {
        type: "string",
        arg: "NAME",
        help: "folder for a single mbox file (default INBOX; / separates levels)",
      },
      batch: BATCH,
      "progress-every": PROGRESS_EVERY,
      json: { type: "boolean", help: "print the result as JSON" },
      "data-dir": DATA_DIR,
    },
    description: `Reads mboxrd/mboxo files with constant memory. ${IMPORT_NOTE}`,
    examples: [
      "tern import mbox ada@example.com Archive.mbox --folder Archive/2019",
      "tern import mbox ada@example.com ~/Mail",
    ],
    run: (ctx) =>
      runImport(
        ctx,
        "import",
        (onSkip) =>
          new MboxSource(ctx.positionals[1]!, (str(ctx, "folder") ?? "INBOX").split("/").filter(Boolean), {
            maxMessage: MAX_IMPORT_MESSAGE,
            onSkip,
          }),
      ),
  },
  {
    path: ["import", "maildir"],
    summary: "import a Maildir (with Maildir++ or LAYOUT=fs folders)",
    args: "ACCOUNT SOURCE",
    minArgs: 2,
    maxArgs: 2,
    options: {
      batch: BATCH,
      "progress-every": PROGRESS_EVERY,
      json: { type: "boolean", help: "print the result as JSON" },
      "data-dir": DATA_DIR,
    },
    description: `Flags come from the file names (and dovecot-keywords). ${IMPORT_NOTE}`,
    examples: ["tern import maildir ada@example.com ~/Maildir"],
    run: (ctx) =>
      runImport(
        ctx,
        "import",
        (onSkip) => new MaildirSource(ctx.positionals[1]!, { maxMessage: MAX_IMPORT_MESSAGE, onSkip }),
      ),
  },
  {
    path: ["import", "eml-dir"],
    summary: "import a directory tree of .eml files (subdirectories become folders)",
    args: "ACCOUNT SOURCE",
    minArgs: 2,
    maxArgs: 2,
    options: {
      batch: BATCH,
      "progress-every": PROGRESS_EVERY,
      json: { type: "boolean", help: "print the result as JSON" },
      "data-dir": DATA_DIR,
    },
    description:
      `Files at the top go to INBOX; the internal date is the file's modification time. ${IMPORT_NOTE}`,
    examples: ["tern import eml-dir ada@example.com ./exported-mail"],
    run: (ctx) =>
      runImport(
        ctx,
        "import",
        (onSkip) => new EmlDirSource(ctx.positionals[1]!, { maxMessage: MAX_IMPORT_MESSAGE, onSkip }),
      ),
  },
  {
    path: ["import", "imap"],
    summary: "import every folder of an account on another IMAP server",
    args: "ACCOUNT URL",
    minArgs: 2,
    maxArgs: 2,
    options: {
      user: { type: "string", arg: "NAME", help: "login name on the source server (default: ACCOUNT)" },
      "password-stdin": {
        type: "boolean",
        help: "read the source password from standard input instead of prompting",
      },
      insecure: { type: "boolean", help: "do not verify the source server's certificate" },
      batch: BATCH,
      "progress-every": PROGRESS_EVERY,
      json: { type: "boolean", help: "print the result as JSON" },
      "data-dir": DATA_DIR,
    },
    description: "URL is imaps://host[:port] (implicit TLS) or imap://host[:port] (STARTTLS required). " +
      IMPORT_NOTE,
    examples: ["tern import imap ada@example.com imaps://imap.old-provider.example --user ada"],
    async run(ctx) {
      // Loaded on use: the IMAP client's logging dependencies read environment variables at load time,
      // which every other command (and the server) need not be allowed.
      const { ImapSource, parseImapUrl } = await import("../transfer/imap_source.ts");
      const target = parseImapUrl(ctx.positionals[1]!);
      let password: string | null;
      if (ctx.values["password-stdin"]) {
        password = new TextDecoder().decode(await ctx.io.readStdin(4096)).replace(/\r?\n$/, "");
      } else if (ctx.io.stdinIsTerminal()) {
        password = await ctx.io.readSecret("Source server password: ");
      } else {
        throw new CliError("Standard input is not a terminal: pass --password-stdin", ExitCode.usage);
      }
      if (!password) throw new CliError("No password given");
      return await runImport(ctx, "import", (onSkip) =>
        new ImapSource({
          ...(target as Pick<ImapSourceOptions, "host" | "port" | "security">),
          user: str(ctx, "user") ?? ctx.positionals[0]!,
          password: password!,
          verifyCertificate: ctx.values.insecure !== true,
          maxMessage: MAX_IMPORT_MESSAGE,
          onSkip,
        }));
    },
  },
  {
    path: ["export"],
    summary: "export an account's mail as mbox or Maildir",
    args: "ACCOUNT",
    minArgs: 1,
    maxArgs: 1,
    options: {
      format: { type: "string", arg: "FORMAT", help: "mbox (default) or maildir" },
      output: {
        type: "string",
        arg: "PATH",
        help: "directory to write (maildir: required; mbox: one file per folder)",
      },
      folder: {
        type: "string",
        arg: "NAME",
        help: "only this folder (mbox to standard output: default INBOX)",
      },
      "data-dir": DATA_DIR,
    },
    description:
      "mbox without --output writes one folder (mboxrd, with Status/X-Status/X-Keywords) to standard " +
      "output; with --output every folder becomes a file (subfolders in NAME.sbd directories, as Thunderbird " +
      "keeps them). maildir writes a Maildir++ tree with flags in the file names and keywords in " +
      "dovecot-keywords. Both import back with tern import.",
    examples: [
      "tern export ada@example.com > inbox.mbox",
      "tern export ada@example.com --format maildir --output data/export/ada",
    ],
    async run(ctx) {
      const format = str(ctx, "format") ?? "mbox";
      if (format !== "mbox" && format !== "maildir") {
        throw new CliError(`Unknown format "${format}"`, ExitCode.usage);
      }
      const output = str(ctx, "output");
      const folderOpt = str(ctx, "folder");
      if (format === "maildir" && !output) {
        throw new CliError("--format maildir needs --output DIR", ExitCode.usage);
      }
      const folders = folderOpt ? [folderOpt.split("/").filter(Boolean)] : output ? undefined : [["INBOX"]];
      let count = 0;
      await ctx.withDirectory(async ({ store }) => {
        const a = await account(store, ctx.positionals[0]!);
        if (format === "maildir") {
          const writer = new MaildirWriter(output!);
          for await (const item of exportItems(store, a, folders)) {
            await writer.write(item);
            count++;
          }
          await writer.finish();
          return;
        }
        const files = new Map<string, Deno.FsFile>();
        try {
          for await (const item of exportItems(store, a, folders)) {
            const bytes = formatMboxMessage(item.raw, {
              sender: senderOf(item.raw),
              date: item.internalDate ?? new Date(0),
              flags: item.flags,
            });
            if (!output) await ctx.io.outBytes(bytes);
            else {
              const key = item.folder.join("/");
              let f = files.get(key);
              if (!f) {
                const parents = item.folder.slice(0, -1).map((s) => `${s}.sbd`);
                const dir = [output, ...parents].join("/");
                await Deno.mkdir(dir, { recursive: true });
                f = await Deno.open(`${dir}/${item.folder.at(-1)}`, {
                  write: true,
                  create: true,
                  truncate: true,
                });
                files.set(key, f);
              }
              for (let at = 0; at < bytes.length;) at += await f.write(bytes.subarray(at));
            }
            count++;
          }
        } finally {
          for (const f of files.values()) {
            await f.sync();
            f.close();
          }
        }
      });
      ctx.io.err(`Exported ${count} message(s)\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["backup"],
    summary: "write a consistent copy of the database and blobs while the server runs",
    args: "DEST",
    minArgs: 1,
    maxArgs: 1,
    options: { json: { type: "boolean", help: "print the result as JSON" }, "data-dir": DATA_DIR },
    description:
      "DEST must be a new or empty directory. The copy is taken online (a database snapshot, then " +
      "the blob files it references); restore it with tern restore. With the compiled binary, DEST must " +
      "be below the data directory (e.g. data/backups/2026-12-06), the only place it may write.",
    examples: ["tern backup data/backups/$(date +%F)"],
    async run(ctx) {
      const report = await ctx.withDirectory(async ({ store }) => {
        if (!store.backup) {
          throw new CliError("This store backend has no built-in backup (PostgreSQL: use pg_dump)");
        }
        return await store.backup(ctx.positionals[0]!);
      });
      ctx.io.out(
        ctx.values.json
          ? JSON.stringify(report, null, 2) + "\n"
          : `Backed up ${report.messages} message(s), ${report.fileBlobs} blob file(s), ${report.bytes} bytes to ${
            ctx.positionals[0]
          }\n`,
      );
      return ExitCode.ok;
    },
  },
  {
    path: ["restore"],
    summary: "restore a backup into an empty data directory (server stopped)",
    args: "SRC",
    minArgs: 1,
    maxArgs: 1,
    options: { json: { type: "boolean", help: "print the result as JSON" }, "data-dir": DATA_DIR },
    description: "Checks the backup (database integrity, every blob's SHA-256) before copying it into the " +
      "configured data directory, which must not hold a store yet.",
    examples: ["tern restore data/backups/2026-12-06 --data-dir ./data-restored"],
    async run(ctx) {
      const config = await ctx.config();
      const report = await restoreStore(config, ctx.positionals[0]!).catch((e: Error) => {
        throw new CliError(e.message);
      });
      ctx.io.out(
        ctx.values.json
          ? JSON.stringify(report, null, 2) + "\n"
          : `Restored ${report.messages} message(s), ${report.fileBlobs} blob file(s) into ${config.data_dir}\n`,
      );
      return ExitCode.ok;
    },
  },
];
