/**
 * Test support for the write-queue tests: a queue over a fresh database file in a temporary
 * directory, with one table.
 *
 * @module
 */
import { Database } from "./database.ts";
import { MemoryNotifier } from "../notifier.ts";
import { WriteQueue } from "./write_queue.ts";

/**
 * Runs `fn` with a queue over a new database holding `tableSql`'s table; drains the queue, closes
 * the database and removes the directory afterwards. A failing post-commit action is thrown.
 */
export async function withQueue(
  tableSql: string,
  fn: (q: WriteQueue, db: Database) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-write-queue-" });
  const db = Database.open(`${dir}/t.db`);
  db.exec(tableSql);
  const q = new WriteQueue(db, new MemoryNotifier(), (e) => {
    throw e;
  });
  try {
    await fn(q, db);
  } finally {
    await q.drain();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}
