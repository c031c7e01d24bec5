/**
 * The worker side of `checkpointer.ts`: its own connection to the database file, running WAL
 * checkpoints when the main thread asks, so copying WAL pages into the database and the two
 * fsyncs of a checkpoint never block the event loop that serves connections.
 *
 * Messages in: `{ type: "open", path, busyTimeoutMs, restartFrames, truncateBytes }`, `{ type: "checkpoint", truncate }`,
 * `{ type: "close" }`. Messages out: `{ type: "done", busy, log, checkpointed }` after each
 * checkpoint, `{ type: "error", message }`, `{ type: "closed" }`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** A request from the main thread. */
export type CheckpointRequest =
  | { type: "open"; path: string; busyTimeoutMs: number; restartFrames: number; truncateBytes: number }
  | { type: "checkpoint"; truncate: boolean }
  | { type: "close" };

/** A reply to the main thread. */
export type CheckpointReply =
  | { type: "done"; busy: number; log: number; checkpointed: number }
  | { type: "error"; message: string }
  | { type: "closed" };

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** The worker's global scope (typed here, not through the deno.worker lib, which would leak). */
const scope = globalThis as unknown as {
  postMessage(m: CheckpointReply): void;
  onmessage: ((e: MessageEvent<CheckpointRequest>) => void) | null;
};

let db: DatabaseSync | null = null;
let walPath = "";
let restartFrames = 0;
let truncateBytes = 0;

function reply(r: CheckpointReply): void {
  scope.postMessage(r);
}

function walBytes(): number {
  try {
    return Deno.statSync(walPath).size;
  } catch {
    return 0;
  }
}

function checkpoint(truncate: boolean): CheckpointRow {
  if (!db) throw new Error("checkpoint before open");
  // PASSIVE: copies what it can without waiting for the writer or readers. With synchronous=FULL
  // on this connection the WAL is synced before the copy and the database file after it, so the
  // database never holds a page the WAL had not made durable.
  let r = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as unknown as CheckpointRow;
  if (restartFrames > 0 && r.log >= restartFrames) {
    // Writes kept arriving while we copied, so the WAL never emptied and grew: RESTART waits
    // (busy handler) for the writer, copies the rest and makes the next writer start the WAL over.
    r = db.prepare("PRAGMA wal_checkpoint(RESTART)").get() as unknown as CheckpointRow;
  }
  if (
    truncate && truncateBytes > 0 && r.busy === 0 && r.log === r.checkpointed && walBytes() > truncateBytes
  ) {
    // Caught up after a burst that grew the file, and the writer has gone quiet (`truncate`): give
    // the space back now rather than keep a large WAL until the next write. Not during the burst:
    // TRUNCATE holds the writer back (its BEGIN then sleeps in the busy handler, on the event
    // loop) and the next COMMIT syncs the new WAL header and grows the file again.
    r = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get() as unknown as CheckpointRow;
  }
  return r;
}

scope.onmessage = (e: MessageEvent<CheckpointRequest>) => {
  const m = e.data;
  try {
    if (m.type === "open") {
      db = new DatabaseSync(m.path);
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(m.busyTimeoutMs))}`);
      db.exec("PRAGMA synchronous = FULL");
      walPath = `${m.path}-wal`;
      restartFrames = m.restartFrames;
      truncateBytes = m.truncateBytes;
    } else if (m.type === "checkpoint") {
      const r = checkpoint(m.truncate);
      reply({ type: "done", busy: Number(r.busy), log: Number(r.log), checkpointed: Number(r.checkpointed) });
    } else if (m.type === "close") {
      db?.close();
      db = null;
      reply({ type: "closed" });
    }
  } catch (err) {
    reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
