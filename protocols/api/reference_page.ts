/**
 * The API reference page (`/api/v1/reference`): one self-contained HTML page rendered from the
 * OpenAPI document, with no script and nothing loaded from elsewhere (no CDN).
 *
 * @module
 */

function esc(text: unknown): string {
  return String(text ?? "").replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? v as Json : {});

function schemaText(schema: unknown, depth = 0): string {
  const s = obj(schema);
  if (typeof s.$ref === "string") return esc(s.$ref.replace("#/components/schemas/", ""));
  if (depth > 4) return "…";
  if (s.type === "array") return `array of ${schemaText(s.items, depth + 1)}`;
  if (s.type === "object" || s.properties) {
    const props = Object.entries(obj(s.properties)).map(([k, v]) => `${esc(k)}: ${schemaText(v, depth + 1)}`);
    return `{ ${props.join(", ")} }`;
  }
  if (Array.isArray(s.enum)) return s.enum.map((e) => esc(JSON.stringify(e))).join(" | ");
  if (Array.isArray(s.anyOf)) return s.anyOf.map((x) => schemaText(x, depth + 1)).join(" | ");
  return esc(Array.isArray(s.type) ? s.type.join(" | ") : s.type ?? "any");
}

/** Renders the OpenAPI document as an HTML page. */
export function renderReference(doc: Json): string {
  const info = obj(doc.info);
  const base = esc(obj((doc.servers as unknown[] | undefined)?.[0]).url ?? "");
  const ops: string[] = [];
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [method, opRaw] of Object.entries(obj(item))) {
      const op = obj(opRaw);
      const params = (op.parameters as unknown[] | undefined ?? []).map((p) => {
        const q = obj(p);
        return `<li><code>${esc(q.name)}</code> (${esc(q.in)}${q.required ? ", required" : ""}): ${
          schemaText(q.schema)
        } ${esc(q.description ?? "")}</li>`;
      }).join("");
      const body = obj(obj(obj(op.requestBody).content)["application/json"]).schema;
      const responses = Object.entries(obj(op.responses)).map(([status, r]) => {
        const schema = obj(obj(obj(r).content)["application/json"]).schema ??
          obj(obj(obj(r).content)["application/problem+json"]).schema;
        return `<li><b>${esc(status)}</b> ${esc(obj(r).description)}${
          schema ? `: ${schemaText(schema)}` : ""
        }</li>`;
      }).join("");
      const secured = Array.isArray(op.security) && op.security.length === 0 ? "" : " 🔒";
      ops.push(`<section id="${esc(op.operationId ?? `${method}-${path}`)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${base}${
        esc(path)
      }</code>${secured}</h3>
<p>${esc(op.summary ?? "")}</p>${op.description ? `<p>${esc(op.description)}</p>` : ""}
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}${
        body ? `<h4>Body</h4><p>${schemaText(body)}</p>` : ""
      }
<h4>Responses</h4><ul>${responses}</ul></section>`);
    }
  }
  const schemas = Object.entries(obj(obj(doc.components).schemas)).map(([name, s]) =>
    `<li id="schema-${esc(name)}"><code>${esc(name)}</code>: ${
      schemaText({ ...obj(s), $ref: undefined })
    }</li>`
  ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:0 .2em}section{border-top:1px solid #ddd;padding:.5rem 0}
.m{font:bold 13px monospace;padding:.1em .4em;border-radius:3px;background:#eee}.get{background:#def}
.post{background:#dfd}.patch{background:#ffd}.delete{background:#fdd}</style></head>
<body><h1>${esc(info.title)} <small>v${esc(info.version)}</small></h1><p>${esc(info.description ?? "")}</p>
<p>Errors are <code>application/problem+json</code> (RFC 9457). The machine-readable description is
<a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
${ops.join("\n")}
<h2>Schemas</h2><ul>${schemas}</ul></body></html>`;
}
