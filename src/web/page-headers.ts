/**
 * The headers of the self-contained public pages (the registration pages and
 * the server's own HTML error pages, which share their look): not framed
 * (clickjacking), not sniffed, not cached, no referrer, and a policy that
 * allows their inline style and nothing else — no script at all. (No
 * `form-action`: browsers apply it to the redirect after a registration,
 * which may go to the conference's own confirmation page elsewhere.)
 */
import type { FastifyReply } from 'fastify';

/** The Content-Security-Policy of these pages. */
export const publicPagePolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Sends `html` with `status` and the pages' headers. */
export function sendPublicPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', publicPagePolicy)
    .send(html);
}
