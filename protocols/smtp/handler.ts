/**
 * The SMTP connection handler for the MX (port 25), submission (587, RFC 6409), submissions
 * (465, implicit TLS, RFC 8314) and LMTP (RFC 2033, mode "lmtp") listeners: connection-level
 * policy (blocked networks before the banner, concurrent connections per IP), then one `SmtpSession`.
 *
 * @module
 */
import type { ConnectionHandler, ServerContext } from "../../core/context.ts";
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import { removeStaleSpoolFiles } from "../../core/delivery/spool.ts";
import { createMemoryRateLimiter } from "../../core/policy/rate_limiter.ts";
import { Replies } from "./codes.ts";
import { formatReply } from "./reply.ts";
import { NetworkList } from "./networks.ts";
import { SmtpSession, type SmtpSessionDeps } from "./session.ts";
import type { SmtpMode } from "./session.ts";

/**
 * Default SMTP-only limit of concurrent connections per client IP: 0 (off), because the
 * connection policy (`[policy] max_connections_per_ip`) already limits every protocol.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 0;

/**
 * Creates the handler of one SMTP listener. Lists and limiters are built once here and shared by
 * the listener's sessions.
 *
 * @example
 * ```ts ignore
 * const handler = createSmtpHandler(server, "submission");
 * await handler(conn); // runs one session to its end
 * ```
 */
export function createSmtpHandler(server: ServerContext, mode: SmtpMode): ConnectionHandler {
  const smtp = server.config.smtp;
  const blocked = new NetworkList(smtp.blocked_networks);
  const perIpLimit = smtp.max_connections_per_ip ?? DEFAULT_MAX_CONNECTIONS_PER_IP;
  const perIp = new Map<string, number>();
  // Temp files of sessions cut short by a crash; never fatal.
  removeStaleSpoolFiles(server.config.data_dir, 86_400_000, server.clock.now().getTime()).catch((e) =>
    server.log.warn("spool cleanup failed", { error: e instanceof Error ? e.message : String(e) })
  );
  const deps: SmtpSessionDeps = {
    mode,
    delivery: deliveryPipeline(server),
    relayNetworks: new NetworkList(smtp.relay_networks),
    rateLimiter: smtp.rate_limit_per_minute > 0
      ? createMemoryRateLimiter({ limit: smtp.rate_limit_per_minute, windowMs: 60_000, clock: server.clock })
      : null,
  };

  return async function smtpConnection(conn) {
    const ip = conn.transport.remoteAddress;
    try {
      if (blocked.contains(ip)) {
        // Dropped before the banner: a blocked client learns nothing.
        conn.log.info("connection from blocked network dropped", {});
        return;
      }
      const count = perIp.get(ip) ?? 0;
      if (perIpLimit > 0 && count >= perIpLimit) {
        conn.log.info("too many connections from address", { connections: count });
        await conn.transport.write(formatReply(Replies.tooManyConnections(), true)).catch(() => {});
        return;
      }
      perIp.set(ip, count + 1);
      try {
        await new SmtpSession(conn, deps).run();
      } finally {
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(ip);
        else perIp.set(ip, n);
      }
    } catch (e) {
      conn.log.error("smtp handler failed", { error: e instanceof Error ? e.message : String(e) });
    } finally {
      conn.transport.close();
    }
  };
}
