/**
 * The admin API's wire tests, in one module so that tests/api/_openapi_cases.ts can check, after
 * them, that every documented response status was produced by some test.
 */
import "./_auth_cases.ts";
import "./_directory_cases.ts";
import "./_matrix_cases.ts";
import "./_status_cases.ts";
import "./_settings_audit_cases.ts";
import "./_cli_cases.ts";
import "./_queue_cases.ts";
import "./_health_cases.ts";
import "./_messages_cases.ts";
import "./_stats_cases.ts";
import "./_webhooks_cases.ts";
import "./_dmarc_cases.ts";
import "./_self_service_cases.ts";
import "./_openapi_cases.ts";
