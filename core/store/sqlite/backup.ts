/**
 * Online backup and restore of the SQLite backend: SQLite's online backup API takes a consistent
 * copy of the database (the server keeps running and writing), then the blob files the
 * snapshot references are copied. A blob deleted by the running server between the snapshot and
 * its copy means that snapshot is already stale for that message, so a new snapshot is taken and
 * only the blobs not yet copied are copied, until one snapshot's blobs are all present. Blob files
 * never change once written (content-addressed), so a copied file stays valid. A blob's file is
 * plain or compressed (`<hash>.z`, fs_blob_store.ts): whichever forms exist are copied, and
 * restore checks the SHA-256 of the raw bytes (a compressed file is inflated first).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Database } from "./database.ts";
import { BLOB_ID_RE } from "../blob_store.ts";
import { blobFileBytes, blobFileNames } from "../fs_blob_store.ts";
import type { BackupReport } from "../backup.ts";

/** The names (relative to a blobs directory) of a blob's files that exist there. */
async function existingFiles(dir: string, hash: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of blobFileNames(hash)) if (await exists(`${dir}/${name}`)) found.push(name);
  return found;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const f = await Deno.open(path, { read: true, write: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

async function fsyncDir(path: string): Promise<void> {
  try {
    const f = await Deno.open(path, { read: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
  } catch {
    // some platforms cannot open a directory for syncing
  }
}

/** The hashes of blobs kept as files (not inline in `blob_data`) that a database references. */
function fileBlobs(path: string): { hashes: string[]; messages: number } {
  const db = Database.open(path);
  try {
    const inline =
      db.get<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'blob_data'")?.n ?? 0;
    const rows = db.all<{ hash: string }>(
      inline
        ? "SELECT hash FROM blobs WHERE hash NOT IN (SELECT hash FROM blob_data)"
        : "SELECT hash FROM blobs",
    );
    const messages = db.get<{ n: number }>("SELECT count(*) AS n FROM messages")?.n ?? 0;
    return { hashes: rows.map((r) => r.hash).filter((h) => BLOB_ID_RE.test(h)), messages };
  } finally {
    db.close();
  }
}

/**
 * Writes a consistent copy of the store (`database`, blob files under `blobsDir`) to `dest` (which must not hold a backup):
 * `dest/tern.db` and `dest/blobs/`. Safe while the server runs.
 */
export async function backupSqlite(
  database: Database,
  blobsDir: string,
  dest: string,
): Promise<BackupReport> {
  const target = dest.replace(/\/+$/, "");
  if (await exists(`${target}/tern.db`)) throw new Error(`${target} already holds a backup (tern.db)`);
  await Deno.mkdir(`${target}/blobs`, { recursive: true });
  const snapshot = `${target}/tern.db.partial`;
  const copied = new Set<string>();
  let bytes = 0;
  for (let round = 1; round <= 10; round++) {
    await Deno.remove(snapshot).catch(() => {});
    // SQLite's online backup: a consistent copy of every committed write at its end.
    await database.backupTo(snapshot);
    const { hashes, messages } = fileBlobs(snapshot);
    const missing: string[] = [];
    for (const hash of hashes) {
      if (copied.has(hash)) continue;
      await Deno.mkdir(`${target}/blobs/${hash.slice(0, 2)}`, { recursive: true });
      let found = 0;
      for (const name of blobFileNames(hash)) {
        const to = `${target}/blobs/${name}`;
        try {
          await Deno.copyFile(`${blobsDir}/${name}`, to);
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) continue;
          throw e;
        }
        await fsyncFile(to);
        bytes += (await Deno.stat(to)).size;
        found++;
      }
      if (found === 0) {
        missing.push(hash);
        continue;
      }
      copied.add(hash);
    }
    if (missing.length === 0) {
      await fsyncFile(snapshot);
      await Deno.rename(snapshot, `${target}/tern.db`);
      await fsyncDir(target);
      const report: BackupReport = {
        created: new Date().toISOString(),
        messages,
        fileBlobs: hashes.length,
        bytes: bytes + (await Deno.stat(`${target}/tern.db`)).size,
        rounds: round,
      };
      await Deno.writeTextFile(
        `${target}/backup.json`,
        JSON.stringify({ format: "tern-sqlite-1", ...report }, null, 2) + "\n",
      );
      return report;
    }
  }
  throw new Error("the store changed too fast to take a consistent backup (10 snapshots); try again");
}

/**
 * Restores a backup made by `backupSqlite` into an empty data directory: checks the database's
 * integrity and every referenced blob file's SHA-256 first, then copies both in.
 */
export async function restoreSqlite(src: string, dataDir: string): Promise<BackupReport> {
  const from = src.replace(/\/+$/, "");
  const to = dataDir.replace(/\/+$/, "");
  if (!(await exists(`${from}/tern.db`))) throw new Error(`${from} is not a Tern backup (no tern.db)`);
  if (await exists(`${to}/tern.db`)) {
    throw new Error(`${to} already holds a store (tern.db): restore into an empty data directory`);
  }
  const check = Database.open(`${from}/tern.db`);
  try {
    const ok = check.get<{ integrity_check: string }>("PRAGMA integrity_check")?.integrity_check;
    if (ok !== "ok") throw new Error(`the backup's database is damaged: ${ok}`);
  } finally {
    check.close();
  }
  const { hashes, messages } = fileBlobs(`${from}/tern.db`);
  const files = new Map<string, string[]>();
  for (const hash of hashes) {
    const names = await existingFiles(`${from}/blobs`, hash);
    if (names.length === 0) throw new Error(`the backup lacks blob ${hash}`);
    for (const name of names) {
      // The SHA-256 of the raw bytes: a compressed file is inflated first.
      let data: Uint8Array;
      try {
        data = blobFileBytes(name, await Deno.readFile(`${from}/blobs/${name}`));
      } catch {
        throw new Error(`blob ${hash} of the backup is damaged`);
      }
      if (createHash("sha256").update(data).digest("hex") !== hash) {
        throw new Error(`blob ${hash} of the backup is damaged`);
      }
    }
    files.set(hash, names);
  }
  await Deno.mkdir(`${to}/blobs`, { recursive: true });
  let bytes = 0;
  for (const [hash, names] of files) {
    await Deno.mkdir(`${to}/blobs/${hash.slice(0, 2)}`, { recursive: true });
    for (const name of names) {
      const target = `${to}/blobs/${name}`;
      await Deno.copyFile(`${from}/blobs/${name}`, target);
      await fsyncFile(target);
      bytes += (await Deno.stat(target)).size;
    }
  }
  // The database last: a data directory without tern.db is an unfinished restore, never a store.
  await Deno.copyFile(`${from}/tern.db`, `${to}/tern.db.partial`);
  await fsyncFile(`${to}/tern.db.partial`);
  await Deno.rename(`${to}/tern.db.partial`, `${to}/tern.db`);
  await fsyncDir(to);
  return {
    created: new Date().toISOString(),
    messages,
    fileBlobs: hashes.length,
    bytes: bytes + (await Deno.stat(`${to}/tern.db`)).size,
    rounds: 1,
  };
}
