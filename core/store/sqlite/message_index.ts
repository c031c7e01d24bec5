/**
 * What the store derives from a message's bytes: moved to core/store/message_index.ts, shared by
 * every backend; re-exported here for the SQLite modules.
 *
 * @module
 */
export * from "../message_index.ts";
