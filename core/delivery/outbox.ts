/**
 * Rows that commit with a delivered message (the webhook outbox, core/webhooks): the pipeline asks
 * its `DeliveryOutbox` (pipeline.ts) which rows each local account's copy carries, and places the message through
 * a view of the store that attaches them to that account's `NewMessage.outbox`, so the store writes
 * them in the same transaction as the message (all-or-nothing, one fsync).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, AccountId, MessageOutboxEntry, NewMessage } from "../store/types.ts";

/** A local account of the delivery and the envelope addresses that reached it. */
export interface OutboxRecipient {
  account: Account;
  addresses: string[];
}

/**
 * A view of `store` whose `storeMessages` and `addMessages` attach each account's outbox rows to
 * its message (every other member is the store's own). Returns `store` itself when there are none.
 */
export function withOutbox(store: Store, rows: ReadonlyMap<AccountId, readonly MessageOutboxEntry[]>): Store {
  if (rows.size === 0) return store;
  const attach = <T extends Pick<NewMessage, "accountId" | "outbox">>(m: T): T => {
    const extra = rows.get(m.accountId);
    return extra && extra.length > 0 ? { ...m, outbox: [...(m.outbox ?? []), ...extra] } : m;
  };
  const addMessages: Store["addMessages"] = (messages) => store.addMessages(messages.map(attach));
  const storeMessages: Store["storeMessages"] = (raw, messages) =>
    store.storeMessages(raw, messages.map(attach));
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "addMessages") return addMessages;
      if (prop === "storeMessages") return storeMessages;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
