/**
 * updateCustomValue: key/value pairs on a customer, conference, person, call
 * or caller. "To remove a custom value just assign it an empty value. You
 * cannot update call or callers that are currently active." (spec)
 */
import type { CallContext } from '../context.js';
import { ParameterError } from '../errors.js';
import { checkName } from './names.js';
import { findCall, findCaller } from '../store/call.repository.js';
import { findConference } from '../store/conference.repository.js';
import {
  deleteCustomValue,
  listCustomValues,
  setCustomValue,
  type CustomObjectType,
  type CustomValue,
} from '../store/custom-value.repository.js';
import { inTransaction } from '../store/database.js';
import { findPerson } from '../store/person.repository.js';
import { customValueEvent, recordEvents } from './events.js';

export const customObjectTypes = ['conference', 'person', 'call', 'caller', 'customer'] as const;

/**
 * Keys the original's administration site recognises (spec). They are stored
 * like any other; URL-valued ones must be http(s) URLs, since pages link to them.
 */
export const recognizedKeys: Record<string, { objects: CustomObjectType[]; url: boolean }> = {
  MC_CONFIRMATION_PAGE: { objects: ['conference'], url: true },
  RESELLER_INFO_TEXT: { objects: ['conference', 'call'], url: false },
  RESELLER_INFO_URL: { objects: ['conference', 'call'], url: true },
};

/**
 * Most custom values one object holds: each value is bounded, so the count is
 * too, or one object (and every answer that carries it) could grow without end.
 */
export const maxCustomValues = 100;

/** Longest custom key and value. */
export const customValueLimits = { customKey: 100, customValue: 4000 } as const;

export function parseObjectType(text: string): CustomObjectType {
  const lower = text.trim().toLowerCase();
  const found = customObjectTypes.find((t) => t === lower);
  if (!found) throw new ParameterError(`objectType must be one of ${customObjectTypes.join(', ')}, got "${text}"`);
  return found;
}

/** Checks that the object exists for this customer and may be changed. */
async function requireEditableObject(ctx: CallContext, type: CustomObjectType, uid: string): Promise<void> {
  const { db } = ctx.services.store;
  const customerUid = ctx.customer.uid;
  const missing = () => new ParameterError(`no ${type} with UID ${uid}`);
  switch (type) {
    case 'customer':
      if (uid !== customerUid) throw missing();
      return;
    case 'conference':
      if (!(await findConference(db, customerUid, uid))) throw missing();
      return;
    case 'person':
      if (!(await findPerson(db, customerUid, uid))) throw missing();
      return;
    case 'call': {
      const call = await findCall(db, customerUid, uid);
      if (!call) throw missing();
      if (call.status === 'ACTIVE')
        throw new ParameterError(`call ${uid} is active; custom values of a live call cannot change`);
      return;
    }
    case 'caller': {
      const caller = await findCaller(db, customerUid, uid);
      if (!caller) throw missing();
      if (caller.active)
        throw new ParameterError(`caller ${uid} is active; custom values of a live caller cannot change`);
      return;
    }
  }
}

export interface CustomValueUpdate {
  objectType: CustomObjectType;
  objectUID: string;
  customKey: string;
  customValue: string;
}

/** Sets (or, with an empty value, removes) one custom value; returns the object's values. */
export async function updateCustomValue(ctx: CallContext, update: CustomValueUpdate): Promise<CustomValue[]> {
  const { objectType, objectUID, customKey, customValue } = update;
  // One rule for every door (the API's parameters say the same before the call; the site's form relies on it).
  if (customKey.trim() === '') throw new ParameterError('customKey is required');
  if (customKey.length > customValueLimits.customKey) {
    throw new ParameterError(`customKey must be at most ${customValueLimits.customKey} characters`);
  }
  checkName('customKey', customKey, customValueLimits.customKey, true);
  if (customValue.length > customValueLimits.customValue) {
    throw new ParameterError(`customValue must be at most ${customValueLimits.customValue} characters`);
  }
  await requireEditableObject(ctx, objectType, objectUID);
  const { services } = ctx;
  const customerUid = ctx.customer.uid;
  if (customValue !== '') {
    const known = recognizedKeys[customKey];
    if (known?.url && !/^https?:\/\/[^\s]+$/i.test(customValue)) {
      throw new ParameterError(`customValue for ${customKey} must be an http(s) URL`);
    }
  }
  return inTransaction(services.store.db, async (trx) => {
    if (customValue === '') {
      await deleteCustomValue(trx, customerUid, objectType, objectUID, customKey);
    } else {
      await setCustomValue(trx, customerUid, objectType, objectUID, { key: customKey, value: customValue });
    }
    const values = await listCustomValues(trx, customerUid, objectType, objectUID);
    // Counted after the write, in its transaction: the refusal rolls the new key back, and two racing writers cannot both pass.
    if (values.length > maxCustomValues) {
      throw new ParameterError(
        `a ${objectType} may hold at most ${maxCustomValues} custom values; remove one (assign it an empty value) first`,
      );
    }
    await recordEvents(trx, services, customerUid, [
      customValueEvent(objectType, objectUID, customKey, customValue, values),
    ]);
    return values;
  });
}
