/**
 * The worker side of read_pool.ts: a thread that answers read-only JMAP API requests with its own
 * read-only connection to the server's SQLite store, so that they use a second core while the
 * main thread keeps the HTTP listener, authentication and every write.
 *
 * Each request starts a fresh read snapshot (`Database.endReadScope`): a write acknowledged to any
 * client before the request reached the main thread is committed by then (commits precede
 * acknowledgements), so it is seen. Requests are answered one at a time, in arrival order.
 *
 * Messages in: `{ type: "open", dataDir, config }` first, then arrays of `{ type: "request", id,
 * request, account, client, crash? }` (the worker works out the session state, in the request's
 * snapshot, as the main thread would), and `{ type: "close" }`. Messages out: `{ type: "ready" }`
 * or `{ type: "failed", message }` after open; per request any number of `{ type: "log", id, level,
 * message, fields }`, then `{ type: "response", id, body, summary }` (the Response object's JSON as
 * UTF-8 bytes, transferred rather than copied, and,
 * for the metrics, each method response's name, error type and call id) or `{ type: "fallback", id }`
 * when the request turned out to need a write (the main thread runs it); `{ type: "closed" }`.
 *
 * @module
 */
import type { Config } from "../../core/config/types.ts";
import type { ServerContext } from "../../core/context.ts";
import { systemClock } from "../../core/clock.ts";
import type { AuthService } from "../../core/auth/types.ts";
import type { LogFields, Logger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import type { Store } from "../../core/store/store.ts";
import { openReadOnlyStore } from "../../core/store/open.ts";
import { processRequest } from "./api.ts";
import { MethodError } from "./errors.ts";
import type { MethodEntry } from "./method_context.ts";
import { METHODS } from "./methods/mod.ts";
import type { JmapRequest } from "./request.ts";
import { createJmapServices, type JmapServices } from "./services.ts";
import { READ_ONLY_METHODS } from "./read_methods.ts";
import { sessionState } from "./session_resource.ts";
import { sharedAccounts } from "./mailbox_sharing.ts";

/** A log level the worker forwards. */
export type ReadLogLevel = "debug" | "info" | "warn" | "error";

/** A message from the main thread. */
export type ReadWorkerRequest =
  | { type: "open"; dataDir: string; config: Config }
  | {
    type: "request";
    id: number;
    request: JmapRequest;
    account: Account;
    client: { sessionId: string; remoteAddress: string };
    /** Test hook (read_pool.ts `crashNextRequestForTest`): the worker fails instead of answering. */
    crash?: boolean;
  }
  | { type: "close" };

/** A message to the main thread. */
export type ReadWorkerReply =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "log"; id: number; level: ReadLogLevel; message: string; fields: LogFields }
  | {
    type: "response";
    id: number;
    body: Uint8Array<ArrayBuffer>;
    summary: [string, string | null, string][];
  }
  | { type: "fallback"; id: number }
  | { type: "closed" };

/** The worker's global scope (typed here, not through the deno.worker lib, which would leak). */
const scope = globalThis as unknown as {
  postMessage(m: ReadWorkerReply, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ReadWorkerRequest | ReadWorkerRequest[]>) => void) | null;
  close(): void;
};

/** A logger whose records go to the main thread, which writes them with the request's fields. */
function forwardingLogger(id: number, fields: LogFields = {}): Logger {
  const send = (level: ReadLogLevel) => (message: string, more?: LogFields) =>
    scope.postMessage({ type: "log", id, level, message, fields: { ...fields, ...more } });
  return {
    debug: send("debug"),
    info: send("info"),
    warn: send("warn"),
    error: send("error"),
    with: (more) => forwardingLogger(id, { ...fields, ...more }),
  };
}

/** Logins are the main thread's: the worker's services never authenticate anyone. */
const noAuth: AuthService = {
  verifyPassword: () => Promise.reject(new Error("no authentication in a JMAP read worker")),
  mechanisms: () => [],
  startSasl: () => null,
  deriveSecrets: () => Promise.reject(new Error("no authentication in a JMAP read worker")),
};

