/**
 * The bridge's credentials: one server-wide token (BRIDGE_TOKEN), sent as
 * `Authorization: Bearer <token>` — or, for FreeSWITCH modules that only speak
 * HTTP Basic (mod_xml_curl `gateway-credentials`, mod_xml_cdr `cred`), as the
 * Basic password with any user name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The token an Authorization header offers, or null when it offers none. */
export function offeredToken(header: string | undefined): string | null {
  if (!header || header.length > 4096) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : decoded.slice(colon + 1);
  }
  return null;
}

/**
 * True when the header carries `expected`. Both sides are hashed first, so the
 * comparison takes the same time whatever the offered token's length or content.
 */
export function bridgeTokenMatches(expected: string, header: string | undefined): boolean {
  const offered = offeredToken(header);
  const match = timingSafeEqual(digest(offered ?? ''), digest(expected));
  return offered !== null && match;
}
