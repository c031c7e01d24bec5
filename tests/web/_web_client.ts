/**
 * A minimal form-posting HTTP client for the web UI's wire tests (the browser tests use real
 * Chromium): a cookie jar, no automatic redirects, and the CSRF field read from a page.
 *
 * @module
 */

/** A client with cookies, talking to one origin. */
export class WebClient {
  readonly origin: string;
  readonly cookies = new Map<string, string>();

  /** @param origin e.g. `http://127.0.0.1:1234` */
  constructor(origin: string) {
    this.origin = origin;
  }

  /** One request; records Set-Cookie; never follows redirects. */
  async request(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const headers = new Headers(opts.headers ?? {});
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    let body: string | undefined;
    if (opts.form) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(`${this.origin}${path}`, { method, headers, body, redirect: "manual" });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(sc)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** The `csrf` hidden field of a page. */
  static csrfOf(html: string): string {
    const m = html.match(/name="csrf" value="([^"]*)"/);
    if (!m) throw new Error("no csrf field in page");
    return m[1]!;
  }

  /** Logs in through the login form; returns the final response of the POST. */
  async login(address: string, password: string) {
    const page = await this.request("GET", "/login");
    return await this.request("POST", "/login", {
      form: { csrf: WebClient.csrfOf(page.text), address, password },
    });
  }
}
