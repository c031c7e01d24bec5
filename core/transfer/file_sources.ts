/**
 * File-based import sources: one mbox file, a directory of mbox files (mutt's `~/Mail`,
 * Thunderbird's `Mail/` with its `.sbd` subfolder directories), and a directory tree of `.eml`
 * files (folder = relative directory).
 *
 * @module
 */
import { lfToCrlf } from "../mime/line_endings.ts";
import { readMbox } from "./mbox.ts";
import type { SkippedItem, SourceProgress, TransferItem, TransferSource } from "./types.ts";

/** Options every file source takes. */
export interface FileSourceOptions {
  /** Messages larger than this are skipped (reported through `onSkip`). */
  maxMessage: number;
  onSkip?: (s: SkippedItem) => void;
}

/** The mbox files of a directory tree with their folder paths (Thunderbird's `X.sbd/` holds X's children). */
async function mboxFiles(root: string): Promise<{ path: string; folder: string[]; size: number }[]> {
  const out: { path: string; folder: string[]; size: number }[] = [];
  const walk = async (dir: string, prefix: string[]) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) {
        await walk(path, [...prefix, e.name.replace(/\.sbd$/, "")]);
      } else if (e.isFile && !/\.(msf|dat|json|sqlite|html)$/i.test(e.name)) {
        out.push({
          path,
          folder: [...prefix, e.name.replace(/\.mbox$/i, "")],
          size: (await Deno.stat(path)).size,
        });
      }
    }
  };
  await walk(root.replace(/\/+$/, ""), []);
  return out;
}

/** An mbox file (into `folder`, default INBOX) or a directory of mbox files (one folder each). */
export class MboxSource implements TransferSource {
  readonly #path: string;
  readonly #folder: string[];
  readonly #opts: FileSourceOptions;
  #bytes = 0;
  #total: number | undefined;

  /**
   * @param path an mbox file or a directory of them
   * @param folder the folder for a single file
   * @param opts size bound and skip reporting
   */
  constructor(path: string, folder: string[], opts: FileSourceOptions) {
    this.#path = path;
    this.#folder = folder;
    this.#opts = opts;
  }

  /** Bytes read against the files' total size. */
  progress(): SourceProgress {
    return { bytes: this.#bytes, totalBytes: this.#total };
  }

  /** Messages file by file. */
  async *items(): AsyncGenerator<TransferItem> {
    const info = await Deno.stat(this.#path);
    const files = info.isDirectory
      ? await mboxFiles(this.#path)
      : [{ path: this.#path, folder: this.#folder, size: info.size }];
    this.#total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      const file = await Deno.open(f.path);
      try {
        yield* readMbox(file.readable, {
          folder: f.folder,
          maxMessage: this.#opts.maxMessage,
          onBytes: (n) => this.#bytes += n,
          onSkip: this.#opts.onSkip,
        });
      } finally {
        try {
          file.close();
        } catch {
          // the readable stream closed it
        }
      }
    }
  }
}

/** A directory tree of `.eml` files; the internal date is the file's modification time. */
export class EmlDirSource implements TransferSource {
  readonly #root: string;
  readonly #opts: FileSourceOptions;
  #bytes = 0;
  #total: number | undefined;

  /**
   * @param root the directory
   * @param opts size bound and skip reporting
   */
  constructor(root: string, opts: FileSourceOptions) {
    this.#root = root.replace(/\/+$/, "");
    this.#opts = opts;
  }

  /** Bytes read and the number of files. */
  progress(): SourceProgress {
    return { bytes: this.#bytes, totalMessages: this.#total };
  }

  /** Messages in path order; the top directory's files go to INBOX. */
  async *items(): AsyncGenerator<TransferItem> {
    const files: { path: string; folder: string[] }[] = [];
    const walk = async (dir: string, prefix: string[]) => {
      const entries: Deno.DirEntry[] = [];
      for await (const e of Deno.readDir(dir)) entries.push(e);
      entries.sort((a, b) => a.name < b.name ? -1 : 1);
      for (const e of entries) {
        if (e.name.startsWith(".")) continue;
        if (e.isDirectory) await walk(`${dir}/${e.name}`, [...prefix, e.name]);
        else if (e.isFile && /\.eml$/i.test(e.name)) {
          files.push({ path: `${dir}/${e.name}`, folder: prefix.length ? prefix : ["INBOX"] });
        }
      }
    };
    await walk(this.#root, []);
    this.#total = files.length;
    for (const f of files) {
      const info = await Deno.stat(f.path);
      if (info.size > this.#opts.maxMessage) {
        this.#opts.onSkip?.({
          folder: f.folder,
          reason: `${f.path}: larger than ${this.#opts.maxMessage} bytes`,
        });
        continue;
      }
      const raw = await Deno.readFile(f.path);
      this.#bytes += raw.length;
      yield { folder: f.folder, raw: lfToCrlf(raw), flags: [], internalDate: info.mtime ?? undefined };
    }
  }
}
