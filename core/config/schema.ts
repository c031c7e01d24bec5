/**
 * The configuration schema: every key of `Config`, its type and its allowed values. `validateConfig`
 * checks a parsed TOML document against it and merges it over the defaults. Pure: no I/O.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type {
  Config,
  DnsListZone,
  HealthConfig,
  ListenerConfig,
  MetricsConfig,
  QueueConfig,
  QueueRouteConfig,
  SmtpChecksConfig,
} from "./types.ts";
import { defaultConfig, LISTENER_NAMES } from "./defaults.ts";
import type { ConfigIssue } from "./errors.ts";
import { formatPath, type PathSegment } from "./locate.ts";
import { checkTimeWindow } from "../syntax/time_window.ts";
import { canonicalDn } from "../syntax/dn.ts";
import type {
  NotifyConfig,
  OutboundHttpConfig,
  SieveConfig,
  SpamConfig,
  SpamWeights,
  WebhooksConfig,
} from "./types.ts";

/**
 * The fields of a table rule for config type `T`: exactly its keys, optional ones included, so the
 * compiler reports a key added to types.ts but missing here (and a key here that does not exist).
 */
type FieldsOf<T> = { [K in keyof Required<T>]: Rule };
type TrustedService = NonNullable<Config["jmap"]["trusted_services"]>[number];
type StaticDnsRecord = NonNullable<QueueConfig["static_dns"]>[number];

/** A rule for one value. */
export type Rule =
  | {
    type: "string";
    desc?: string;
    check?: (v: string) => string | null;
    optional?: boolean;
    path?: boolean;
  }
  | { type: "integer"; min: number; max: number; optional?: boolean }
  | { type: "boolean"; optional?: boolean }
  | { type: "enum"; values: readonly string[]; optional?: boolean }
  | { type: "array"; items: Rule; maxItems?: number; optional?: boolean }
  | {
    type: "table";
    fields: Readonly<Record<string, Rule>>;
    /** Keys that must be present (only for tables without defaults, e.g. array elements). */
    required?: readonly string[];
    optional?: boolean;
  };

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const DAY = 86_400;

/** True for a dotted-quad IPv4 or an IPv6 address. */
export function isIpAddress(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s) || (s.includes(":") && ipaddr.IPv6.isValid(s));
}

/** Null when `s` is a CIDR block like `192.0.2.0/24` or `2001:db8::/32`, else what is wrong. */
export function checkCidr(s: string): string | null {
  const slash = s.indexOf("/");
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bits = slash < 0 ? "" : s.slice(slash + 1);
  if (!isIpAddress(addr) || !/^\d{1,3}$/.test(bits)) {
    return "expected a CIDR block like 192.0.2.0/24 or 2001:db8::/32";
  }
  const max = addr.includes(":") ? 128 : 32;
  if (Number(bits) > max) return `expected a prefix length from 0 to ${max}`;
  return null;
}

/** Null when `s` is a DNS host name (RFC 1123 §2.1 labels), else what is wrong. */
export function checkHostname(s: string): string | null {
  const ok = s.length <= 253 &&
    s.split(".").every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
  return ok ? null : "expected a host name like mail.example.com";
}

function checkBindAddress(s: string): string | null {
  return isIpAddress(s) || s === "localhost"
    ? null
    : 'expected an IP address like "127.0.0.1", "0.0.0.0" or "::"';
}

function checkEmail(s: string): string | null {
  const at = s.lastIndexOf("@");
  if (at <= 0 || /\s/.test(s) || checkHostname(s.slice(at + 1)) !== null) {
    return "expected an address like user@example.com";
  }
  return null;
}

function checkOrigin(s: string): string | null {
  if (s === "*") return null;
  try {
    const url = new URL(s);
    if (url.origin === s && (url.protocol === "https:" || url.protocol === "http:")) return null;
  } catch {
    // fall through
  }
  return 'expected "*" or an origin like https://mail.example.com (scheme, host, optional port; no path)';
}

function checkSecret(s: string): string | null {
  return s.length >= 32 ? null : "expected a shared secret of at least 32 characters";
}

