/**
 * An account's messages for support and inspection: `GET /messages/{accountId}` (newest first,
 * optionally one mailbox), `GET /messages/{accountId}/{messageId}` (header fields, text, sanitised
 * HTML, attachments) and `GET /messages/{accountId}/{messageId}/attachments/{partId}` (a download:
 * `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, a sandboxing CSP). A member
 * sees its own account, an org admin its organization's, a platform admin every one (core/authz
 * `message`); reading someone else's message is recorded in the audit log. The view is
 * core/messages/inspect.ts's (HTML through core/mime/sanitize_html.ts).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import { notFound } from "../problem.ts";
import { decodeCursor, encodeCursor, PAGE_DEFAULT, pageOf, PageQuery } from "../pagination.ts";
import { attachmentContent, inspectMessage } from "../../../core/messages/inspect.ts";
import type { Message } from "../../../core/store/types.ts";
import type { EmailAddress } from "../../../core/mime/types.ts";

const Address = z.object({ name: z.string().nullable(), email: z.string() });

const MessageItem = z.object({
  id: z.string(),
  mailboxIds: z.array(z.string()),
  keywords: z.array(z.string()),
  size: z.number().int(),
  receivedAt: z.string().openapi({ format: "date-time" }),
  sentAt: z.string().nullable().openapi({ format: "date-time" }),
  subject: z.string(),
  from: z.array(Address),
  to: z.array(Address),
  preview: z.string(),
  hasAttachment: z.boolean(),
}).openapi("MessageItem");

const Attachment = z.object({
  partId: z.string(),
  name: z.string().nullable(),
  type: z.string(),
  size: z.number().int(),
  disposition: z.string().nullable(),
  contentId: z.string().nullable(),
  downloadPath: z.string().openapi({ description: "Where to download it (relative to /api/v1)." }),
});

const MessageDetail = MessageItem.extend({
  headers: z.array(z.object({ name: z.string(), value: z.string() })),
  text: z.string().nullable(),
  html: z.string().nullable().openapi({
    description:
      "Sanitised: no scripts, event handlers, forms or remote resources (unless remoteImages=true).",
  }),
  truncated: z.boolean(),
  attachments: z.array(Attachment),
}).openapi("MessageDetail");

const AccountParam = z.object({
  accountId: z.string().min(1).max(128).openapi({ param: { name: "accountId", in: "path" } }),
});
const MessageParams = AccountParam.extend({
  messageId: z.string().min(1).max(128).openapi({ param: { name: "messageId", in: "path" } }),
});
const PartParams = MessageParams.extend({
  partId: z.string().regex(/^\d{1,6}(\.\d{1,6}){0,31}$/).openapi({ param: { name: "partId", in: "path" } }),
});

const ListQuery = PageQuery.extend({
  mailboxId: z.string().min(1).max(128).optional().openapi({
    param: { name: "mailboxId", in: "query" },
    description: "Only messages in this mailbox.",
  }),
});

const DetailQuery = z.object({
  remoteImages: z.enum(["true", "false"]).optional().openapi({
    param: { name: "remoteImages", in: "query" },
    description: "Keep http(s) images in the HTML (they tell the sender the message was read).",
  }),
});

const addresses = (list: EmailAddress[]) => list.map((a) => ({ name: a.name, email: a.email }));

function itemView(m: Message): z.infer<typeof MessageItem> {
  return {
    id: m.id,
    mailboxIds: m.mailboxIds,
    keywords: m.keywords,
    size: m.size,
    receivedAt: m.receivedAt.toISOString(),
    sentAt: m.summary.sentAt ? m.summary.sentAt.toISOString() : null,
    subject: m.summary.subject,
    from: addresses(m.summary.from),
    to: addresses(m.summary.to),
    preview: m.summary.preview,
    hasAttachment: m.summary.hasAttachment,
  };
}

/** A conservative `type/subtype` for the download's Content-Type (anything odd is octet-stream). */
function downloadType(type: string): string {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(type)
    ? type
    : "application/octet-stream";
}

