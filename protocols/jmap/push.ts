/**
 * JMAP push over EventSource (RFC 8620 §7.3): `state` events carrying StateChange objects
 * (§7.1) whenever a data type of the account changes, whatever protocol made the change, and
 * `ping` events at the requested interval.
 *
 * @module
 */
import type { ChangeType } from "../../core/store/types.ts";
import type { JmapServices } from "./services.ts";
import { followAccounts, type FollowedChange } from "./push_accounts.ts";
import { GENERATION_TYPES, viewState } from "../../core/acl/view_state.ts";

/** Types a client may subscribe to. */
export const PUSH_TYPES: readonly string[] = [
  "Mailbox",
  "Email",
  "EmailDelivery",
  "Thread",
  "EmailSubmission",
  "Identity",
];

/** Parsed EventSource query parameters. */
export interface EventSourceParams {
  /** null means all types ("*"). */
  types: Set<string> | null;
  closeAfterState: boolean;
  /** Seconds between pings; 0 for none. */
  ping: number;
}

/** Parses `types`, `closeafter` and `ping` (RFC 8620 §7.3); null when invalid. */
export function parseEventSourceParams(url: URL): EventSourceParams | null {
  const typesParam = url.searchParams.get("types") ?? "*";
  const closeafter = url.searchParams.get("closeafter") ?? "no";
  const pingParam = url.searchParams.get("ping") ?? "0";
  if (closeafter !== "state" && closeafter !== "no") return null;
  if (!/^\d{1,6}$/.test(pingParam)) return null;
  const types = typesParam === "*"
    ? null
    : new Set(typesParam.split(",").map((t) => t.trim()).filter(Boolean));
  return { types, closeAfterState: closeafter === "state", ping: Number(pingParam) };
}

const encoder = new TextEncoder();

/** Formats one server-sent event (HTML Living Standard §9.2 event stream format). */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * An EventSource response body for an account. It ends when the client goes away, on server
 * shutdown, or after the first state event with `closeafter=state`; `onEnd` runs once when it has
 * ended (the stream caps release their slot).
 */
export function eventSourceStream(
  services: JmapServices,
  accountId: string,
  params: EventSourceParams,
  signals: AbortSignal[],
  onEnd: () => void = () => {},
): ReadableStream<Uint8Array> {
  const store = services.server.store;
  let cleaned = false;
  let cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    onEnd();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      // Types changed per account since the last event (the own account and shared ones).
      let pending = new Map<string, Set<string>>();
      // The user's rights on each shared account as of its last change (their Email and Thread
      // states carry the grant generation, core/acl/view_state.ts).
      const rightsOf = new Map<string, ReadonlyMap<string, string>>();
      let flushing = false;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed by the consumer
        }
      };
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          close();
        }
      };
      const flush = async () => {
        if (flushing) return;
        flushing = true;
        try {
          while (pending.size > 0 && !closed) {
            const accounts = [...pending];
            pending = new Map();
            const changed: Record<string, Record<string, string>> = {};
            for (const [id, types] of accounts) {
              const states: Record<string, string> = {};
              for (const t of types) {
                const type = (t === "EmailDelivery" ? "Email" : t) as ChangeType;
                const state = await store.state(id, type);
                states[t] = GENERATION_TYPES.has(type) ? viewState(state, rightsOf.get(id) ?? null) : state;
              }
              changed[id] = states;
            }
            send(formatEvent("state", { "@type": "StateChange", changed }));
            if (params.closeAfterState) close();
          }
        } catch (error) {
          services.server.log.warn("push state lookup failed", { error: String(error) });
        } finally {
          flushing = false;
        }
      };
      let inboxId: string | null | undefined;
      const wanted = (t: string) => params.types === null || params.types.has(t);
      const onChange = async ({ accountId: id, personal, event, rights }: FollowedChange) => {
        if (rights) rightsOf.set(id, rights);
        const types: string[] = event.types.filter(wanted);
        // RFC 8621 §1.5: EmailDelivery changes only when new mail arrives; Tern counts an Email
        // change touching the Inbox (SMTP delivery, IMAP APPEND) as one.
        if (personal && wanted("EmailDelivery") && event.types.includes("Email")) {
          if (inboxId === undefined) inboxId = (await store.getMailboxByRole(accountId, "inbox"))?.id ?? null;
          if (inboxId !== null && event.mailboxIds.includes(inboxId)) types.push("EmailDelivery");
        }
        if (types.length === 0) return;
        const set = pending.get(id) ?? new Set<string>();
        for (const t of types) set.add(t);
        pending.set(id, set);
        void flush();
      };
      let unsubscribe: (() => void) | null = null;
      const timer = params.ping > 0
        ? setInterval(() => send(formatEvent("ping", { interval: params.ping })), params.ping * 1000)
        : null;
      const onAbort = () => close();
      for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
      cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        onEnd();
        unsubscribe?.();
        if (timer !== null) clearInterval(timer);
        for (const s of signals) s.removeEventListener("abort", onAbort);
      };
      if (signals.some((s) => s.aborted)) return close();
      // RFC 9670: the accounts shared with the user push their state changes too. A comment line
      // opens the stream once every subscription is in place, so clients see it established.
      followAccounts(store, accountId, (change) => void onChange(change)).then((u) => {
        if (cleaned) return u();
        unsubscribe = u;
        send(": tern push\n\n");
      }, (error) => {
        services.server.log.warn("push subscription failed", { error: String(error) });
        close();
      });
    },
    cancel() {
      cleanup();
    },
  });
}