/** Null when `s` is an absolute http: or https: URL without credentials, else what is wrong. */
function checkHttpUrl(s: string): string | null {
  try {
    const u = new URL(s);
    if ((u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password) return null;
  } catch { /* not a URL */ }
  return "expected an http(s) URL like https://mail.example.com";
}

function checkNonEmpty(s: string): string | null {
  return s.length > 0 ? null : "expected a non-empty string";
}

/** A PostgreSQL connection URL (`postgres://` or `postgresql://`). */
function checkPostgresUrl(s: string): string | null {
  try {
    const u = new URL(s);
    if (u.protocol === "postgres:" || u.protocol === "postgresql:") return null;
  } catch { /* below */ }
  return "expected a postgres:// URL";
}

/** A certificate subject as an RFC 4514 string (core/syntax/dn.ts), e.g. "CN=gw.example.com,O=Example". */
function checkDn(s: string): string | null {
  try {
    canonicalDn(s);
    return null;
  } catch (err) {
    return `expected an RFC 4514 subject such as "CN=gw.example.com,O=Example" (${(err as Error).message})`;
  }
}

const seconds = (min: number, max: number): Rule => ({ type: "integer", min, max });
const bytes = (min: number, max: number): Rule => ({ type: "integer", min, max });
const count = (min: number, max: number): Rule => ({ type: "integer", min, max });
const checkAction: Rule = { type: "enum", values: ["off", "log", "reject"] };
const dnsListRule: Rule = {
  type: "array",
  maxItems: 100,
  items: {
    type: "table",
    required: ["zone"],
    fields: {
      zone: { type: "string", desc: "a DNS zone", check: (s) => checkHostname(s) },
      codes: {
        type: "array",
        maxItems: 256,
        optional: true,
        items: {
          type: "string",
          desc: "an IPv4 address",
          check: (s) => isIpAddress(s) ? null : "expected an IPv4 address like 127.0.0.2",
        },
      },
    } satisfies FieldsOf<DnsListZone>,
  },
};
/** `[smtp.checks]` (core/mailauth). */
const CHECKS_RULE: Rule = {
  type: "table",
  optional: true,
  fields: {
    spf: { type: "boolean" },
    dkim: { type: "boolean" },
    dmarc: { type: "boolean" },
    dmarc_policy: { type: "enum", values: ["enforce", "monitor"] },
    arc: { type: "boolean" },
    arc_seal_domain: {
      type: "string",
      desc: "a local domain",
      check: (s) => checkHostname(s),
      optional: true,
    },
    arc_trusted_sealers: {
      type: "array",
      maxItems: 10_000,
      items: { type: "string", desc: "a domain", check: (s) => checkHostname(s) },
    },
    rdns: checkAction,
    helo: checkAction,
    dnsbl: dnsListRule,
    dnswl: dnsListRule,
    greylist: { type: "boolean" },
    greylist_delay: seconds(0, DAY),
    greylist_retry_window: seconds(60, 30 * DAY),
    greylist_pass_ttl: seconds(60, 365 * DAY),
    greylist_exempt_domains: {
      type: "array",
      maxItems: 100_000,
      items: { type: "string", desc: "a domain", check: (s) => checkHostname(s) },
    },
    dns_cache_ttl: seconds(0, DAY),
    dns_max_lookups: count(10, 1000),
    dmarc_reports: { type: "boolean" },
    dmarc_report_from: { type: "string", desc: "an address", check: (s) => checkEmail(s), optional: true },
  } satisfies FieldsOf<SmtpChecksConfig>,
};
const cidrList: Rule = {
  type: "array",
  items: { type: "string", desc: "a CIDR block", check: checkCidr },
  maxItems: 10_000,
};
const path: Rule = { type: "string", desc: "a file path", check: checkNonEmpty, optional: true, path: true };

/** Rule for one listener table. */
export const LISTENER_RULE: Rule = {
  type: "table",
  fields: {
    enabled: { type: "boolean" },
    address: { type: "string", desc: "an IP address", check: checkBindAddress },
    port: { type: "integer", min: 0, max: 65535 },
    tls: { type: "enum", values: ["none", "starttls", "implicit"] },
    cert: path,
    key: path,
    allow_plaintext_auth: { type: "boolean" },
    max_connections: count(1, 1_000_000),
    allow_networks: cidrList,
    block_networks: cidrList,
    time_windows: {
      type: "array",
      items: { type: "string", desc: "a UTC window like 08:00-18:00", check: checkTimeWindow },
    },
  } satisfies FieldsOf<ListenerConfig>,
};

/** Null when `s` is `host` or `host:port` (IPv6 in brackets), else what is wrong. */
function checkHostPort(s: string): string | null {
  const m = s.match(/^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+))(?::(\d{1,5}))?$/);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? 25 : Number(m[3]);
  const hostOk = host !== undefined && (isIpAddress(host) || checkHostname(host) === null);
  return hostOk && port >= 1 && port <= 65535
    ? null
    : "expected host or host:port, e.g. smtp.example.net:587";
}