/** RFC 6266 §4: an ASCII fallback name and the exact one in RFC 8187 encoding. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Registers the message routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const store = deps.server.store;

  /** The account's organization when the caller may read its messages; 404 when absent or out of reach. */
  const reach = async (c: ApiContext, accountId: string): Promise<string> => {
    const orgId = await deps.orgs.orgOfAccount(accountId);
    if (orgId === null) throw notFound("account");
    authorize(c, "message", "read", { orgId, accountId });
    return orgId;
  };

  /** The message, or 404. */
  const message = async (accountId: string, messageId: string): Promise<Message> => {
    const [m] = await store.getMessages(accountId, [messageId]);
    if (!m) throw notFound("message");
    return m;
  };

  /** Reading another account's mail is recorded. */
  const recordRead = async (c: ApiContext, orgId: string, accountId: string, target: string) => {
    if (c.get("principal").accountId === accountId) return;
    await deps.audit.security(actorOf(c), {
      action: "message.read",
      orgId,
      target: `${accountId}/${target}`,
    });
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/messages/{accountId}",
      operationId: "listMessages",
      summary: "An account's messages, newest first.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: AccountParam, query: ListQuery },
      responses: {
        200: { description: "A page of messages.", content: json(pageOf(MessageItem, "MessagePage")) },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const { accountId } = c.req.valid("param");
      const q = c.req.valid("query");
      await reach(c, accountId);
      const ids = await store.queryMessages(accountId, {
        ...(q.mailboxId !== undefined ? { filter: { inMailbox: q.mailboxId } } : {}),
        sort: [{ property: "receivedAt", isAscending: false }],
      });
      // The cursor is the last id shown: newer arrivals go in front and never shift the next page.
      const after = q.cursor === undefined ? -1 : ids.indexOf(decodeCursor(q.cursor));
      const limit = q.limit ?? PAGE_DEFAULT;
      const pageIds = ids.slice(after + 1, after + 1 + limit);
      const byId = new Map((await store.getMessages(accountId, pageIds)).map((m) => [m.id, m]));
      const items = pageIds.map((id) => byId.get(id)).filter((m): m is Message => m !== undefined);
      const more = after + 1 + limit < ids.length && pageIds.length > 0;
      return c.json({
        items: items.map(itemView),
        nextCursor: more ? encodeCursor(pageIds[pageIds.length - 1]!) : null,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/messages/{accountId}/{messageId}",
      operationId: "getMessage",
      summary: "One message: header fields, text, sanitised HTML and the list of attachments.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: MessageParams, query: DetailQuery },
      responses: {
        200: { description: "The message.", content: json(MessageDetail) },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const { accountId, messageId } = c.req.valid("param");
      const orgId = await reach(c, accountId);
      const m = await message(accountId, messageId);
      const raw = await store.readMessage(accountId, m.id);
      if (!raw) throw notFound("message");
      await recordRead(c, orgId, accountId, m.id);
      const view = inspectMessage(raw, {
        allowRemoteResources: c.req.valid("query").remoteImages === "true",
      });
      const base = `/messages/${encodeURIComponent(accountId)}/${encodeURIComponent(m.id)}/attachments/`;
      return c.json({
        ...itemView(m),
        headers: view.headers,
        text: view.text,
        html: view.html,
        truncated: view.truncated,
        attachments: view.attachments.map((a) => ({ ...a, downloadPath: base + a.partId })),
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/messages/{accountId}/{messageId}/attachments/{partId}",
      operationId: "downloadAttachment",
      summary: "Download one part of a message (always as an attachment, never rendered).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: PartParams },
      responses: {
        200: {
          description: "The decoded part.",
          content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
        },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const { accountId, messageId, partId } = c.req.valid("param");
      const orgId = await reach(c, accountId);
      const m = await message(accountId, messageId);
      const raw = await store.readMessage(accountId, m.id);
      const part = raw ? attachmentContent(raw, partId) : null;
      if (!part) throw notFound("attachment");
      await recordRead(c, orgId, accountId, `${m.id}/${partId}`);
      return new Response(part.bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: {
          "Content-Type": downloadType(part.info.type),
          "Content-Disposition": contentDisposition(part.info.name ?? `part-${partId}`),
          "X-Content-Type-Options": "nosniff",
          // Opened directly anyway: no script, no plugin, nothing loaded, own origin.
          "Content-Security-Policy": "sandbox; default-src 'none'",
          "Cache-Control": "no-store",
        },
      });
    },
  );
}
