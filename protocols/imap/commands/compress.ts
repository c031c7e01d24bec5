/**
 * COMPRESS (RFC 4978 §3): switches the connection to raw DEFLATE in both directions.
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { bad, no } from "../errors.ts";
import { AUTH, type CommandSpec } from "./types.ts";

/** COMPRESS DEFLATE: valid once authenticated (RFC 4978 §3). */
export const compress: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const args = new Args(cmd.args);
    const mechanism = args.atom("compression mechanism").toUpperCase();
    args.end();
    // RFC 4978 §3: BAD for an unknown mechanism, NO [COMPRESSIONACTIVE] when already compressing.
    if (mechanism !== "DEFLATE") throw bad(`Unknown compression mechanism ${mechanism}`);
    if (s.compressed) throw no("DEFLATE is already active", "COMPRESSIONACTIVE");
    // Pending updates go out before the switch, so nothing compressed follows the tagged OK at once.
    if (s.view) await s.deliverUpdates(true);
    // The tagged OK is the last uncompressed response (RFC 4978 §3).
    await s.out.line(`${cmd.tag} OK DEFLATE active`);
    await s.out.flush();
    s.startCompression();
    s.conn.log.info("imap compress", { mechanism: "DEFLATE" });
    return { status: "OK", text: "", silent: true };
  },
};