/** Rule for `[queue.relay]` and each `[[queue.routes]]` entry (outbound smarthosts). */
const QUEUE_ROUTE_RULE: Rule = {
  type: "table",
  required: ["hosts"],
  fields: {
    domains: {
      type: "array",
      items: { type: "string", desc: "a domain name", check: checkHostname },
      maxItems: 10_000,
      optional: true,
    },
    hosts: {
      type: "array",
      items: { type: "string", desc: 'a "host:port"', check: checkHostPort },
      maxItems: 16,
    },
    tls: { type: "enum", values: ["none", "starttls", "implicit"], optional: true },
    require_tls: { type: "boolean", optional: true },
    tls_verify: { type: "boolean", optional: true },
    username: { type: "string", desc: "a user name", check: checkNonEmpty, optional: true },
    password: { type: "string", desc: "a password", check: checkNonEmpty, optional: true },
  } satisfies FieldsOf<QueueRouteConfig>,
};

/** The schema of the whole file. */
export const CONFIG_RULE: Rule = {
  type: "table",
  fields: {
    hostname: { type: "string", desc: "a host name", check: checkHostname },
    data_dir: { type: "string", desc: "a directory path", check: checkNonEmpty, path: true },
    store: {
      type: "table",
      fields: {
        backend: { type: "enum", values: ["sqlite", "postgres"] },
        url: { type: "string", desc: "a postgres:// URL", check: checkPostgresUrl, optional: true },
      } satisfies FieldsOf<Config["store"]>,
    },
    local_domains: {
      type: "array",
      items: { type: "string", desc: "a domain name", check: checkHostname },
      maxItems: 10_000,
    },
    log: {
      type: "table",
      fields: {
        level: { type: "enum", values: ["debug", "info", "warning", "error"] },
        output: { type: "string", desc: '"stderr", "stdout" or a file path', check: checkNonEmpty },
      } satisfies FieldsOf<Config["log"]>,
    },
    tls: { type: "table", fields: { cert: path, key: path } satisfies FieldsOf<Config["tls"]> },
    listeners: {
      type: "table",
      fields: Object.fromEntries(LISTENER_NAMES.map((n) => [n, LISTENER_RULE])),
    },
    shutdown_grace: seconds(0, 3600),
    auth: {
      type: "table",
      fields: {
        cram_md5: { type: "boolean" },
        throttle_free_failures: count(0, 1000),
        throttle_base_delay_ms: count(0, 60_000),
        lockout_failures: count(1, 100_000),
        lockout_seconds: seconds(0, 30 * DAY),
        cache_ttl: seconds(0, DAY),
        cache_size: count(0, 10_000_000),
      } satisfies FieldsOf<Config["auth"]>,
    },
    smtp: {
      type: "table",
      fields: {
        max_message_size: bytes(1024, 2 * GIB),
        // RFC 5321 §4.5.3.1.8: at least 100 recipients MUST be buffered; lower values are for tests.
        max_recipients: count(1, 100_000),
        spill_threshold: bytes(0, 2 * GIB),
        idle_timeout: seconds(1, DAY),
        session_timeout: seconds(1, 7 * DAY),
        relay_networks: cidrList,
        blocked_networks: cidrList,
        rate_limit_per_minute: count(0, 1_000_000),
        sender_any_accounts: {
          type: "array",
          items: { type: "string", desc: "an account address", check: checkEmail },
          maxItems: 10_000,
        },
        max_connections_per_ip: { type: "integer", min: 0, max: 1_000_000, optional: true },
        checks: CHECKS_RULE,
      } satisfies FieldsOf<Config["smtp"]>,
    },
    imap: {
      type: "table",
      fields: {
        idle_timeout: seconds(1, DAY),
        max_literal_size: bytes(1024, 2 * GIB),
        // RFC 9051 §4: clients SHOULD keep lines under 8192 octets, so servers accept at least that.
        max_line_length: bytes(8192, 16 * MIB),
        command_timeout: seconds(1, DAY),
        unauthenticated_timeout: seconds(1, DAY),
      } satisfies FieldsOf<Config["imap"]>,
    },
    pop3: { type: "table", fields: { idle_timeout: seconds(1, DAY) } satisfies FieldsOf<Config["pop3"]> },
    acme: {
      type: "table",
      fields: {
        enabled: { type: "boolean" },
        directory_url: {
          type: "string",
          desc: "an https:// URL",
          check: (s) => /^https:\/\/\S+$/.test(s) ? null : "an https:// URL",
        },
        email: { type: "string", desc: "an address", check: (s) => checkEmail(s), optional: true },
        names: {
          type: "array",
          items: { type: "string", desc: "a host name", check: checkHostname },
          maxItems: 100,
        },
        http_port: count(0, 65535),
        renew_before_days: count(1, 89),
        check_interval: seconds(60, 7 * DAY),
        ca_file: path,
      } satisfies FieldsOf<Config["acme"]>,
    },
    mta_sts: {
      type: "table",
      fields: {
        mode: { type: "enum", values: ["enforce", "testing", "none"] },
        // RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year).
        max_age: seconds(1, 31_557_600),
        mx: {
          type: "array",
          items: { type: "string", desc: "an MX host pattern", check: checkNonEmpty },
          maxItems: 100,
        },
      } satisfies FieldsOf<Config["mta_sts"]>,
    },
    jmap: {
      type: "table",
      fields: {
        cors_origins: {
          type: "array",
          items: { type: "string", desc: "an origin", check: checkOrigin },
          maxItems: 1000,
        },
        max_size_upload: bytes(1024, 2 * GIB),
        max_size_request: bytes(1024, GIB),
        max_calls_in_request: count(1, 1000),
        max_objects_in_get: count(1, 100_000),
        max_objects_in_set: count(1, 100_000),
        max_concurrent_requests: count(1, 1000),
        max_concurrent_upload: count(1, 1000),
        trusted_services: {
          type: "array",
          optional: true,
          maxItems: 100,
          items: {
            type: "table",
            required: ["name"],
            fields: {
              name: { type: "string", desc: "a service name", check: checkNonEmpty },
              hmac_secret: {
                type: "string",
                desc: "a shared secret of at least 32 characters",
                check: checkSecret,
              },
              client_cert_subject: { type: "string", desc: "a certificate subject", check: checkDn },
            } satisfies FieldsOf<TrustedService>,
          },
        },
        client_ca: path,
        trusted_max_skew: seconds(1, 3600),
        // RFC 3834 §2: a sender gets at most one automatic reply per period (7 days recommended).
        vacation_period_days: count(1, 365),
        max_json_depth: count(8, 1000),
        max_streams_per_account: count(1, 100_000),
        max_streams_per_ip: count(1, 100_000),
        read_workers: count(0, 64),
      } satisfies FieldsOf<Config["jmap"]>,
    },
    http: {
      type: "table",
      fields: {
        header_timeout: seconds(1, 3600),
        keep_alive_timeout: seconds(1, DAY),
      } satisfies FieldsOf<Config["http"]>,
    },
    api: {
      type: "table",
      optional: true,
      fields: {
        access_token_ttl: seconds(30, DAY),
        refresh_token_ttl: seconds(60, 365 * DAY),
        session_absolute: seconds(60, 5 * 365 * DAY),
        session_idle: seconds(60, 365 * DAY),
        platform_admins: {
          type: "array",
          items: { type: "string", desc: "an account address", check: checkEmail },
          maxItems: 1000,
        },
      } satisfies FieldsOf<NonNullable<Config["api"]>>,
    },
    queue: {
      type: "table",
      optional: true,
      fields: {
        concurrency: count(1, 10_000),
        per_host_concurrency: count(1, 1000),
        retry_base: seconds(1, DAY),
        retry_max: seconds(1, 7 * DAY),
        lifetime: seconds(60, 30 * DAY),
        delay_notify: seconds(0, 30 * DAY),
        port: { type: "integer", min: 1, max: 65535 },
        require_tls: { type: "boolean" },
        tls_verify: { type: "boolean" },
        helo_name: { type: "string", desc: "a host name", check: checkHostname, optional: true },
        max_recipients_per_transaction: count(1, 100_000),
        poll_interval: seconds(1, 3600),
        timeout_connect: seconds(1, 3600),
        timeout_greeting: seconds(1, 3600),
        timeout_command: seconds(1, 3600),
        timeout_data_init: seconds(1, 3600),
        timeout_data_block: seconds(1, 3600),
        timeout_data_end: seconds(1, 3600),
        dkim_selector: { type: "string", desc: "a DKIM selector", check: checkHostname },
        mta_sts: { type: "boolean", optional: true },
        tls_reports: { type: "boolean", optional: true },
        tls_report_from: { type: "string", desc: "an address", check: (s) => checkEmail(s), optional: true },
        relay: { ...QUEUE_ROUTE_RULE, optional: true },
        routes: { type: "array", items: QUEUE_ROUTE_RULE, maxItems: 10_000, optional: true },
        static_dns: {
          type: "array",
          optional: true,
          maxItems: 100_000,
          items: {
            type: "table",
            required: ["name", "type", "value"],
            fields: {
              name: { type: "string", desc: "a domain name", check: checkNonEmpty },
              type: { type: "enum", values: ["MX", "A", "AAAA", "TXT", "PTR", "SRV", "CNAME", "TLSA"] },
              value: { type: "string", desc: "a record value", check: checkNonEmpty },
              authenticated: { type: "boolean", optional: true },
            } satisfies FieldsOf<StaticDnsRecord>,
          },
        },
      } satisfies FieldsOf<QueueConfig>,
    },
    spam: {
      type: "table",
      optional: true,
      fields: {
        enabled: { type: "boolean", optional: true },
        threshold: { ...count(-1000, 1000), optional: true },
        train: { type: "boolean", optional: true },
        max_tokens: { ...count(100, 10_000_000), optional: true },
        max_marks: { ...count(0, 10_000_000), optional: true },
        rspamd_url: { type: "string", desc: "an http(s) URL", check: checkHttpUrl, optional: true },
        rspamd_timeout: { ...seconds(1, 600), optional: true },
        weights: {
          type: "table",
          optional: true,
          fields: {
            spf_fail: { ...count(-1000, 1000), optional: true },
            spf_softfail: { ...count(-1000, 1000), optional: true },
            dkim_fail: { ...count(-1000, 1000), optional: true },
            dmarc_fail: { ...count(-1000, 1000), optional: true },
            dmarc_pass: { ...count(-1000, 1000), optional: true },
            rdns_fail: { ...count(-1000, 1000), optional: true },
            helo_bad: { ...count(-1000, 1000), optional: true },
            no_message_id: { ...count(-1000, 1000), optional: true },
            no_date: { ...count(-1000, 1000), optional: true },
            subject_caps: { ...count(-1000, 1000), optional: true },
            html_only: { ...count(-1000, 1000), optional: true },
            bayes: { ...count(0, 1000), optional: true },
          } satisfies FieldsOf<SpamWeights>,
        },
      } satisfies FieldsOf<SpamConfig>,
    },
    sieve: {
      type: "table",
      optional: true,
      fields: {
        max_script_size: { ...count(1024, 16 * 1024 * 1024), optional: true },
        max_scripts: { ...count(1, 10_000), optional: true },
        max_actions: { ...count(1, 10_000), optional: true },
        max_redirects: { ...count(0, 100), optional: true },
        max_steps: { ...count(100, 100_000_000), optional: true },
        max_run_ms: { ...count(10, 60_000), optional: true },
      } satisfies FieldsOf<SieveConfig>,
    },
    metrics: {
      type: "table",
      optional: true,
      fields: {
        token: {
          type: "string",
          desc: "a bearer token of at least 32 characters",
          check: checkSecret,
          optional: true,
        },
      } satisfies FieldsOf<MetricsConfig>,
    },
    health: {
      type: "table",
      optional: true,
      fields: {
        interval: seconds(0, DAY),
        history_days: count(1, 3650),
        disk_free_min_mb: count(0, 100_000_000),
        cert_warn_days: count(0, 3650),
        queue_backlog_max: count(1, 100_000_000),
        queue_age_max: seconds(60, 30 * DAY),
      } satisfies FieldsOf<HealthConfig>,
    },
    outbound_http: {
      type: "table",
      optional: true,
      fields: {
        allow_private: { ...cidrList, optional: true },
        connect_timeout: { ...seconds(1, 600), optional: true },
        timeout: { ...seconds(1, 3600), optional: true },
        max_response_bytes: { ...count(0, 64 * MIB), optional: true },
      } satisfies FieldsOf<OutboundHttpConfig>,
    },
    webhooks: {
      type: "table",
      optional: true,
      fields: {
        enabled: { type: "boolean", optional: true },
        retry_base: { ...seconds(1, DAY), optional: true },
        retry_max: { ...seconds(1, 7 * DAY), optional: true },
        lifetime: { ...seconds(60, 30 * DAY), optional: true },
        concurrency: { ...count(1, 10_000), optional: true },
        per_endpoint_concurrency: { ...count(1, 1000), optional: true },
        circuit_failures: { ...count(1, 1000), optional: true },
        circuit_pause: { ...seconds(1, DAY), optional: true },
        poll_interval: { ...seconds(1, 3600), optional: true },
        public_url: { type: "string", desc: "an http(s) URL", check: checkHttpUrl, optional: true },
        attachment_url_ttl: { ...seconds(60, 365 * DAY), optional: true },
        inline_attachment_max: { ...count(0, 1024 * 1024), optional: true },
        max_body_chars: { ...count(0, 64 * MIB), optional: true },
        log_days: { ...count(1, 3650), optional: true },
      } satisfies FieldsOf<WebhooksConfig>,
    },
    notify: {
      type: "table",
      optional: true,
      fields: {
        from: { type: "string", desc: "an address", check: (s) => checkEmail(s), optional: true },
        admins: {
          type: "array",
          maxItems: 1000,
          optional: true,
          items: { type: "string", desc: "an account address", check: checkEmail },
        },
        quota_thresholds: { type: "array", maxItems: 10, optional: true, items: count(1, 100) },
        dedup_window: { ...seconds(0, 30 * DAY), optional: true },
        rate_limit_per_hour: { ...count(0, 100_000), optional: true },
        queue_backlog: { ...count(1, 100_000_000), optional: true },
        failure_rate: { ...count(0, 100), optional: true },
        cert_warn_days: { ...count(0, 3650), optional: true },
        check_interval: { ...seconds(60, DAY), optional: true },
      } satisfies FieldsOf<NotifyConfig>,
    },
    policy: {
      type: "table",
      fields: {
        allow_networks: cidrList,
        block_networks: cidrList,
        max_connections_per_ip: count(0, 1_000_000),
        connections_per_minute_per_ip: count(0, 1_000_000),
        ban_failures: count(0, 1_000_000),
        ban_window_seconds: seconds(1, 30 * DAY),
        ban_seconds: seconds(0, 365 * DAY),
      } satisfies FieldsOf<Config["policy"]>,
    },
  } satisfies FieldsOf<Config>,
};

