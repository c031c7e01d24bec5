/**
 * Maildir (the cr.yp.to format with Courier/Dovecot's Maildir++ folders): reading a tree of
 * messages and writing one. A message file's name ends in `:2,` and its flag letters (D draft, F
 * flagged, P passed, R replied, S seen, T trashed, lowercase letters = keywords listed in
 * `dovecot-keywords`); its modification time is the internal date. Folders are `.A.B` directories
 * beside `cur/` (Maildir++), or nested directories holding `cur/` (Dovecot's LAYOUT=fs).
 *
 * @module
 */
import { lfToCrlf } from "../mime/line_endings.ts";
import type { SkippedItem, SourceProgress, TransferItem, TransferSource } from "./types.ts";

const LETTER_FLAG: Record<string, string> = {
  D: "\\Draft",
  F: "\\Flagged",
  P: "$Forwarded",
  R: "\\Answered",
  S: "\\Seen",
  T: "\\Deleted",
};

/** One maildir folder found in a tree. */
export interface MaildirFolder {
  folder: string[];
  dir: string;
}

async function isMaildir(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dir}/cur`)).isDirectory;
  } catch {
    return false;
  }
}

/** The folders of a maildir tree: the root as INBOX, Maildir++ `.A.B` folders, LAYOUT=fs subdirectories. */
export async function maildirFolders(root: string): Promise<MaildirFolder[]> {
  const out: MaildirFolder[] = [];
  const walk = async (dir: string, prefix: string[]) => {
    if (await isMaildir(dir)) out.push({ folder: prefix.length ? prefix : ["INBOX"], dir });
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) names.push(e.name);
    names.sort();
    for (const name of names) {
      if (name === "cur" || name === "new" || name === "tmp") continue;
      if (name.startsWith(".") && prefix.length === 0) {
        // Maildir++: ".A.B" is folder A/B (only at the root).
        const segments = name.slice(1).split(".").filter(Boolean);
        if (segments.length && await isMaildir(`${dir}/${name}`)) {
          out.push({ folder: segments, dir: `${dir}/${name}` });
        }
        continue;
      }
      if (!name.startsWith(".")) await walk(`${dir}/${name}`, [...prefix, name]);
    }
  };
  await walk(root.replace(/\/+$/, ""), []);
  return out;
}

/** Dovecot's `dovecot-keywords` file: index → keyword (letters a–z stand for 0–25). */
async function readKeywords(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for (const line of (await Deno.readTextFile(`${dir}/dovecot-keywords`)).split("\n")) {
      const m = /^(\d+) (\S+)$/.exec(line.trim());
      if (m) names[Number(m[1])] = m[2]!;
    }
  } catch {
    // no keywords file
  }
  return names;
}

/** Flags from a maildir file name (`unique:2,FRS` or Dovecot's `!2,` variant). */
export function flagsFromName(name: string, keywords: string[]): string[] {
  const m = /[:!]2,([A-Za-z]*)$/.exec(name);
  if (!m) return [];
  const flags: string[] = [];
  for (const c of m[1]!) {
    const f = LETTER_FLAG[c];
    if (f) flags.push(f);
    else if (c >= "a" && c <= "z") {
      const k = keywords[c.charCodeAt(0) - 97];
      if (k) flags.push(k);
    }
  }
  return flags;
}

/** Reads a maildir tree; `maxMessage` bounds the size of a message read (larger ones are skipped). */
export class MaildirSource implements TransferSource {
  readonly #root: string;
  readonly #maxMessage: number;
  readonly #onSkip: (s: SkippedItem) => void;
  #bytes = 0;
  #total: number | undefined;

  /**
   * @param root the maildir (or the directory holding Maildir++ folders)
   * @param opts size bound and where skipped messages are reported
   */
  constructor(root: string, opts: { maxMessage: number; onSkip?: (s: SkippedItem) => void }) {
    this.#root = root;
    this.#maxMessage = opts.maxMessage;
    this.#onSkip = opts.onSkip ?? (() => {});
  }

  /** Bytes read so far and the message count (known once reading started). */
  progress(): SourceProgress {
    return { bytes: this.#bytes, totalMessages: this.#total };
  }

  /** Messages folder by folder, `cur/` then `new/`, by file name. */
  async *items(): AsyncGenerator<TransferItem> {
    const folders = await maildirFolders(this.#root);
    const files: { folder: MaildirFolder; path: string; name: string }[][] = [];
    let total = 0;
    for (const folder of folders) {
      const list: { folder: MaildirFolder; path: string; name: string }[] = [];
      for (const sub of ["cur", "new"]) {
        const names: string[] = [];
        try {
          for await (const e of Deno.readDir(`${folder.dir}/${sub}`)) {
            if (e.isFile && !e.name.startsWith(".")) names.push(e.name);
          }
        } catch {
          continue;
        }
        names.sort();
        for (const name of names) list.push({ folder, path: `${folder.dir}/${sub}/${name}`, name });
      }
      total += list.length;
      files.push(list);
    }
    this.#total = total;
    for (const list of files) {
      const keywords = list.length ? await readKeywords(list[0]!.folder.dir) : [];
      for (const f of list) {
        let info: Deno.FileInfo;
        try {
          info = await Deno.stat(f.path);
        } catch {
          continue; // moved or deleted since the listing
        }
        if (info.size > this.#maxMessage) {
          this.#onSkip({
            folder: f.folder.folder,
            reason: `${f.name}: larger than ${this.#maxMessage} bytes`,
          });
          continue;
        }
        const raw = await Deno.readFile(f.path);
        this.#bytes += raw.length;
        yield {
          folder: f.folder.folder,
          raw: lfToCrlf(raw),
          flags: flagsFromName(f.name, keywords),
          internalDate: info.mtime ?? undefined,
        };
      }
    }
  }
}

