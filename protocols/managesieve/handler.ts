/**
 * ManageSieve connection handler (RFC 5804) for the `managesieve` listener.
 *
 * @module
 */
import type { ConnectionHandler, ServerContext } from "../../core/context.ts";
import type { Transport } from "../../core/net/transport.ts";
import { runManageSieveSession } from "./session.ts";
import { response } from "./command.ts";

/** Creates the ManageSieve handler. */
export function createManageSieveHandler(server: ServerContext): ConnectionHandler {
  return (conn) => runManageSieveSession(server, conn);
}

/** RFC 5804 §1.3: a connection refused by policy gets BYE instead of the greeting. */
export async function rejectConnection(t: Transport, reason: string): Promise<void> {
  // deno-lint-ignore no-control-regex
  const clean = reason.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  try {
    await t.write(response("BYE", clean || "Service not available"));
  } catch {
    // The client is gone already.
  }
}
