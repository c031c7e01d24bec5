/**
 * JMAP over WebSocket (RFC 8887): Request objects in, Response/RequestError objects out, and
 * StateChange push after `WebSocketPushEnable`. The HTTP upgrade is authenticated like any other
 * request; the socket then acts as that account.
 *
 * @module
 */
import type { Account } from "../../core/store/types.ts";
import type { Logger } from "../../core/log/logger.ts";
import { followAccounts, type FollowedChange } from "./push_accounts.ts";
import { GENERATION_TYPES, viewState } from "../../core/acl/view_state.ts";
import type { ChangeType } from "../../core/store/types.ts";
import { ProblemError, ProblemType } from "./errors.ts";
import { parseRequestText, validateRequest } from "./request.ts";
import { checkRequest, processRequest } from "./api.ts";
import type { JmapServices } from "./services.ts";
import { PUSH_TYPES } from "./push.ts";
import type { UpgradedSocket } from "../../core/net/https_server.ts";

/** The WebSocket capability URI (RFC 8887 §4.1). */
export const WEBSOCKET_CAPABILITY = "urn:ietf:params:jmap:websocket";

/** Runs a JMAP WebSocket session on an accepted socket until it closes; then `onEnd` runs once. */
export function serveJmapWebSocket(
  socket: UpgradedSocket,
  services: JmapServices,
  account: Account,
  log: Logger,
  sessionState: string,
  client: { sessionId: string; remoteAddress: string },
  shutdown: AbortSignal | undefined,
  onEnd: () => void = () => {},
): void {
  const store = services.server.store;
  let unsubscribe: (() => void) | null = null;
  let pushTypes: Set<string> | null = null;
  let chain = Promise.resolve();
  const send = (value: unknown) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(value));
  };
  const requestError = (e: ProblemError, requestId?: unknown) => {
    const body: Record<string, unknown> = { "@type": "RequestError", ...e.toJSON() };
    if (typeof requestId === "string") body.requestId = requestId;
    send(body);
  };
  const onChange = async ({ accountId, event, rights }: FollowedChange) => {
    const types = event.types.filter((t) => pushTypes === null || pushTypes.has(t));
    if (types.length === 0) return;
    const changed: Record<string, string> = {};
    for (const t of types) {
      const state = await store.state(accountId, t as ChangeType);
      // A shared account's Email and Thread states carry the grant generation (core/acl/view_state.ts).
      changed[t] = GENERATION_TYPES.has(t) ? viewState(state, rights) : state;
    }
    send({ "@type": "StateChange", changed: { [accountId]: changed } });
  };
  const handle = async (text: string) => {
    if (text.length > services.limits.maxSizeRequest) {
      return requestError(
        new ProblemError(400, ProblemType.limit, "The request exceeds maxSizeRequest.", "maxSizeRequest"),
      );
    }
    let msg: Record<string, unknown>;
    try {
      // RFC 8620 §3.6.1: nesting beyond jmap.max_json_depth is notRequest, checked before parsing.
      const value = parseRequestText(text, services.server.config.jmap.max_json_depth);
      if (typeof value !== "object" || value === null) throw new Error();
      msg = value as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ProblemError && error.type === ProblemType.notRequest) return requestError(error);
      return requestError(new ProblemError(400, ProblemType.notJSON, "The message is not JSON."));
    }
    switch (msg["@type"]) {
      case "Request":
        try {
          const request = validateRequest(msg);
          checkRequest(request, services);
          const response = await processRequest(request, services, account, log, sessionState, client);
          const out: Record<string, unknown> = { "@type": "Response", ...response };
          if (typeof msg.id === "string") out.requestId = msg.id;
          send(out);
        } catch (error) {
          if (error instanceof ProblemError) requestError(error, msg.id);
          else throw error;
        }
        return;
      case "WebSocketPushEnable": {
        const types = Array.isArray(msg.dataTypes)
          ? msg.dataTypes.filter((t) => PUSH_TYPES.includes(t))
          : null;
        pushTypes = types ? new Set(types as string[]) : null;
        // RFC 9670: the accounts shared with the user push their state changes too.
        if (!unsubscribe) {
          const u = await followAccounts(store, account.id, (c) => void onChange(c));
          if (ended || unsubscribe) u();
          else unsubscribe = u;
        }
        return;
      }
      case "WebSocketPushDisable":
        unsubscribe?.();
        unsubscribe = null;
        return;
      default:
        return requestError(
          new ProblemError(400, ProblemType.notRequest, 'Unknown or missing "@type".'),
          msg.id,
        );
    }
  };
  let ended = false;
  const close = () => {
    unsubscribe?.();
    unsubscribe = null;
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  const onShutdown = () => socket.close(1001, "Server shutting down");
  shutdown?.addEventListener("abort", onShutdown, { once: true });
  socket.onmessage = (e) => {
    const text = typeof e.data === "string" ? e.data : null;
    if (text === null) {
      requestError(new ProblemError(400, ProblemType.notJSON, "Binary messages are not JMAP."));
      return;
    }
    // Requests on one socket are answered in order.
    chain = chain.then(() => handle(text)).catch((error) => {
      log.error("JMAP WebSocket request failed", { error: String(error) });
      requestError(new ProblemError(500, "about:blank", "Internal server error."));
    });
  };
  socket.onclose = () => {
    close();
    shutdown?.removeEventListener("abort", onShutdown);
  };
  socket.onerror = () => close();
}
