import { z } from 'zod';
import { addPerson as add, personFieldLimits, type PersonView } from '../domain/persons.js';
import { presentPerson } from '../presenters/person.js';
import { optionalText, role, uid } from '../protocol/params.js';
import { defineFunction } from '../protocol/api-function.js';

/** The Person object of a registration. */
const present = ({ person, did, custom }: PersonView) => presentPerson(person, did, custom);

/** addPerson: "only role is required other fields are optional. It returns a person object." */
export const addPerson = defineFunction({
  name: 'addPerson',
  kind: 'command',
  summary: 'Registers a person for a conference and gives them a 6-digit dial-in PIN.',
  result: 'Person',
  params: z.object({
    conference: uid(),
    role: role(),
    name: optionalText(personFieldLimits.name),
    email: optionalText(personFieldLimits.email),
    notes: optionalText(personFieldLimits.notes),
    custom1: optionalText(personFieldLimits.custom1),
    custom2: optionalText(personFieldLimits.custom2),
  }),
  // On PostgreSQL the conference and its row version come with the credentials: no round trip of its own.
  readsView: (p) => ({ kind: 'versionedConference', uid: p.conference }),
  // On PostgreSQL a fresh Idempotency-Key is stored, with this answer, by the registration's one statement.
  claimsKeyInItsWrite: true,
  async handle(ctx, p) {
    const { person, did, custom } = await add(ctx, p, undefined, present);
    return present({ person, did, custom });
  },
});
