/**
 * @baton/client — a typed client of the Conference Management API as Baton
 * serves it. Runs on Node 20+ and in browsers (it needs only `fetch`).
 *
 *     const client = new BatonClient({ baseUrl, customer, key });
 *     const person = await client.addPerson({ conference, role: 'PARTICIPANT', name: 'Ann Lee' });
 */
export {
  BatonClient,
  type BatonClientOptions,
  type FetchLike,
  type ListFunctionName,
  type RequestOptions,
  type RetryOptions,
} from './client.js';
export { BatonApiError, BatonNetworkError, type NetworkFailure } from './errors.js';
export * from './functions.js';
export { objectShapes, type Shape } from './shapes.js';
export * from './types.js';
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks.js';
export { parseEnvelopeXml, parseXmlDocument, readObject, type XmlElement } from './xml.js';
