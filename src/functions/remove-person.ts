import { z } from 'zod';
import { removePerson as remove } from '../domain/persons.js';
import { presentPerson } from '../presenters/person.js';
import { uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/**
 * removePerson. The spec does not say what it returns: Baton returns the
 * removed person as it was, so a client can log what went.
 */
export const removePerson = defineFunction({
  name: 'removePerson',
  kind: 'command',
  summary: 'Removes a person from a conference; their PIN returns to the pool.',
  result: 'Person',
  params: z.object({ conference: uid(), person: uid() }),
  async handle(ctx, p) {
    const { person, did } = await remove(ctx, p.conference, p.person);
    return presentPerson(person, did, []);
  },
});
