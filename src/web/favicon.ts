/**
 * `/favicon.ico`: every browser asks for it on the first page of the site, the
 * registration pages or /docs. Without an answer that request was a 404, which
 * the browser reports as an error in the page's console. A small SVG (the
 * site's accent colour) answers it; SVG icons are what current browsers take.
 */
import type { FastifyInstance } from 'fastify';

/** The icon: a rounded square in the site's blue with a white "B". */
export const faviconSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="6" fill="#1d4ed8"/>' +
  '<path d="M10 7h7.5a5 5 0 0 1 3.2 8.8A5.5 5.5 0 0 1 18 25H10zm4 4v4h3.3a2 2 0 0 0 0-4zm0 7.5V21h3.8a2.25 2.25 0 0 0 0-4.5z" fill="#fff"/>' +
  '</svg>';

/** Registers GET (and HEAD) /favicon.ico. */
export function registerFavicon(app: FastifyInstance): void {
  app.get('/favicon.ico', async (_request, reply) =>
    reply
      .header('content-type', 'image/svg+xml')
      .header('x-content-type-options', 'nosniff')
      // An SVG is a document: no script in it may run, even opened on its own.
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .header('cache-control', 'public, max-age=86400')
      .send(faviconSvg),
  );
}
