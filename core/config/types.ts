/**
 * The validated configuration, as the rest of Tern sees it. The TOML keys are the same names in
 * snake_case; core/config/schema.ts validates a file into this shape and fills every default.
 * Protocol owners add keys to their own section only (and to the schema, config.example.toml and
 * the README reference).
 *
 * @module
 */

/** How a listener uses TLS. */
export type TlsMode = "none" | "starttls" | "implicit";

/** One TCP or HTTP listener. */
export interface ListenerConfig {
  enabled: boolean;
  /** Bind address, e.g. "127.0.0.1" or "::". */
  address: string;
  /** TCP port; 0 picks a free port (tests). */
  port: number;
  tls: TlsMode;
  /** Per-listener certificate and key (PEM paths); fall back to [tls]. */
  cert?: string;
  key?: string;
  /** Allow password authentication without TLS on this listener. */
  allow_plaintext_auth: boolean;
  /** Maximum concurrent connections on this listener. */
  max_connections: number;
  /** CIDR blocks allowed to connect to this listener (empty: everyone the global policy allows). */
  allow_networks: string[];
  /** CIDR blocks refused on this listener, in addition to `policy.block_networks`. */
  block_networks: string[];
  /** Daily UTC windows ("08:00-18:00") when this listener accepts connections (empty: always). */
  time_windows: string[];
}

/** Names of the built-in listeners. */
export type ListenerName =
  | "smtp"
  | "submission"
  | "submissions"
  | "lmtp"
  | "imap"
  | "imaps"
  | "pop3"
  | "pop3s"
  /** ManageSieve (RFC 5804). */
  | "managesieve"
  | "http";

