/**
 * The outbound queue's `QueueStore` on PostgreSQL: messages, per-recipient state and the attempts
 * log (tables in schema.ts); the statements are the shared ones (core/store/records/sql/queue.ts).
 * Every write is one transaction (committed with synchronous_commit on before it resolves).
 *
 * Several Tern processes on one database share the queue's rows; which process delivers a due
 * group is decided by core/queue, not here (see docs/ARCHITECTURE.md, "Adding a store backend").
 *
 * @module
 */
import { SqlQueueStore } from "../../records/sql/queue.ts";
import type { Sql } from "../connection.ts";
import { PgDb } from "./db.ts";

/** The queue's persistent state on PostgreSQL. */
export class PgQueueStore extends SqlQueueStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}
