/**
 * Tern's IMAP4rev2/IMAP4rev1 server (RFC 9051, RFC 3501): the connection handler and the pure
 * building blocks (command framing and parsing, response formatting, modified UTF-7).
 *
 * @example
 * ```ts ignore
 * import { createImapHandler } from "./mod.ts";
 * const handler = createImapHandler(serverContext); // one call per connection: await handler(conn)
 * ```
 *
 * @module
 */
export { createImapHandler } from "./handler.ts";
export { CommandFramer, type FramedCommand, type FrameResult } from "./parser/framer.ts";
export { parseCommand, type ParseResult } from "./parser/command_parser.ts";
export type { ParsedCommand, Token } from "./parser/tokens.ts";
export { decodeMutf7, encodeMutf7 } from "./format/mutf7.ts";
export { formatBodyStructure } from "./format/bodystructure.ts";
export { formatEnvelope } from "./format/envelope.ts";