/** Full configuration. */
export interface Config {
  /** Name used in greetings, Received: headers and the self-signed certificate. */
  hostname: string;
  /** Where the database, blobs and generated certificate live. */
  data_dir: string;
  /**
   * Where mail and records are kept: the embedded SQLite database in `data_dir` (default), or a
   * PostgreSQL database at `url` (message bytes stay in the blob store under `data_dir`).
   */
  store: { backend: "sqlite" | "postgres"; url?: string };
  /** Domains created at startup if missing. */
  local_domains: string[];
  log: { level: "debug" | "info" | "warning" | "error"; output: string };
  tls: { cert?: string; key?: string };
  listeners: Record<ListenerName, ListenerConfig>;
  /** Seconds sessions get to finish after SIGINT/SIGTERM. */
  shutdown_grace: number;
  auth: {
    /** Store a plaintext-equivalent secret and offer CRAM-MD5 (off by default). */
    cram_md5: boolean;
    /** Failures (per IP or per account) before delays start. */
    throttle_free_failures: number;
    /** First delay in ms, doubled for every further failure. */
    throttle_base_delay_ms: number;
    /** Failures after which the IP or account is locked out. */
    lockout_failures: number;
    /** Lockout length in seconds. */
    lockout_seconds: number;
    /** Seconds a verified password is remembered, so repeated logins skip scrypt (0: never). */
    cache_ttl: number;
    /** Most verified passwords remembered at once. */
    cache_size: number;
  };
  smtp: {
    /** Maximum message size in bytes (SIZE). */
    max_message_size: number;
    max_recipients: number;
    /** Messages above this many bytes spill to a temp file while being received. */
    spill_threshold: number;
    /** Seconds of inactivity before 421 (RFC 5321 §4.5.3.2). */
    idle_timeout: number;
    /** Total session limit in seconds. */
    session_timeout: number;
    /** CIDRs allowed to relay without authentication. */
    relay_networks: string[];
    /** CIDRs dropped before the banner. */
    blocked_networks: string[];
    /** Messages per IP+sender per minute (0 = unlimited). */
    rate_limit_per_minute: number;
    /** Accounts allowed to send as any address on submission. */
    sender_any_accounts: string[];
    /** Concurrent SMTP connections per client IP on top of [policy] (0 = no SMTP-specific limit, the default). */
    max_connections_per_ip?: number;
    /** `[smtp.checks]`: inbound authentication and connection checks on unauthenticated SMTP (core/mailauth). */
    checks?: SmtpChecksConfig;
  };
  imap: {
    /** Seconds of inactivity before `* BYE` (at least 30 minutes once authenticated, RFC 9051 §5.4). */
    idle_timeout: number;
    max_literal_size: number;
    max_line_length: number;
    /** Seconds a command line, and each literal, may take to arrive once begun (slow-trickle bound). */
    command_timeout: number;
    /** Seconds a session may stay unauthenticated in total before `* BYE`. */
    unauthenticated_timeout: number;
  };
  pop3: { idle_timeout: number };
  /** Certificates from an ACME CA (RFC 8555), e.g. Let's Encrypt, for every TLS listener. */
  acme: {
    enabled: boolean;
    /** The CA's directory URL. */
    directory_url: string;
    /** Contact address given to the CA (optional). */
    email?: string;
    /** Names in the certificate (empty: the hostname, and mta-sts. and autoconfig. of each local domain). */
    names: string[];
    /**
     * Port of the plain-HTTP responder for HTTP-01 challenges (RFC 8555 §8.3; the CA connects to 80),
     * which redirects everything else to HTTPS; 0: none (the http listener answers challenges itself).
     */
    http_port: number;
    /** Renew when the certificate expires within this many days. */
    renew_before_days: number;
    /** Seconds between checks of the certificate's expiry. */
    check_interval: number;
    /** PEM CA bundle trusted for the directory's HTTPS (a private or test CA such as Pebble). */
    ca_file?: string;
  };
  /** The MTA-STS policy served at /.well-known/mta-sts.txt (RFC 8461 §3.2). */
  mta_sts: {
    /** "testing" reports failures only, "enforce" makes senders require TLS, "none" withdraws the policy. */
    mode: "enforce" | "testing" | "none";
    /** Seconds senders may cache the policy (RFC 8461 §3.2: up to 31557600). */
    max_age: number;
    /** MX host patterns of the policy (empty: the hostname). */
    mx: string[];
  };
  jmap: {
    /** Origins allowed by CORS ("*" for any). */
    cors_origins: string[];
    max_size_upload: number;
    max_size_request: number;
    max_calls_in_request: number;
    max_objects_in_get: number;
    max_objects_in_set: number;
    max_concurrent_requests: number;
    max_concurrent_upload: number;
    /**
     * Trusted front-end services that may act for any user (`[[jmap.trusted_services]]`): each
     * authenticates with an HMAC-SHA256 signature (`hmac_secret`) or a TLS client certificate
     * whose subject is `client_cert_subject` (issued by `client_ca`). The subject is an RFC 4514
     * string, most specific RDN first (`CN=gw.example.com,O=Example`), compared in the canonical
     * form of core/syntax/dn.ts (spaces and attribute-type case ignored, values exact).
     */
    trusted_services?: { name: string; hmac_secret?: string; client_cert_subject?: string }[];
    /**
     * PEM CA bundle that verifies trusted services' client certificates (mTLS) on the HTTPS
     * listener, which then asks clients for a certificate (optional for them). Reloaded by SIGHUP.
     */
    client_ca?: string;
    /** Seconds a trusted request's timestamp may differ from the clock (default 300). */
    trusted_max_skew?: number;
    /** RFC 3834 §2: days before the same sender gets another vacation reply (default 7). */
    vacation_period_days?: number;
    /** Deepest nesting of arrays and objects in a request (checked before parsing). */
    max_json_depth: number;
    /** Concurrent push streams (EventSource and WebSocket) per account. */
    max_streams_per_account: number;
    /** Concurrent push streams (EventSource and WebSocket) per client IP (IPv6 by /64). */
    max_streams_per_ip: number;
    /**
     * Worker threads answering read-only API requests (Email/get, /query, /changes, Mailbox and
     * Thread reads) beside the main thread, each with its own read connection to the SQLite store
     * (protocols/jmap/read_pool.ts). 0 (the default) answers everything on the main thread.
     * Ignored with the PostgreSQL store.
     */
    read_workers?: number;
  };
  /** The HTTP listener's connection handling (per TCP connection, not per request). */
  http: {
    /** Seconds a connection may take to send a complete request head (first, or after a response). */
    header_timeout: number;
    /** Seconds an idle keep-alive connection stays open between requests. */
    keep_alive_timeout: number;
  };
  /** Outbound delivery (core/queue). Optional so hand-built test configs keep type-checking. */
  queue?: QueueConfig;
  /** `[outbound_http]`: the SSRF guard of the server's own HTTP requests; optional. */
  outbound_http?: OutboundHttpConfig;
  /** `[webhooks]`: webhook delivery (core/webhooks); optional. */
  webhooks?: WebhooksConfig;
  /** `[notify]`: user and admin notifications (core/notify); optional. */
  notify?: NotifyConfig;
  /** `[spam]`: spam scoring and the per-account junk filter (core/spam); optional, defaults in core/spam/settings.ts. */
  spam?: SpamConfig;
  /** `[sieve]`: Sieve limits (core/sieve/settings.ts); optional, every key has a default. */
  sieve?: SieveConfig;
  /** `GET /metrics` (core/metrics); optional. */
  metrics?: MetricsConfig;
  /** Health checks and their history (core/health); optional, defaults in core/health/settings.ts. */
  health?: HealthConfig;
  /** The admin API (`/api/v1`, core/api_auth). Optional so hand-built test configs keep type-checking. */
  api?: ApiConfig;
  policy: {
    allow_networks: string[];
    block_networks: string[];
    max_connections_per_ip: number;
    connections_per_minute_per_ip: number;
    ban_failures: number;
    ban_window_seconds: number;
    ban_seconds: number;
  };
}

