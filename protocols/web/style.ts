/**
 * The web UI's one stylesheet, served from the binary at `/web/style.css` (no CDN, no inline
 * styles: the Content-Security-Policy allows only `style-src 'self'`). Small-screen first.
 *
 * @module
 */

/** Where the stylesheet is served. */
export const STYLE_PATH = "/web/style.css";

/** The stylesheet. */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #59636e; --line: #d0d7de;
  --accent: #0b57d0; --ok: #116329; --bad: #b3261e; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --accent: #78a9ff; --ok: #56d364; --bad: #ff7b72; --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .5rem 1rem;
  border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; margin-right: auto; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem .75rem; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.notice { padding: .5rem .75rem; border-radius: 6px; border: 1px solid var(--line); margin: 0 0 1rem; }
.notice.ok { border-color: var(--ok); }
.notice.error { border-color: var(--bad); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.wrap { word-break: break-all; font-family: ui-monospace, monospace; font-size: .85rem; }
form.card, section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: .75rem 1rem; margin: 0 0 1rem; }
form.inline { display: inline; }
label { display: block; margin: .5rem 0 .15rem; font-weight: 600; }
input, select, textarea, button { font: inherit; color: inherit; }
input[type=text], input[type=email], input[type=password], input[type=number], input[type=url],
input[type=datetime-local], select, textarea { width: 100%; max-width: 32rem; padding: .4rem;
  border: 1px solid var(--muted); border-radius: 4px; background: var(--bg); }
textarea { max-width: 100%; min-height: 12rem; font-family: ui-monospace, monospace; }
input[type=checkbox] { width: 1.1rem; height: 1.1rem; }
.check label { display: inline; font-weight: 400; }
button { margin-top: .75rem; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--accent);
  background: var(--accent); color: var(--bg); cursor: pointer; min-height: 2.25rem; }
button.secondary { background: transparent; color: var(--accent); margin-top: 0; }
button.danger { background: transparent; color: var(--bad); border-color: var(--bad); margin-top: 0; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); }
.stat { font-size: 1.6rem; font-weight: 700; }
.muted { color: var(--muted); }
.status-healthy, .status-ok { color: var(--ok); }
.status-degraded, .status-down, .status-missing, .status-mismatch, .status-error { color: var(--bad); }
meter { width: 100%; max-width: 32rem; height: 1.2rem; }
svg.chart { width: 100%; max-width: 40rem; height: auto; }
svg.chart text { fill: currentColor; font-size: 11px; }
svg.qr { width: 12rem; height: 12rem; background: #fff; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem; }
`;
