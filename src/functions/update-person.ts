import { z } from 'zod';
import { loadPersonView, updatePersonField } from '../domain/persons.js';
import { presentPerson } from '../presenters/person.js';
import { assignedText, requiredText, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** updatePerson: sets one of name, email, notes, custom1, custom2, role. "It returns a person object." */
export const updatePerson = defineFunction({
  name: 'updatePerson',
  kind: 'command',
  summary: 'Sets one person field: name, email, notes, custom1, custom2 or role.',
  result: 'Person',
  params: z.object({ person: uid(), field: requiredText(32), value: assignedText(4000) }),
  async handle(ctx, p) {
    const view = await loadPersonView(ctx, await updatePersonField(ctx, p.person, p.field, p.value));
    return presentPerson(view.person, view.did, view.custom);
  },
});
