/**
 * The command table: which commands exist and in which states they are allowed (RFC 9051 §6).
 * The session dispatches only through this table.
 *
 * @module
 */
import type { CommandSpec } from "./types.ts";
import { capability, id, logout, noop } from "./any_state.ts";
import { authenticate, login, starttls } from "./auth.ts";
import {
  create,
  del,
  enable,
  listCommand,
  lsub,
  namespace,
  rename,
  status,
  subscribe,
  unsubscribe,
} from "./mailbox.ts";
import { close, examine, select, unselect } from "./select.ts";
import { append } from "./append.ts";
import { idle } from "./idle.ts";
import { fetch } from "./fetch.ts";
import { store } from "./store.ts";
import { search } from "./search.ts";
import { sort } from "./sort.ts";
import { thread } from "./thread.ts";
import { copy, move } from "./copy_move.ts";
import { expunge } from "./expunge.ts";
import { getQuota, getQuotaRoot, setQuota } from "./quota.ts";
import { compress } from "./compress.ts";
import { deleteacl, getacl, listrights, myrights, setacl } from "./acl.ts";
import { cancelUpdate } from "./context.ts";
import { getMetadata, setMetadata } from "./metadata.ts";
import { notify } from "./notify.ts";

export type { ImapState } from "./types.ts";

/** Command name (with "UID " prefix for UID commands) → spec. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ["CAPABILITY", capability],
  ["NOOP", noop],
  ["LOGOUT", logout],
  ["ID", id],
  ["STARTTLS", starttls],
  ["LOGIN", login],
  ["AUTHENTICATE", authenticate],
  // RFC 4978 §3.
  ["COMPRESS", compress],
  ["ENABLE", enable],
  ["SELECT", select],
  ["EXAMINE", examine],
  ["CREATE", create],
  ["DELETE", del],
  ["RENAME", rename],
  ["SUBSCRIBE", subscribe],
  ["UNSUBSCRIBE", unsubscribe],
  ["LIST", listCommand],
  ["LSUB", lsub],
  ["NAMESPACE", namespace],
  ["STATUS", status],
  ["APPEND", append],
  ["IDLE", idle],
  // RFC 5465 §4.
  ["NOTIFY", notify],
  ["GETQUOTAROOT", getQuotaRoot],
  ["GETQUOTA", getQuota],
  ["SETQUOTA", setQuota],
  // RFC 5464 §4.
  ["GETMETADATA", getMetadata],
  ["SETMETADATA", setMetadata],
  // RFC 4314 §3.
  ["SETACL", setacl],
  ["DELETEACL", deleteacl],
  ["GETACL", getacl],
  ["LISTRIGHTS", listrights],
  ["MYRIGHTS", myrights],
  // CHECK (RFC 3501 §6.4.1, removed in rev2) behaves as NOOP in the selected state.
  ["CHECK", { states: ["selected"], handle: noop.handle }],
  ["CLOSE", close],
  ["UNSELECT", unselect],
  ["EXPUNGE", expunge],
  ["UID EXPUNGE", expunge],
  ["SEARCH", search],
  ["UID SEARCH", search],
  // RFC 5256 §3 (and RFC 5957 DISPLAYFROM/DISPLAYTO).
  ["SORT", sort],
  ["UID SORT", sort],
  // RFC 5267 §4.3.
  ["CANCELUPDATE", cancelUpdate],
  ["THREAD", thread],
  ["UID THREAD", thread],
  ["FETCH", fetch],
  ["UID FETCH", fetch],
  ["STORE", store],
  ["UID STORE", store],
  ["COPY", copy],
  ["UID COPY", copy],
  ["MOVE", move],
  ["UID MOVE", move],
]);
