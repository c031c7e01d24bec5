/**
 * Loopback SMTP sinks for queue tests, built on nodemailer's `smtp-server`: they accept, defer with
 * 4xx, reject with 5xx, drop the connection, or hold the reply until the test releases it. Only
 * 127.0.0.1, port 0.
 *
 * @module
 */
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { AddressInfo } from "node:net";

/** What a sink does with a recipient or a message. */
export type SinkAction = "accept" | "defer" | "reject" | "drop";

/** One transaction the sink saw through to the end of DATA. */
export interface SinkMessage {
  from: string;
  mailArgs: Record<string, string | true>;
  rcpts: { address: string; args: Record<string, string | true> }[];
  data: Uint8Array;
  secure: boolean;
  connection: number;
}

/** Sink behaviour. */
export interface SinkOptions {
  /** Per recipient (default accept). */
  rcpt?: (address: string) => SinkAction;
  /** At end of data (default accept). */
  data?: () => SinkAction;
  /** When set, the end-of-data reply waits for this promise (a "slow" sink). */
  hold?: () => Promise<void>;
  /** Extra smtp-server options (size, hideSTARTTLS, hideDSN, key/cert, onAuth …). */
  server?: Partial<SMTPServerOptions>;
}

/** A running sink. */
export interface Sink {
  port: number;
  /** `127.0.0.1:port` for static DNS A records. */
  address: string;
  messages: SinkMessage[];
  /** Connections accepted so far. */
  connections: number;
  /** Recipients per address that were accepted with a 250 after DATA. */
  delivered(address: string): number;
  close(): Promise<void>;
}

function err(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

/** Starts a sink on 127.0.0.1, port 0. */
export async function startSink(opts: SinkOptions = {}): Promise<Sink> {
  const messages: SinkMessage[] = [];
  let connections = 0;
  let closing = false;
  const sockets = new Set<{ destroy(): void }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: opts.server?.onAuth ? [] : ["AUTH"],
    hideSTARTTLS: !opts.server?.key,
    logger: false,
    disableReverseLookup: true,
    ...opts.server,
    onConnect(session, cb) {
      connections++;
      (session as unknown as { n: number }).n = connections;
      cb();
    },
    onRcptTo(address, _session, cb) {
      const a = opts.rcpt?.(address.address) ?? "accept";
      if (a === "defer") return cb(err(451, "4.2.1 Mailbox busy, try later"));
      if (a === "reject") return cb(err(550, "5.1.1 No such user here"));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(new Uint8Array(c)));
      stream.on("end", async () => {
        if (opts.hold) await opts.hold();
        // Closed while holding: the client never got a reply, so nothing was delivered.
        if (closing) return;
        const a = opts.data?.() ?? "accept";
        if (a === "drop") {
          for (const s of sockets) s.destroy();
          return;
        }
        if (a === "defer") return cb(err(452, "4.3.1 Insufficient system storage"));
        if (a === "reject") return cb(err(554, "5.6.0 Message rejected"));
        const total = chunks.reduce((n, c) => n + c.length, 0);
        const data = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          data.set(c, off);
          off += c.length;
        }
        const env = session.envelope;
        messages.push({
          from: env.mailFrom ? env.mailFrom.address : "",
          mailArgs: env.mailFrom ? (env.mailFrom.args || {}) : {},
          rcpts: env.rcptTo.map((r) => ({ address: r.address, args: r.args || {} })),
          data,
          secure: session.secure,
          connection: (session as unknown as { n: number }).n,
        });
        cb(null, "2.0.0 Ok: queued");
      });
    },
  });
  server.on("error", () => {});
  server.on("connect", () => {});
  // Track sockets so that "drop" and close() can cut them.
  const net = (server as unknown as { server: import("node:net").Server }).server;
  net.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (net.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    messages,
    get connections() {
      return connections;
    },
    delivered(address: string) {
      return messages.reduce((n, m) => n + m.rcpts.filter((r) => r.address === address).length, 0);
    },
    async close() {
      closing = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
