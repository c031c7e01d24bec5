/**
 * Client autoconfiguration and the MTA-STS policy on the HTTP listener (no authentication: these
 * documents hold server settings only, never a secret):
 * - `GET /.well-known/autoconfig/mail/config-v1.1.xml` and `GET /mail/config-v1.1.xml` (Thunderbird);
 * - `POST|GET /autodiscover/autodiscover.xml` (Outlook POX autodiscover; any letter case);
 * - `GET /apple/mobileconfig?email=ADDRESS` (an Apple configuration profile for a local address);
 * - `GET /.well-known/mta-sts.txt` (RFC 8461 §3.2);
 * - `GET /.well-known/acme-challenge/TOKEN` (ACME HTTP-01, RFC 8555 §8.3, while a challenge is pending).
 * The documents come from core/setup/autoconfig.ts and core/setup/dns_records.ts.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ServerContext } from "../../core/context.ts";
import { parseAddress } from "../../core/store/addresses.ts";
import {
  appleMobileconfig,
  autodiscoverRequestAddress,
  clientEndpoints,
  nameUuid,
  outlookAutodiscover,
  thunderbirdConfig,
} from "../../core/setup/autoconfig.ts";
import { mtaStsPolicy } from "../../core/setup/dns_records.ts";
import { readAtMost } from "../../core/net/bounded_body.ts";

/** Largest autodiscover request body read (the request is a few hundred bytes). */
export const MAX_AUTODISCOVER_BODY = 16 * 1024;

const XML = "application/xml; charset=utf-8";

/** The domain a request asks about: `emailaddress` parameter's domain, else the Host name minus `autoconfig.`. */
function requestDomain(c: Context, server: ServerContext): string {
  const email = c.req.query("emailaddress") ?? c.req.query("email");
  const at = email?.lastIndexOf("@") ?? -1;
  if (email && at > 0) return email.slice(at + 1).toLowerCase();
  const host = (c.req.header("host") ?? "").replace(/:\d+$/, "").toLowerCase();
  const bare = host.replace(/^(autoconfig|autodiscover)\./, "");
  return bare && !/^[\d.]+$|^\[/.test(bare) ? bare : server.config.local_domains[0] ?? server.config.hostname;
}

/** The sub-app with the autoconfiguration routes; mounted at "/" of the HTTP app. */
export function autoconfigApp(server: ServerContext): Hono {
  const app = new Hono();

  const thunderbird = (c: Context) => {
    const domain = requestDomain(c, server);
    const body = thunderbirdConfig(domain, domain, clientEndpoints(server.config));
    return c.body(body, 200, { "content-type": XML, "cache-control": "max-age=3600" });
  };
  app.get("/.well-known/autoconfig/mail/config-v1.1.xml", thunderbird);
  app.get("/mail/config-v1.1.xml", thunderbird);

  const autodiscover = async (c: Context) => {
    let address: string | null = c.req.query("email") ?? null;
    if (c.req.method === "POST") {
      const body = await readAtMost(c.req.raw.body, MAX_AUTODISCOVER_BODY);
      if (body === null) return c.text("Request too large\n", 413);
      address = autodiscoverRequestAddress(new TextDecoder().decode(body));
    }
    const parsed = address ? parseAddress(address) : null;
    if (!parsed) return c.text("An <EMailAddress> is required\n", 400);
    return c.body(outlookAutodiscover(parsed.address, clientEndpoints(server.config)), 200, {
      "content-type": XML,
    });
  };
  // Outlook asks with varying case: /Autodiscover/Autodiscover.xml.
  app.on(
    ["GET", "POST"],
    "/:dir{[Aa][Uu][Tt][Oo][Dd][Ii][Ss][Cc][Oo][Vv][Ee][Rr]}/:file{[Aa]utodiscover\\.xml}",
    autodiscover,
  );

  app.get("/apple/mobileconfig", async (c) => {
    const parsed = parseAddress(c.req.query("email") ?? "");
    if (!parsed) return c.text("Parameter email= must be an address\n", 400);
    const { address: normal, domain } = parsed;
    if (!(await server.store.isLocalDomain(domain))) return c.text("Not a domain of this server\n", 404);
    let profile: string;
    try {
      profile = appleMobileconfig(normal, domain, server.config.hostname, clientEndpoints(server.config), {
        profileUuid: await nameUuid(`profile:${normal}`),
        payloadUuid: await nameUuid(`mail:${normal}`),
      });
    } catch (e) {
      return c.text(`${(e as Error).message}\n`, 503);
    }
    const file = `${domain.replace(/[^a-z0-9.-]/g, "_")}.mobileconfig`;
    return c.body(profile, 200, {
      "content-type": "application/x-apple-aspen-config; charset=utf-8",
      "content-disposition": `attachment; filename="${file}"`,
      "x-content-type-options": "nosniff",
    });
  });

  // RFC 8555 §8.3: the key authorization of a pending HTTP-01 challenge, as application/octet-stream.
  app.get("/.well-known/acme-challenge/:token", (c) => {
    const answer = server.acme?.httpResponse(c.req.param("token"));
    if (!answer) return c.text("No such challenge\n", 404);
    return c.body(answer, 200, { "content-type": "application/octet-stream" });
  });

  app.get("/.well-known/mta-sts.txt", (c) => {
    const cfg = server.config.mta_sts;
    const mx = cfg.mx.length > 0 ? cfg.mx : [server.config.hostname];
    // RFC 8461 §3.2: served as text/plain.
    return c.body(mtaStsPolicy({ mode: cfg.mode, mx, maxAge: cfg.max_age }), 200, {
      "content-type": "text/plain; charset=utf-8",
    });
  });

  return app;
}