/** What a failed connection check does: nothing, a log line, or a refusal. */
export type CheckAction = "off" | "log" | "reject";

/** One DNS list zone (`[[smtp.checks.dnsbl]]` / `[[smtp.checks.dnswl]]`). */
export interface DnsListZone {
  /** The zone queried as `<reversed-ip>.<zone>`, e.g. "zen.spamhaus.org". */
  zone: string;
  /** A answers that count as a listing (empty or absent: any 127.0.0.0/8 answer). */
  codes?: string[];
}

/**
 * `[smtp.checks]`: checks of mail arriving unauthenticated over SMTP (the MX path). Authenticated
 * submission and LMTP are never checked.
 */
export interface SmtpChecksConfig {
  /** RFC 7208 SPF of MAIL FROM and HELO. */
  spf: boolean;
  /** RFC 6376 / RFC 8463 DKIM verification. */
  dkim: boolean;
  /** RFC 7489 DMARC evaluation. */
  dmarc: boolean;
  /** "enforce": reject → 550 5.7.1, quarantine → Junk; "monitor": record the result only. */
  dmarc_policy: "enforce" | "monitor";
  /** RFC 8617 ARC verification. */
  arc: boolean;
  /** Seal verified mail with ARC using this local domain's DKIM key (absent: no sealing). */
  arc_seal_domain?: string;
  /**
   * Forwarders (ARC sealer domains) whose passing chain, recording dmarc=pass at their hop, overrides a
   * local DMARC failure (RFC 8617 §7.2; RFC 7489 §7.2 override reason "forwarded").
   */
  arc_trusted_sealers: string[];
  /** Reverse DNS and forward-confirmed reverse DNS of the client. */
  rdns: CheckAction;
  /** HELO/EHLO argument sanity (a name or address literal, not ours, not a bare word). */
  helo: CheckAction;
  /** DNS blocklists: a listed client is refused at MAIL FROM (554 5.7.1). */
  dnsbl: DnsListZone[];
  /** DNS allowlists: a listed client skips the blocklists, rDNS/HELO checks and greylisting. */
  dnswl: DnsListZone[];
  /** RFC 6647 greylisting of (client network, sender, recipient) triplets. */
  greylist: boolean;
  /** Seconds a new triplet is deferred. */
  greylist_delay: number;
  /** Seconds after the first attempt within which a retry passes. */
  greylist_retry_window: number;
  /** Seconds a triplet that passed stays allowed. */
  greylist_pass_ttl: number;
  /** Sender or recipient domains never greylisted. */
  greylist_exempt_domains: string[];
  /** Seconds DNS answers are cached. */
  dns_cache_ttl: number;
  /** DNS lookups allowed per message across SPF, DKIM, DMARC and ARC (SPF keeps its own 10). */
  dns_max_lookups: number;
  /** Record DMARC results and send daily RFC 7489 §7.2 aggregate reports to `rua` addresses. */
  dmarc_reports: boolean;
  /** Sender of aggregate reports (default postmaster@hostname). */
  dmarc_report_from?: string;
}

/** A relay route: smarthost hosts (primary first, then backups) and how to talk to them. */
export interface QueueRouteConfig {
  /** Recipient domains this route applies to (`[[queue.routes]]`); unused for `[queue.relay]`. */
  domains?: string[];
  /** `host:port` (or `host`, port 25 / 465 for implicit TLS), primary first. */
  hosts: string[];
  /** Default "starttls". */
  tls?: TlsMode;
  /** Refuse to send without TLS (RFC 3207 STARTTLS must succeed). Default false. */
  require_tls?: boolean;
  /** Verify the relay's certificate (off only for tests or private relays). Default true. */
  tls_verify?: boolean;
  /** AUTH credentials (PLAIN, LOGIN or SCRAM-SHA-256, only over TLS). */
  username?: string;
  password?: string;
}