/** A write the read-only store refused, or one SQLite refused on the read-only connection. */
function needsWrite(err: unknown): boolean {
  return (err instanceof Error && err.name === "ReadOnlyStoreError") ||
    (err instanceof Error && /attempt to write a readonly database/i.test(err.message));
}

const encoder = new TextEncoder();

/** Set when a method of the request being answered asked for a write. */
let wantedWrite = false;

/**
 * The method table limited to the read-only methods, each noting a write it attempted: the
 * request then goes back to the main thread, which runs it whole (nothing was changed here).
 */
const methods = new Map<string, MethodEntry>();
for (const name of READ_ONLY_METHODS) {
  const entry = METHODS.get(name);
  if (!entry) continue;
  methods.set(name, {
    capability: entry.capability,
    handler: async (args, ctx) => {
      try {
        return await entry.handler(args, ctx);
      } catch (err) {
        if (!needsWrite(err)) throw err;
        wantedWrite = true;
        throw new MethodError("serverFail");
      }
    },
  });
}

let store: Store | null = null;
let services: JmapServices | null = null;
const queue: ReadWorkerRequest[] = [];
let running = false;

async function open(dataDir: string, config: Config): Promise<void> {
  try {
    store = await openReadOnlyStore(dataDir);
    const server: ServerContext = {
      config,
      store,
      auth: noAuth,
      log: forwardingLogger(0),
      clock: systemClock,
    };
    services = createJmapServices(server);
    scope.postMessage({ type: "ready" });
  } catch (err) {
    scope.postMessage({ type: "failed", message: (err as Error)?.message ?? String(err) });
  }
}

async function answer(m: Extract<ReadWorkerRequest, { type: "request" }>): Promise<void> {
  if (m.crash) {
    // Test hook: an uncaught error ends this worker; the pool replaces it.
    queueMicrotask(() => {
      throw new Error("JMAP read worker crash (test hook)");
    });
    await new Promise<never>(() => {});
  }
  if (!services || !store || !m.request.methodCalls.every(([name]) => methods.has(name))) {
    scope.postMessage({ type: "fallback", id: m.id });
    return;
  }
  // A fresh snapshot: every commit made before the request arrived is seen.
  store.freshRead?.();
  wantedWrite = false;
  const refused = store.refusedWrites ?? 0;
  const config = services.server.config;
  const state = sessionState(m.account, config, await sharedAccounts(store, m.account.id));
  const response = await processRequest(
    m.request,
    services,
    m.account,
    forwardingLogger(m.id),
    state,
    m.client,
    methods,
  );
  // A write was refused (its error may have become a per-object result): main runs it whole.
  if (wantedWrite || (store.refusedWrites ?? 0) !== refused) {
    scope.postMessage({ type: "fallback", id: m.id });
    return;
  }
  const summary: [string, string | null, string][] = response.methodResponses.map(([name, args, callId]) => [
    name,
    name === "error" && typeof args.type === "string" ? args.type : null,
    callId,
  ]);
  // Encoded here and transferred: the main thread neither copies nor encodes the text.
  const body = encoder.encode(JSON.stringify(response));
  scope.postMessage({ type: "response", id: m.id, body, summary }, [body.buffer]);
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
      if (m.type === "open") await open(m.dataDir, m.config);
      else if (m.type === "request") {
        try {
          await answer(m);
        } catch (err) {
          forwardingLogger(m.id).error("JMAP read worker failed", { error: String(err) });
          scope.postMessage({ type: "fallback", id: m.id });
        }
      } else {
        await store?.close().catch(() => {});
        store = null;
        scope.postMessage({ type: "closed" });
        scope.close();
        return;
      }
    }
  } finally {
    running = false;
  }
}

scope.onmessage = (e) => {
  // The main thread posts the requests of one event-loop turn together (read_pool.ts `#send`).
  if (Array.isArray(e.data)) queue.push(...e.data);
  else queue.push(e.data);
  void drain();
};
