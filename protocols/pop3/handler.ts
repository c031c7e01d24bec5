/**
 * POP3 connection handler (RFC 1939, RFC 2449, RFC 2595, RFC 5034).
 *
 * @module
 */
import type { ConnectionHandler, ServerContext } from "../../core/context.ts";
import { runPop3Session } from "./session.ts";
import { CachedVirtualSizes } from "../../core/pop3/virtual_sizes.ts";

/** Creates the POP3 handler for the pop3 (STLS) and pop3s (implicit TLS) listeners. */
export function createPop3Handler(server: ServerContext): ConnectionHandler {
  const sizes = new CachedVirtualSizes();
  return (conn) => runPop3Session(server, conn, sizes);
}