/** The `[api]` section: admin-API sessions and who administers the platform. */
export interface ApiConfig {
  /** Seconds an access token (JWT) is valid (default 900). */
  access_token_ttl: number;
  /** Seconds a refresh token is valid; each refresh issues a new one (default 30 days). */
  refresh_token_ttl: number;
  /** Seconds a login session lasts at most, however active (default 90 days). */
  session_absolute: number;
  /** Seconds a login session survives without a refresh (default 30 days). */
  session_idle: number;
  /** Account addresses that are platform administrators (see everything). */
  platform_admins: string[];
}

/** The `[metrics]` section. */
export interface MetricsConfig {
  /** Bearer token `GET /metrics` and `GET /health/detailed` require; open to all when unset. */
  token?: string;
}

/** The `[health]` section: periodic checks, their history, and the thresholds of "degraded". */
export interface HealthConfig {
  /** Seconds between periodic checks (0: no periodic checks, no history). */
  interval: number;
  /** Days the check history is kept. */
  history_days: number;
  /** Free disk below this many MiB in `data_dir` is degraded (below a tenth of it, down). */
  disk_free_min_mb: number;
  /** A certificate expiring within this many days is degraded (expired: down). */
  cert_warn_days: number;
  /** More queued messages than this is degraded. */
  queue_backlog_max: number;
  /** A queued message older than this many seconds is degraded. */
  queue_age_max: number;
}

/** The `[outbound_http]` section: where the server's own HTTP requests (webhooks, Web Push) may go. */
export interface OutboundHttpConfig {
  /**
   * CIDR blocks reachable although private, loopback or link-local (default none: SSRF guard,
   * core/net/outbound_http.ts). E.g. `["127.0.0.0/8"]` for tests or `["10.0.0.0/8"]` inside a LAN.
   */
  allow_private?: string[];
  /** Seconds to connect (default 5). */
  connect_timeout?: number;
  /** Seconds for a whole request (default 15). */
  timeout?: number;
  /** Response body bytes read at most (default 65536). */
  max_response_bytes?: number;
}

/** The `[webhooks]` section (core/webhooks); every key optional, defaults in core/webhooks/settings.ts. */
export interface WebhooksConfig {
  /** Run the delivery worker (default true). */
  enabled?: boolean;
  /** First retry delay in seconds, doubled per attempt (default 60: 60, 120, 240, 480, 960). */
  retry_base?: number;
  /** Cap of the retry delay in seconds (default 960). */
  retry_max?: number;
  /** Seconds after which an undelivered event is marked failed (default 86400). */
  lifetime?: number;
  /** Requests in flight overall (default 16). */
  concurrency?: number;
  /** Requests in flight per endpoint (default 4). */
  per_endpoint_concurrency?: number;
  /** Consecutive failures that open an endpoint's circuit (default 5). */
  circuit_failures?: number;
  /** Seconds an open circuit waits before a probe (default 300). */
  circuit_pause?: number;
  /** Seconds between scans for due deliveries when idle (default 30). */
  poll_interval?: number;
  /** Base URL of this server's HTTP listener for attachment links (default `https://<hostname>`). */
  public_url?: string;
  /** Seconds an attachment download link stays valid (default 604800). */
  attachment_url_ttl?: number;
  /** Attachments up to this many bytes are inlined as base64 too (default 0: links only). */
  inline_attachment_max?: number;
  /** Characters of text and sanitised HTML body in a payload at most (default 262144). */
  max_body_chars?: number;
  /** Days delivered and failed deliveries stay in the log (default 30). */
  log_days?: number;
}

/** The `[notify]` section (core/notify); every key optional, defaults in core/notify/settings.ts. */
export interface NotifyConfig {
  /** Sender of notification messages (default `postmaster@<hostname>`). */
  from?: string;
  /** Local accounts that get admin notifications (default none: webhooks with scope "system" only). */
  admins?: string[];
  /** Quota percentages that notify the user (default [80, 100]). */
  quota_thresholds?: number[];
  /** Seconds during which the same cause is not notified again (default 86400). */
  dedup_window?: number;
  /** Notifications per recipient per hour at most (default 20). */
  rate_limit_per_hour?: number;
  /** Queued messages above which admins are told of a backlog (default 1000). */
  queue_backlog?: number;
  /** Percent of failed remote recipients in the last hour that alarms admins (default 50; 0: off). */
  failure_rate?: number;
  /** Days before a certificate expires that admins are told (default 14). */
  cert_warn_days?: number;
  /** Seconds between admin checks (default 3600). */
  check_interval?: number;
}

