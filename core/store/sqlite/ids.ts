/**
 * Public ids of the store's rows (`a12`, `m3`, `e7`, `t5`): moved to core/store/ids.ts, shared by
 * every backend; re-exported here for the SQLite modules.
 *
 * @module
 */
export * from "../ids.ts";
