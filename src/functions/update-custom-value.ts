import { z } from 'zod';
import { customValueLimits, parseObjectType, updateCustomValue as update } from '../domain/custom-values.js';
import { presentCustomValues } from '../presenters/common.js';
import { assignedText, requiredText, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/**
 * updateCustomValue. The spec does not say what it returns: Baton returns the
 * object's type, UID and its whole `custom` list after the change.
 */
export const updateCustomValue = defineFunction({
  name: 'updateCustomValue',
  kind: 'command',
  summary: 'Sets or (with an empty value) removes a custom value of a customer, conference, person, call or caller.',
  result: 'CustomValues',
  params: z.object({
    objectType: requiredText(16),
    objectUID: uid(),
    customKey: requiredText(customValueLimits.customKey),
    customValue: assignedText(customValueLimits.customValue),
  }),
  async handle(ctx, p) {
    const objectType = parseObjectType(p.objectType);
    const custom = await update(ctx, { ...p, objectType });
    return { objectType, objectUID: p.objectUID, custom: presentCustomValues(custom) };
  },
});
