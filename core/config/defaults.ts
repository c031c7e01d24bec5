/**
 * The built-in configuration: what a missing key in tern.toml means. Development-friendly ports
 * (unprivileged, on loopback) so `deno task start` works without root; config.example.toml shows
 * the standard ports for production.
 *
 * @module
 */
import type { Config, ListenerConfig, ListenerName, SmtpChecksConfig, TlsMode } from "./types.ts";

/** Order in which listeners are documented, validated and started. */
export const LISTENER_NAMES: readonly ListenerName[] = [
  "smtp",
  "submission",
  "submissions",
  "lmtp",
  "imap",
  "imaps",
  "pop3",
  "pop3s",
  "managesieve",
  "http",
];

/** Default concurrent connections per listener. */
export const DEFAULT_MAX_CONNECTIONS = 500;

function listener(port: number, tls: TlsMode): ListenerConfig {
  return {
    enabled: true,
    address: "127.0.0.1",
    port,
    tls,
    allow_plaintext_auth: false,
    max_connections: DEFAULT_MAX_CONNECTIONS,
    allow_networks: [],
    block_networks: [],
    time_windows: [],
  };
}

/**
 * A fresh copy of the default configuration (callers may mutate it).
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./defaults.ts";
 * const config = defaultConfig();
 * console.log(config.listeners.smtp.port); // 2525
 * ```
 */
export function defaultConfig(): Config {
  return {
    hostname: "localhost",
    data_dir: "./data",
    store: { backend: "sqlite" },
    local_domains: ["localhost"],
    log: { level: "info", output: "stderr" },
    tls: {},
    listeners: {
      smtp: listener(2525, "starttls"),
      submission: listener(2587, "starttls"),
      submissions: listener(2465, "implicit"),
      // LMTP (RFC 2033) serves a trusted MTA in front of Tern: off unless configured.
      lmtp: { ...listener(2424, "none"), enabled: false },
      imap: listener(2143, "starttls"),
      imaps: listener(2993, "implicit"),
      pop3: listener(2110, "starttls"),
      pop3s: listener(2995, "implicit"),
      // ManageSieve (RFC 5804): 4190 is its registered port and already unprivileged.
      managesieve: listener(4190, "starttls"),
      // JMAP over plain HTTP on loopback is the development setup (no TLS to wait for): Basic is
      // allowed here; production configurations use tls = "implicit" or set this to false.
      http: { ...listener(8080, "none"), allow_plaintext_auth: true },
    },
    shutdown_grace: 10,
    auth: {
      cram_md5: false,
      throttle_free_failures: 3,
      throttle_base_delay_ms: 500,
      lockout_failures: 10,
      lockout_seconds: 900,
      cache_ttl: 300,
      cache_size: 10_000,
    },
    smtp: {
      max_message_size: 50 * 1024 * 1024,
      max_recipients: 100,
      spill_threshold: 1024 * 1024,
      // RFC 5321 §4.5.3.2: the server SHOULD wait at least 5 minutes for the next command.
      idle_timeout: 300,
      session_timeout: 1800,
      relay_networks: [],
      blocked_networks: [],
      rate_limit_per_minute: 60,
      sender_any_accounts: [],
      checks: defaultChecks(),
    },
    imap: {
      // RFC 9051 §5.4: an inactivity timer MUST be at least 30 minutes.
      idle_timeout: 1800,
      max_literal_size: 50 * 1024 * 1024,
      max_line_length: 64 * 1024,
      // A command line or literal in progress must arrive within this time (slow-trickle bound).
      command_timeout: 300,
      unauthenticated_timeout: 120,
    },
    // RFC 1939 §3: an inactivity autologout timer MUST be at least 10 minutes.
    pop3: { idle_timeout: 600 },
    mta_sts: { mode: "testing", max_age: 604800, mx: [] },
    acme: {
      enabled: false,
      directory_url: "https://acme-v02.api.letsencrypt.org/directory",
      names: [],
      http_port: 80,
      renew_before_days: 30,
      check_interval: 43200,
    },
    jmap: {
      cors_origins: [],
      max_size_upload: 50 * 1024 * 1024,
      max_size_request: 10 * 1024 * 1024,
      max_calls_in_request: 16,
      max_objects_in_get: 500,
      max_objects_in_set: 500,
      max_concurrent_requests: 4,
      max_concurrent_upload: 4,
      trusted_max_skew: 300,
      vacation_period_days: 7,
      max_json_depth: 64,
      max_streams_per_account: 8,
      max_streams_per_ip: 10,
      // Off: on the 2-core machines measured, a read worker cost more CPU than it saved (issue 24).
      read_workers: 0,
    },
    http: { header_timeout: 10, keep_alive_timeout: 30 },
    health: {
      interval: 60,
      history_days: 7,
      disk_free_min_mb: 1024,
      cert_warn_days: 14,
      queue_backlog_max: 10_000,
      queue_age_max: 4 * 3600,
    },
    api: {
      access_token_ttl: 900,
      refresh_token_ttl: 30 * 86_400,
      session_absolute: 90 * 86_400,
      session_idle: 30 * 86_400,
      platform_admins: [],
    },
    queue: {
      concurrency: 20,
      per_host_concurrency: 4,
      // Seed schedule: 60 s, 120 s, 240 s, 480 s, 960 s, … capped at one hour.
      retry_base: 60,
      retry_max: 3600,
      lifetime: 48 * 3600,
      delay_notify: 4 * 3600,
      port: 25,
      require_tls: false,
      tls_verify: false,
      max_recipients_per_transaction: 100,
      poll_interval: 30,
      // RFC 5321 §4.5.3.2 minimum client timeouts.
      timeout_connect: 30,
      timeout_greeting: 300,
      timeout_command: 300,
      timeout_data_init: 120,
      timeout_data_block: 180,
      timeout_data_end: 600,
      dkim_selector: "tern",
    },
    policy: {
      allow_networks: [],
      block_networks: [],
      max_connections_per_ip: 20,
      connections_per_minute_per_ip: 60,
      ban_failures: 20,
      ban_window_seconds: 600,
      ban_seconds: 3600,
    },
  };
}

/** The `[smtp.checks]` defaults: authentication on, connection checks logged, no DNS lists, no greylisting. */
export function defaultChecks(): SmtpChecksConfig {
  return {
    spf: true,
    dkim: true,
    dmarc: true,
    dmarc_policy: "enforce",
    arc: true,
    arc_trusted_sealers: [],
    rdns: "log",
    helo: "log",
    dnsbl: [],
    dnswl: [],
    greylist: false,
    // RFC 6647 §6: a delay of a few minutes, retries accepted for a day, passes kept for a month.
    greylist_delay: 300,
    greylist_retry_window: 86_400,
    greylist_pass_ttl: 36 * 86_400,
    greylist_exempt_domains: [],
    dns_cache_ttl: 300,
    dns_max_lookups: 50,
    dmarc_reports: false,
  };
}