/** A validation problem at a key path (the loader adds the line). */
export interface SchemaIssue {
  path: PathSegment[];
  /** The offending value when it helps to find its line (array elements). */
  value?: unknown;
  message: string;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date || (typeof v === "object" && v !== null && v.constructor?.name === "TomlDate")) {
    return "a date";
  }
  if (typeof v === "object") return "a table";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" && !Number.isInteger(v)) return `the float ${v}`;
  return String(v);
}

function expectation(rule: Rule): string {
  switch (rule.type) {
    case "string":
      return rule.desc ? `${rule.desc} (a string)` : "a string";
    case "integer":
      return `an integer from ${rule.min} to ${rule.max}`;
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${rule.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "array":
      return `an array of ${expectation(rule.items).replace(/^an? /, "")}s`.replace(/ \(a string\)s$/, "s");
    case "table":
      return "a table";
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function unknownKey(key: string, known: string[], isListeners: boolean): string {
  const best = known
    .map((k) => ({ k, d: distance(key, k) }))
    .sort((a, b) => a.d - b.d)[0];
  const what = isListeners ? "unknown listener" : "unknown key";
  const hint = best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? `; did you mean "${best.k}"?` : "";
  return `${what} (expected one of: ${known.join(", ")})${hint}`;
}

/** Checks `value` against `rule`; returns the accepted value or undefined after recording issues. */
function check(
  rule: Rule,
  value: unknown,
  path: PathSegment[],
  base: unknown,
  issues: SchemaIssue[],
): unknown {
  const wrong = () => {
    issues.push({ path, message: `expected ${expectation(rule)}, got ${describe(value)}` });
    return undefined;
  };
  switch (rule.type) {
    case "string": {
      if (typeof value !== "string") return wrong();
      const problem = rule.check?.(value) ?? null;
      if (problem !== null) {
        issues.push({ path, value, message: `${problem}, got ${describe(value)}` });
        return undefined;
      }
      return value;
    }
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return wrong();
      if (value < rule.min || value > rule.max) return wrong();
      return value;
    case "boolean":
      return typeof value === "boolean" ? value : wrong();
    case "enum":
      return typeof value === "string" && rule.values.includes(value) ? value : wrong();
    case "array": {
      if (!Array.isArray(value)) return wrong();
      if (rule.maxItems !== undefined && value.length > rule.maxItems) {
        issues.push({ path, message: `expected at most ${rule.maxItems} items, got ${value.length}` });
        return undefined;
      }
      const before = issues.length;
      const out = value.map((item, i) => check(rule.items, item, [...path, i], undefined, issues));
      return issues.length === before ? out : undefined;
    }
    case "table": {
      if (
        typeof value !== "object" || value === null || Array.isArray(value) || describe(value) === "a date"
      ) {
        return wrong();
      }
      const target: Record<string, unknown> = typeof base === "object" && base !== null
        ? structuredClone(base) as Record<string, unknown>
        : {};
      const known = Object.keys(rule.fields);
      for (const key of rule.required ?? []) {
        if (!(key in value)) {
          issues.push({
            path: [...path, key],
            message: `missing (expected ${expectation(rule.fields[key] ?? rule)})`,
          });
        }
      }
      for (const [key, v] of Object.entries(value)) {
        const sub = rule.fields[key];
        if (!sub) {
          const isListeners = path.length === 1 && path[0] === "listeners";
          issues.push({ path: [...path, key], message: unknownKey(key, known, isListeners) });
          continue;
        }
        const accepted = check(sub, v, [...path, key], target[key], issues);
        if (accepted !== undefined) target[key] = accepted;
      }
      return target;
    }
  }
}

function sameBind(a: string, b: string): boolean {
  const wild = (s: string) => s === "0.0.0.0" || s === "::";
  return a === b || wild(a) || wild(b);
}

/** Rules that span several keys, checked after the merge. */
function crossChecks(config: Config, issues: SchemaIssue[]): void {
  const pairs: [PathSegment[], { cert?: string; key?: string }][] = [
    [["tls"], config.tls],
    ...LISTENER_NAMES.map((n): [PathSegment[], { cert?: string; key?: string }] => [
      ["listeners", n],
      config.listeners[n],
    ]),
  ];
  for (const [p, t] of pairs) {
    if ((t.cert === undefined) !== (t.key === undefined)) {
      const missing = t.cert === undefined ? "cert" : "key";
      issues.push({
        path: [...p, t.cert === undefined ? "key" : "cert"],
        message: `${missing} must be set too (cert and key go together)`,
      });
    }
  }
  // HTTP has no STARTTLS (RFC 2817 upgrade is not supported by clients in practice).
  if (config.listeners.http.tls === "starttls") {
    issues.push({
      path: ["listeners", "http", "tls"],
      message: 'expected "none" or "implicit" for HTTP, got "starttls"',
    });
  }
  const seen: { name: string; address: string; port: number }[] = [];
  for (const name of LISTENER_NAMES) {
    const l = config.listeners[name];
    if (!l.enabled || l.port === 0) continue;
    const clash = seen.find((s) => s.port === l.port && sameBind(s.address, l.address));
    if (clash) {
      issues.push({
        path: ["listeners", name, "port"],
        message: `port ${l.port} is already used by listener "${clash.name}"`,
      });
    }
    seen.push({ name, address: l.address, port: l.port });
  }
  for (const [i, svc] of (config.jmap.trusted_services ?? []).entries()) {
    const p: PathSegment[] = ["jmap", "trusted_services", i];
    if (svc.hmac_secret === undefined && svc.client_cert_subject === undefined) {
      issues.push({ path: [...p, "name"], message: "expected hmac_secret or client_cert_subject" });
    }
    if (svc.client_cert_subject !== undefined && config.jmap.client_ca === undefined) {
      issues.push({
        path: [...p, "client_cert_subject"],
        message: "needs jmap.client_ca to verify the certificate",
      });
    }
    if ((config.jmap.trusted_services ?? []).findIndex((s) => s.name === svc.name) !== i) {
      issues.push({ path: [...p, "name"], message: `duplicate service name "${svc.name}"` });
    }
  }
  const routes: [PathSegment[], { username?: string; password?: string }][] = [
    ...(config.queue?.relay
      ? [[["queue", "relay"], config.queue.relay] as [PathSegment[], { username?: string }]]
      : []),
    ...(config.queue?.routes ?? []).map((r, i): [PathSegment[], { username?: string; password?: string }] => [
      ["queue", "routes", i],
      r,
    ]),
  ];
  for (const [p, r] of routes) {
    if ((r.username === undefined) !== (r.password === undefined)) {
      issues.push({
        path: [...p, r.username === undefined ? "password" : "username"],
        message: "username and password go together",
      });
    }
  }
  if (config.queue && config.queue.retry_max < config.queue.retry_base) {
    issues.push({
      path: ["queue", "retry_max"],
      message: `expected at least retry_base (${config.queue.retry_base})`,
    });
  }
  if (config.auth.lockout_failures <= config.auth.throttle_free_failures) {
    issues.push({
      path: ["auth", "lockout_failures"],
      message:
        `expected more than throttle_free_failures (${config.auth.throttle_free_failures}), got ${config.auth.lockout_failures}`,
    });
  }
}

/**
 * Validates a parsed TOML document and merges it over `base` (the defaults). Returns the config
 * and every issue found (the config is only meaningful when there are none).
 */
export function validateConfig(
  raw: Record<string, unknown>,
  base: Config = defaultConfig(),
): { config: Config; issues: SchemaIssue[] } {
  const issues: SchemaIssue[] = [];
  const merged = check(CONFIG_RULE, raw, [], base, issues) as Config | undefined;
  const config = merged ?? base;
  config.local_domains = [...new Set(config.local_domains.map((d) => d.toLowerCase()))];
  config.hostname = config.hostname.toLowerCase();
  if (issues.length === 0) crossChecks(config, issues);
  return { config, issues };
}

/** Every key path the schema knows (tables excluded), for documentation checks. */
export function schemaKeyPaths(rule: Rule = CONFIG_RULE, prefix: PathSegment[] = []): string[] {
  return schemaKeys(rule, prefix).map((k) => k.path);
}

/** Every key path with whether it may be absent from the validated config (no default). */
export function schemaKeys(
  rule: Rule = CONFIG_RULE,
  prefix: PathSegment[] = [],
  optional = false,
): { path: string; optional: boolean }[] {
  const opt = optional || rule.optional === true;
  if (rule.type !== "table") return [{ path: formatPath(prefix), optional: opt }];
  return Object.entries(rule.fields).flatMap(([k, r]) => schemaKeys(r, [...prefix, k], opt));
}

/** The schema issue as a loader issue (line filled in by the caller). */
export function toConfigIssue(issue: SchemaIssue, line: number | undefined): ConfigIssue {
  return { keyPath: formatPath(issue.path), line, message: issue.message };
}
