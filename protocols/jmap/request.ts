/**
 * Parsing of a JMAP Request object (RFC 8620 §3.3) and resolution of result references (§3.7).
 * Pure functions: no I/O.
 *
 * @module
 */
import { MethodError, ProblemError, ProblemType } from "./errors.ts";

/** A method call or response: [name, arguments, method call id] (RFC 8620 §3.2). */
export type Invocation = [string, Record<string, unknown>, string];

/** A validated Request object. */
export interface JmapRequest {
  using: string[];
  methodCalls: Invocation[];
  createdIds?: Record<string, string>;
}

/** A result reference (RFC 8620 §3.7). */
export interface ResultReference {
  resultOf: string;
  name: string;
  path: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Default bound on JSON nesting (`jmap.max_json_depth`). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * The first nesting depth above `max` reached by the arrays and objects of a JSON text, or 0 when
 * it stays within `max`. A linear scan that skips strings (with their escapes); it does not
 * validate, so it runs before `JSON.parse` and bounds the recursion of everything that walks the
 * parsed value.
 */
export function jsonDepthOver(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return 0;
}

/**
 * Parses a Request object from JSON text: `notRequest` when it nests deeper than `maxDepth` (checked
 * before parsing, RFC 8620 §3.6.1), `notJSON` when it is not JSON, `notRequest` when it is JSON but
 * not a Request object.
 */
export function parseRequestText(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (jsonDepthOver(text, maxDepth) > 0) {
    throw new ProblemError(
      400,
      ProblemType.notRequest,
      `The request is nested deeper than ${maxDepth} levels.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError(400, ProblemType.notJSON, "The request body is not valid UTF-8 JSON.");
  }
}

/**
 * Parses the request body. Throws ProblemError `notJSON` when it is not JSON (or not UTF-8) and
 * `notRequest` when it nests deeper than `maxDepth` or is JSON but not a Request object (RFC 8620
 * §3.6.1).
 */
export function parseRequest(body: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): JmapRequest {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new ProblemError(400, ProblemType.notJSON, "The request body is not valid UTF-8 JSON.");
  }
  return validateRequest(parseRequestText(text, maxDepth));
}

/** Validates a parsed value as a Request object. */
export function validateRequest(value: unknown): JmapRequest {
  const notRequest = (detail: string) => new ProblemError(400, ProblemType.notRequest, detail);
  if (!isObject(value)) throw notRequest("The request is not a JSON object.");
  const { using, methodCalls, createdIds } = value;
  if (!Array.isArray(using) || !using.every((u) => typeof u === "string")) {
    throw notRequest("'using' must be an array of strings.");
  }
  if (!Array.isArray(methodCalls)) throw notRequest("'methodCalls' must be an array.");
  const calls: Invocation[] = [];
  for (const call of methodCalls) {
    if (
      !Array.isArray(call) || call.length !== 3 || typeof call[0] !== "string" || !isObject(call[1]) ||
      typeof call[2] !== "string"
    ) {
      throw notRequest("Each method call must be [name: string, arguments: object, id: string].");
    }
    calls.push([call[0], call[1], call[2]]);
  }
  const request: JmapRequest = { using: using as string[], methodCalls: calls };
  if (createdIds !== undefined) {
    if (!isObject(createdIds) || !Object.values(createdIds).every((v) => typeof v === "string")) {
      throw notRequest("'createdIds' must map creation ids to ids.");
    }
    request.createdIds = createdIds as Record<string, string>;
  }
  return request;
}

/** Unescapes one JSON Pointer reference token (RFC 6901 §4). */
function unescapeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

/**
 * Evaluates a JMAP JSON Pointer with the `*` extension (RFC 8620 §3.7): `*` maps the rest of the
 * path over every array item, and arrays produced that way are flattened one level.
 * Throws a TypeError when the path does not resolve.
 */
export function evaluatePointer(value: unknown, path: string): unknown {
  if (path === "") return value;
  if (!path.startsWith("/")) throw new TypeError(`Invalid JSON Pointer: "${path}"`);
  return walk(value, path.slice(1).split("/").map(unescapeToken));
}

function walk(value: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) return value;
  const [token, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(value)) {
    if (token === "*") {
      const out: unknown[] = [];
      for (const item of value) {
        const v = walk(item, rest);
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      return out;
    }
    if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new TypeError(`Invalid array index: "${token}"`);
    const index = Number(token);
    if (index >= value.length) throw new TypeError(`Array index out of range: ${index}`);
    return walk(value[index], rest);
  }
  if (isObject(value)) {
    if (!Object.hasOwn(value, token)) throw new TypeError(`No such property: "${token}"`);
    return walk(value[token], rest);
  }
  throw new TypeError(`Cannot descend into a ${value === null ? "null" : typeof value}`);
}

function isResultReference(value: unknown): value is ResultReference {
  return isObject(value) && typeof value.resultOf === "string" && typeof value.name === "string" &&
    typeof value.path === "string";
}

/**
 * Replaces every `#name` argument by the value its result reference points at (RFC 8620 §3.7),
 * looking the referenced call up among the responses so far. Throws MethodError
 * `invalidArguments` when both `name` and `#name` are present and `invalidResultReference` when a
 * reference does not resolve.
 */
export function resolveResultReferences(
  args: Record<string, unknown>,
  responses: readonly Invocation[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith("#")) {
      out[key] = value;
      continue;
    }
    const name = key.slice(1);
    if (Object.hasOwn(args, name)) {
      throw new MethodError("invalidArguments", `Both "${name}" and "${key}" are given.`);
    }
    if (!isResultReference(value)) {
      throw new MethodError("invalidResultReference", `"${key}" is not a ResultReference.`);
    }
    const response = responses.find((r) => r[2] === value.resultOf);
    if (!response) {
      throw new MethodError("invalidResultReference", `No response with id "${value.resultOf}".`);
    }
    if (response[0] !== value.name) {
      throw new MethodError(
        "invalidResultReference",
        `Response "${value.resultOf}" is "${response[0]}", not "${value.name}".`,
      );
    }
    try {
      out[name] = evaluatePointer(response[1], value.path);
    } catch (error) {
      throw new MethodError("invalidResultReference", `Path "${value.path}": ${(error as Error).message}`);
    }
  }
  return out;
}