/** Writes messages into a Maildir++ tree (INBOX at the root, other folders as `.A.B`). */
export class MaildirWriter {
  readonly #root: string;
  readonly #keywords = new Map<string, string[]>();
  #seq = 0;

  /** @param root the directory to create the maildir in */
  constructor(root: string) {
    this.#root = root.replace(/\/+$/, "");
  }

  #dir(folder: string[]): string {
    const isInbox = folder.length === 1 && folder[0]!.toUpperCase() === "INBOX";
    // Maildir++ folder names use "." as the separator; a "." inside a name becomes "_".
    return isInbox
      ? this.#root
      : `${this.#root}/.${folder.map((s) => s.replaceAll(".", "_").replaceAll("/", "_")).join(".")}`;
  }

  /** Adds one message; written to tmp/, then renamed into cur/ with its flags. */
  async write(item: TransferItem): Promise<void> {
    const dir = this.#dir(item.folder);
    for (const sub of ["cur", "new", "tmp"]) await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    if (dir !== this.#root) await Deno.writeFile(`${dir}/maildirfolder`, new Uint8Array());
    const keywords = this.#keywords.get(dir) ?? [];
    let letters = "";
    const system: Record<string, string> = {
      "\\draft": "D",
      "\\flagged": "F",
      "$forwarded": "P",
      "\\answered": "R",
      "\\seen": "S",
      "\\deleted": "T",
    };
    for (const f of item.flags) {
      const l = system[f.toLowerCase()];
      if (l) letters += l;
      else if (!f.startsWith("\\")) {
        let i = keywords.indexOf(f);
        if (i === -1 && keywords.length < 26) {
          keywords.push(f);
          i = keywords.length - 1;
        }
        if (i !== -1) letters += String.fromCharCode(97 + i);
      }
    }
    this.#keywords.set(dir, keywords);
    // The info letters are in ASCII order (maildir spec).
    const info = [...letters].sort().join("");
    const time = Math.floor((item.internalDate ?? new Date()).getTime() / 1000);
    const unique = `${time}.M${++this.#seq}P${Deno.pid}.tern`;
    const tmp = `${dir}/tmp/${unique}`;
    await Deno.writeFile(tmp, item.raw);
    if (item.internalDate) await Deno.utime(tmp, item.internalDate, item.internalDate);
    await Deno.rename(tmp, `${dir}/cur/${unique}:2,${info}`);
  }

  /** Writes each folder's `dovecot-keywords` file. */
  async finish(): Promise<void> {
    for (const [dir, keywords] of this.#keywords) {
      if (keywords.length === 0) continue;
      await Deno.writeTextFile(`${dir}/dovecot-keywords`, keywords.map((k, i) => `${i} ${k}\n`).join(""));
    }
  }
}
