/**
 * CAPABILITY, NOOP, LOGOUT (RFC 9051 §6.1) and ID (RFC 2971).
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { bad, ok } from "../errors.ts";
import { ANY, type CommandSpec } from "./types.ts";

/** CAPABILITY. */
export const capability: CommandSpec = {
  states: ANY,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    await s.out.line(`* CAPABILITY ${s.capabilities().join(" ")}`);
    return ok("CAPABILITY completed");
  },
};

/** NOOP (and CHECK, RFC 3501 §6.4.1): a point where all pending updates are delivered. */
export const noop: CommandSpec = {
  states: ANY,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    if (s.view) await s.deliverUpdates(true, true);
    return ok(`${cmd.name} completed`);
  },
};

/** LOGOUT. */
export const logout: CommandSpec = {
  states: ANY,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    await s.out.line("* BYE Tern IMAP logging out");
    s.setView(null);
    s.state = "logout";
    return ok("LOGOUT completed");
  },
};

/** ID (RFC 2971): the client's fields are accepted and logged without values; ours are returned. */
export const id: CommandSpec = {
  states: ANY,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const t = a.next("ID parameters");
    if (t.type === "list") {
      // RFC 2971 §3.3: at most 30 field-value pairs, fields at most 30 octets.
      if (t.items.length > 60 || t.items.length % 2 !== 0) throw bad("Invalid ID parameters");
      const fields: Record<string, string> = {};
      for (let i = 0; i < t.items.length; i += 2) {
        const k = t.items[i]!;
        const v = t.items[i + 1]!;
        if (
          k.type !== "string" ||
          (v.type !== "string" && !(v.type === "atom" && v.value.toUpperCase() === "NIL"))
        ) {
          throw bad("Invalid ID parameters");
        }
        if (k.value.length <= 30 && ["name", "version", "vendor", "os"].includes(k.value.toLowerCase())) {
          fields[`client_${k.value.toLowerCase()}`] = v.type === "string" ? v.value.slice(0, 64) : "";
        }
      }
      s.conn.log.info("imap client id", fields);
    } else if (!(t.type === "atom" && t.value.toUpperCase() === "NIL")) {
      throw bad("Invalid ID parameters");
    }
    a.end();
    await s.out.line(`* ID ("name" "Tern" "vendor" "Tern" "version" "0.1.0")`);
    return ok("ID completed");
  },
};