/** The `[queue]` section: outbound delivery, retries, bounces, timeouts and routing. */
export interface QueueConfig {
  /** Concurrent outbound connections overall. */
  concurrency: number;
  /** Concurrent connections per destination host. */
  per_host_concurrency: number;
  /** First retry delay in seconds; doubled per attempt (60, 120, 240, …). */
  retry_base: number;
  /** Cap of the retry delay in seconds. */
  retry_max: number;
  /** Seconds after which an undelivered recipient fails (expiry). */
  lifetime: number;
  /** Seconds after which a delay DSN is sent (0 = never). */
  delay_notify: number;
  /** Port of remote MX hosts (25). */
  port: number;
  /** Require TLS on direct (MX) delivery. */
  require_tls: boolean;
  /** Verify MX certificates (opportunistic TLS usually does not). */
  tls_verify: boolean;
  /** Name sent in EHLO (default: hostname). */
  helo_name?: string;
  /** Recipients per SMTP transaction before a new transaction on the same connection. */
  max_recipients_per_transaction: number;
  /** Seconds between scans for due messages when idle. */
  poll_interval: number;
  /** RFC 5321 §4.5.3.2 timeouts, in seconds. */
  timeout_connect: number;
  timeout_greeting: number;
  timeout_command: number;
  timeout_data_init: number;
  timeout_data_block: number;
  timeout_data_end: number;
  /** Apply recipient domains' MTA-STS policies (RFC 8461) to MX delivery (default true). */
  mta_sts?: boolean;
  /**
   * Count outbound TLS results and send daily TLS-RPT reports (RFC 8460) to domains publishing an
   * `_smtp._tls` record (default true).
   */
  tls_reports?: boolean;
  /** Sender and contact address of TLS-RPT reports (default `postmaster@<hostname>`). */
  tls_report_from?: string;
  /** DKIM selector used by `tern domain dkim` (default "tern"). */
  dkim_selector: string;
  /** Smarthost for every remote domain (absent: direct MX delivery). */
  relay?: QueueRouteConfig;
  /** Per-domain routes, checked before `relay`. */
  routes?: QueueRouteConfig[];
  /** Static DNS records; when present, DNS is answered from these only (tests, air-gapped). */
  static_dns?: {
    name: string;
    type: "MX" | "A" | "AAAA" | "TXT" | "PTR" | "SRV" | "CNAME" | "TLSA";
    value: string;
    /** TLSA: treat as DNSSEC-authenticated (RFC 7672 DANE applies). */
    authenticated?: boolean;
  }[];
}

/** The `[sieve]` section (core/sieve/settings.ts); every key optional. */
export interface SieveConfig {
  /** Largest script in octets (default 262144). */
  max_script_size?: number;
  /** Most scripts per account (default 64). */
  max_scripts?: number;
  /** Most actions one run may take (default 64). */
  max_actions?: number;
  /** Most redirects one run may make (default 4). */
  max_redirects?: number;
  /** Most commands and tests one run may evaluate (default 100000). */
  max_steps?: number;
  /** Longest run in milliseconds (default 1000). */
  max_run_ms?: number;
}

/** The `[spam]` section (core/spam); every key optional, defaults in core/spam/settings.ts. */
export interface SpamConfig {
  /** Score MX mail and add X-Spam-Score / X-Spam-Status (default false). */
  enabled?: boolean;
  /** Score at or above which a message is spam and filed to Junk (default 5). */
  threshold?: number;
  /** Learn from users moving messages into or out of Junk and from $Junk/$NotJunk (default true). */
  train?: boolean;
  /** Tokens kept per account (default 100000); the weakest are pruned beyond it. */
  max_tokens?: number;
  /** Trained messages remembered per account for untraining (default 20000). */
  max_marks?: number;
  /** Base URL of an rspamd controller/worker (e.g. http://127.0.0.1:11333); its /checkv2 score replaces the rules. */
  rspamd_url?: string;
  /** Seconds rspamd may take before the rules are used instead (default 10). */
  rspamd_timeout?: number;
  /** Points of each rule (integers; negative ones lower the score); defaults in core/spam/settings.ts. */
  weights?: SpamWeights;
}

/** The `[spam.weights]` table: points added when a rule fires. */
export interface SpamWeights {
  spf_fail?: number;
  spf_softfail?: number;
  dkim_fail?: number;
  dmarc_fail?: number;
  dmarc_pass?: number;
  rdns_fail?: number;
  helo_bad?: number;
  no_message_id?: number;
  no_date?: number;
  subject_caps?: number;
  html_only?: number;
  /** Points of a message the junk filter is sure is spam (scaled by its probability: −bayes..+bayes). */
  bayes?: number;
}
