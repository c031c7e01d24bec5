/**
 * JMAP push over EventSource (RFC 8620 §7.3): `state` events carrying StateChange objects
 * (§7.1) whenever a data type of the account changes, whatever protocol made the change, and
 * `ping` events at the requested interval.
 *
 * @module
 */
import type { ChangeType } from "../../core/store/types.ts";
import type { ChangeEvent } from "../../core/store/notifier.ts";
import type { JmapServices } from "./services.ts";

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
      let pending: Set<string> = new Set();
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
            const types = [...pending];
            pending = new Set();
            const changed: Record<string, string> = {};
            for (const t of types) {
              changed[t] = await store.state(accountId, (t === "EmailDelivery" ? "Email" : t) as ChangeType);
            }
            send(formatEvent("state", { "@type": "StateChange", changed: { [accountId]: changed } }));
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
      const onChange = async (event: ChangeEvent) => {
        const types: string[] = event.types.filter(wanted);
        // RFC 8621 §1.5: EmailDelivery changes only when new mail arrives; Tern counts an Email
        // change touching the Inbox (SMTP delivery, IMAP APPEND) as one.
        if (wanted("EmailDelivery") && event.types.includes("Email")) {
          if (inboxId === undefined) inboxId = (await store.getMailboxByRole(accountId, "inbox"))?.id ?? null;
          if (inboxId !== null && event.mailboxIds.includes(inboxId)) types.push("EmailDelivery");
        }
        if (types.length === 0) return;
        for (const t of types) pending.add(t);
        void flush();
      };
      const unsubscribe = store.notifier.subscribe(accountId, (event) => void onChange(event));
      const timer = params.ping > 0
        ? setInterval(() => send(formatEvent("ping", { interval: params.ping })), params.ping * 1000)
        : null;
      const onAbort = () => close();
      for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
      cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        onEnd();
        unsubscribe();
        if (timer !== null) clearInterval(timer);
        for (const s of signals) s.removeEventListener("abort", onAbort);
      };
      if (signals.some((s) => s.aborted)) close();
      // A comment line opens the stream at once so clients see the connection as established.
      else send(": tern push\n\n");
    },
    cancel() {
      cleanup();
    },
  });
}
