/**
 * IDLE (RFC 2177, RFC 9051 §6.3.13): mailbox changes are pushed as they are notified by the store
 * until the client sends DONE.
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { bad, ok } from "../errors.ts";
import { AUTH, type CommandSpec } from "./types.ts";

const decoder = new TextDecoder();

/** IDLE. */
export const idle: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    if (s.view) await s.deliverUpdates(true, true);
    await s.out.line("+ idling");
    await s.out.flush();
    const timeoutMs = s.server.config.imap.idle_timeout * 1000;
    for (;;) {
      const r = s.framer.nextRawLine();
      if (r.type === "line") {
        if (decoder.decode(r.line).toUpperCase() === "DONE") return ok("IDLE terminated");
        throw bad("Expected DONE");
      }
      if (r.type === "tooLong") throw bad("Expected DONE");
      // The idle timer, or imap.command_timeout once "DONE" has begun to arrive.
      const wait = s.lineWait(timeoutMs);
      const got = await s.read(wait.ms, true);
      if (got.kind === "wake") {
        await s.deliverUpdates(true);
        // RFC 5465: NOTIFY's news for other mailboxes during IDLE too.
        await s.deliverNotify(false);
        await s.out.flush();
        continue;
      }
      if (got.kind === "data") continue;
      if (got.kind === "timeout") {
        await s.out.line(`* BYE ${wait.bye}`);
      } else if (got.kind === "shutdown") {
        await s.out.line("* BYE Server shutting down");
      }
      s.state = "logout";
      return { status: "OK", text: "", silent: true };
    }
  },
};
