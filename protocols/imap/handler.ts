/**
 * IMAP connection handler for the imap (STARTTLS) and imaps (implicit TLS) listeners.
 *
 * @module
 */
import type { ConnectionHandler, ServerContext } from "../../core/context.ts";
import { ImapSession } from "./session.ts";

/** Creates the IMAP handler: one `ImapSession` per connection; never throws. */
export function createImapHandler(server: ServerContext): ConnectionHandler {
  return async (conn) => {
    const session = new ImapSession(server, conn);
    await session.run();
  };
}
