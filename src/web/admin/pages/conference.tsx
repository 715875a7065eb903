/** One conference: details, registration link, settings, reservations, registrants, custom values, calls. */
import type { ConferenceDataView } from '../../../domain/conferences.js';
import { customValueLimits } from '../../../domain/custom-values.js';
import { conferenceFields } from '../../../domain/editable-fields.js';
import { roles } from '../../../protocol/params.js';
import type { CallRow } from '../../../store/call.repository.js';
import type { PersonRow } from '../../../store/person.repository.js';
import type { ImportRow } from '../../../domain/person-import.js';
import { formatDuration, formatWhen, toLocalInput } from '../format.js';
import { Csrf, kept, keptChecked, renderPage, type Notice, type Refused, type Viewer } from '../layout.js';

type ConferenceField = (typeof conferenceFields)[number];

const fieldLabels: Record<ConferenceField['name'], string> = {
  contactEmail: 'Contact email (comma-separated)',
  registerText: 'Text on the registration page',
  notes: 'Notes',
  recording: 'Record calls',
  greenroom: 'Green room',
  reminder: 'Email reminders 24 h and 2 h before each reservation',
  backgroundMusic: 'Background music',
  callerInterface: 'Caller interface',
  preCall: 'Pre-call message',
  postCall: 'Post-call message',
  banner: 'Banner',
  regComment: 'Comment under the registration form',
};

/** The row value of an updateConference field, as the form shows it. */
export function conferenceFieldValue(view: ConferenceDataView, field: ConferenceField): string {
  const value = view.row[field.column];
  return field.kind === 'boolean' ? (value ? 'true' : 'false') : String(value);
}

/** What the three recognised custom values do. */
const recognisedKeys = [
  [
    'MC_CONFIRMATION_PAGE',
    'An http(s) address: after self-registration, people go there instead of the built-in confirmation page.',
  ],
  ['RESELLER_INFO_TEXT', 'The label of a button on the live call page (with RESELLER_INFO_URL).'],
  ['RESELLER_INFO_URL', 'The http(s) address that button opens; the button shows only when both are set.'],
] as const;

function PersonRowView(props: { uid: string; person: PersonRow; csrf: string }) {
  const p = props.person;
  return (
    <tr>
      <td>{p.name || <span class="muted">(no name)</span>}</td>
      <td>{p.email}</td>
      <td>{p.role}</td>
      <td class="pin" data-pin={p.uid}>
        {p.pin}
      </td>
      <td>
        <a href={`/admin/conferences/${props.uid}/persons/${p.uid}`} aria-label={`Edit ${p.name || p.email || p.uid}`}>
          Edit
        </a>{' '}
        <form class="inline" method="post" action={`/admin/conferences/${props.uid}/persons/${p.uid}/remove`}>
          <Csrf token={props.csrf} />
          <button class="link" type="submit" aria-label={`Remove ${p.name || p.email || p.uid}`}>
            Remove
          </button>
        </form>
      </td>
    </tr>
  );
}

export function conferencePage(props: {
  viewer: Viewer;
  timeZone: string;
  view: ConferenceDataView;
  calls: CallRow[];
  registrationUrl: string;
  now: number;
  notice?: Notice;
  /** The form refused, shown again as it was sent. */
  refused?: Refused;
}): string {
  const { view, viewer, timeZone, refused } = props;
  const c = view.row;
  const base = `/admin/conferences/${c.uid}`;
  const canceled = c.canceled_at !== null;
  const csrf = viewer.csrf;
  return renderPage({
    title: c.name,
    viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <>
        <section class="card" aria-labelledby="details">
          <h2 id="details">Details</h2>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <span class={`badge ${view.status.status}`}>{view.status.status}</span>
            </dd>
            <dt>UID</dt>
            <dd class="mono">{c.uid}</dd>
            <dt>Kind</dt>
            <dd>{c.reserved ? 'Reserved' : 'Reservationless'}</dd>
            <dt>Dial-in number</dt>
            <dd>{c.did || '—'}</dd>
            {c.reserved ? (
              <>
                <dt>Next or current session</dt>
                <dd>{formatWhen(view.status.scheduledStart, timeZone) || '—'}</dd>
              </>
            ) : null}
            <dt>Registrants</dt>
            <dd>{view.persons.length}</dd>
          </dl>
          <label for="registration-link">Registration link</label>
          <div class="row">
            <input id="registration-link" readOnly value={props.registrationUrl} />
            <div>
              <button type="button" class="secondary" data-copy="registration-link" hidden>
                Copy link
              </button>
            </div>
          </div>
          {!canceled && (
            <form method="post" action={`${base}/cancel`}>
              <Csrf token={csrf} />
              <button class="danger" type="submit">
                Cancel this conference
              </button>
              <span class="muted small"> Registrants’ PINs stop working; this cannot be undone.</span>
            </form>
          )}
        </section>

        <section class="card" aria-labelledby="reservations">
          <h2 id="reservations">Reservations</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Start</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Estimated callers</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {view.reservations.map((r) => (
                  <tr key={r.uid}>
                    <td>{r.start_at === null ? 'Any time' : formatWhen(r.start_at, timeZone)}</td>
                    <td>{r.duration === null ? '—' : `${r.duration} min`}</td>
                    <td>{r.estimated_callers ?? '—'}</td>
                    <td>
                      {!canceled && (r.end_at === null || r.end_at > props.now) && (
                        <details open={refused?.form === `reservation:${r.uid}`}>
                          <summary>{c.reserved ? 'Move or remove' : 'Change'}</summary>
                          <form method="post" action={`${base}/reservations/${r.uid}`}>
                            <Csrf token={csrf} />
                            {c.reserved ? (
                              <>
                                <label for={`start-${r.uid}`}>Start ({timeZone})</label>
                                <input
                                  id={`start-${r.uid}`}
                                  name="startDate"
                                  type="datetime-local"
                                  value={kept(
                                    refused,
                                    `reservation:${r.uid}`,
                                    'startDate',
                                    toLocalInput(r.start_at, timeZone),
                                  )}
                                />
                                <label for={`duration-${r.uid}`}>Duration (minutes)</label>
                                <input
                                  id={`duration-${r.uid}`}
                                  name="duration"
                                  inputMode="numeric"
                                  value={kept(refused, `reservation:${r.uid}`, 'duration', String(r.duration ?? ''))}
                                />
                              </>
                            ) : null}
                            <label for={`callers-${r.uid}`}>Estimated callers</label>
                            <input
                              id={`callers-${r.uid}`}
                              name="estimatedCallers"
                              inputMode="numeric"
                              value={kept(
                                refused,
                                `reservation:${r.uid}`,
                                'estimatedCallers',
                                r.estimated_callers === null ? '' : String(r.estimated_callers),
                              )}
                            />
                            <button type="submit">Save</button>
                          </form>
                          {c.reserved ? (
                            <form method="post" action={`${base}/reservations/${r.uid}/remove`}>
                              <Csrf token={csrf} />
                              <button class="danger" type="submit">
                                Remove reservation
                              </button>
                            </form>
                          ) : null}
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {c.reserved && !canceled ? (
            <form method="post" action={`${base}/reservations`}>
              <Csrf token={csrf} />
              <h3>Add a reservation</h3>
              <div class="row">
                <div>
                  <label for="new-start">Start ({timeZone})</label>
                  <input
                    id="new-start"
                    name="startDate"
                    type="datetime-local"
                    required
                    value={kept(refused, 'reservation', 'startDate', '')}
                  />
                </div>
                <div>
                  <label for="new-duration">Duration (minutes)</label>
                  <input
                    id="new-duration"
                    name="duration"
                    inputMode="numeric"
                    required
                    value={kept(refused, 'reservation', 'duration', '')}
                  />
                </div>
                <div>
                  <label for="new-callers">Estimated callers</label>
                  <input
                    id="new-callers"
                    name="estimatedCallers"
                    inputMode="numeric"
                    value={kept(refused, 'reservation', 'estimatedCallers', '')}
                  />
                </div>
              </div>
              <button type="submit">Add reservation</button>
            </form>
          ) : null}
        </section>

        <section class="card" aria-labelledby="registrants">
          <h2 id="registrants">Registrants ({view.persons.length})</h2>
          <p>
            <a href={`${base}/persons.csv`}>Export CSV (with PINs)</a> · <a href={`${base}/import`}>Import CSV</a>
          </p>
          {view.persons.length > 0 && (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">PIN</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {view.persons.map((p) => (
                    <PersonRowView key={p.uid} uid={c.uid} person={p} csrf={csrf} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <form method="post" action={`${base}/persons`}>
            <Csrf token={csrf} />
            <h3>Add a registrant</h3>
            <div class="row">
              <div>
                <label for="person-name">Name</label>
                <input
                  id="person-name"
                  name="name"
                  maxLength={200}
                  autocomplete="off"
                  value={kept(refused, 'person', 'name', '')}
                />
              </div>
              <div>
                <label for="person-email">Email</label>
                <input
                  id="person-email"
                  name="email"
                  type="email"
                  maxLength={254}
                  autocomplete="off"
                  value={kept(refused, 'person', 'email', '')}
                />
              </div>
              <div>
                <label for="person-role">Role</label>
                <select id="person-role" name="role">
                  {roles.map((r) => (
                    <option key={r} value={r} selected={kept(refused, 'person', 'role', 'PARTICIPANT') === r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <button type="submit">Add registrant</button>
          </form>
        </section>

        <section class="card" aria-labelledby="settings">
          <h2 id="settings">Settings</h2>
          <form method="post" action={`${base}/settings`}>
            <Csrf token={csrf} />
            {conferenceFields.map((f) =>
              f.kind === 'boolean' ? (
                <label class="check" key={f.name}>
                  <input
                    type="checkbox"
                    name={f.name}
                    value="true"
                    checked={keptChecked(refused, 'settings', f.name, conferenceFieldValue(view, f) === 'true')}
                  />
                  {fieldLabels[f.name]}
                </label>
              ) : (
                <div key={f.name}>
                  <label for={`field-${f.name}`}>{fieldLabels[f.name]}</label>
                  {f.max > 2000 ? (
                    <textarea id={`field-${f.name}`} name={f.name} maxLength={f.max} rows={3}>
                      {kept(refused, 'settings', f.name, conferenceFieldValue(view, f))}
                    </textarea>
                  ) : (
                    <input
                      id={`field-${f.name}`}
                      name={f.name}
                      maxLength={f.max}
                      value={kept(refused, 'settings', f.name, conferenceFieldValue(view, f))}
                    />
                  )}
                </div>
              ),
            )}
            <button type="submit" disabled={canceled}>
              Save settings
            </button>
          </form>
        </section>

        <section class="card" aria-labelledby="custom">
          <h2 id="custom">Custom values</h2>
          {view.custom.length > 0 && (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {view.custom.map((cv) => (
                    <tr key={cv.key}>
                      <td class="mono">{cv.key}</td>
                      <td>{cv.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <form method="post" action={`${base}/custom`}>
            <Csrf token={csrf} />
            <div class="row">
              <div>
                <label for="custom-key">Key</label>
                <input
                  id="custom-key"
                  name="customKey"
                  list="known-keys"
                  required
                  maxLength={customValueLimits.customKey}
                  value={kept(refused, 'custom', 'customKey', '')}
                />
                <datalist id="known-keys">
                  {recognisedKeys.map(([k]) => (
                    <option key={k} value={k} />
                  ))}
                </datalist>
              </div>
              <div>
                <label for="custom-value">Value (empty removes the key)</label>
                <input
                  id="custom-value"
                  name="customValue"
                  maxLength={customValueLimits.customValue}
                  value={kept(refused, 'custom', 'customValue', '')}
                />
              </div>
            </div>
            <button type="submit">Set value</button>
          </form>
          <h3>Keys Baton acts on</h3>
          <dl class="facts small">
            {recognisedKeys.map(([k, text]) => (
              <>
                <dt class="mono">{k}</dt>
                <dd>{text}</dd>
              </>
            ))}
          </dl>
        </section>

        <section class="card" aria-labelledby="calls">
          <h2 id="calls">Calls</h2>
          {props.calls.length === 0 ? (
            <p>No calls yet.</p>
          ) : (
            <ul>
              {props.calls.map((call) => (
                <li key={call.uid}>
                  <a href={`${base}/calls/${call.uid}`}>{formatWhen(call.started_at, timeZone)}</a>{' '}
                  {call.status === 'ACTIVE' ? (
                    <span class="badge ACTIVE">LIVE</span>
                  ) : (
                    <span class="muted">({formatDuration((call.ended_at ?? call.started_at) - call.started_at)})</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      </>
    ),
  });
}

/** The form that edits one registrant. */
export function personPage(props: {
  viewer: Viewer;
  conference: { uid: string; name: string };
  person: PersonRow;
  notice?: Notice;
  /** The registrant form as it was sent, when it was refused. */
  refused?: Refused;
}): string {
  const p = props.person;
  const refused = props.refused;
  const base = `/admin/conferences/${props.conference.uid}`;
  return renderPage({
    title: `Registrant: ${p.name || p.email || p.uid}`,
    viewer: props.viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <>
        <p>
          <a href={base}>Back to {props.conference.name}</a>
        </p>
        <section class="card" aria-label="Registrant">
          <p>
            PIN <span class="pin">{p.pin}</span>
          </p>
          <form method="post" action={`${base}/persons/${p.uid}`}>
            <Csrf token={props.viewer.csrf} />
            {(['name', 'email', 'notes', 'custom1', 'custom2'] as const).map((f) => (
              <div key={f}>
                <label for={`p-${f}`}>
                  {{ name: 'Name', email: 'Email', notes: 'Notes', custom1: 'Custom 1', custom2: 'Custom 2' }[f]}
                </label>
                {f === 'email' ? (
                  <input id={`p-${f}`} name={f} value={kept(refused, 'registrant', f, p[f])} type="email" />
                ) : (
                  <input id={`p-${f}`} name={f} value={kept(refused, 'registrant', f, p[f])} type="text" />
                )}
              </div>
            ))}
            <label for="p-role">Role</label>
            <select id="p-role" name="role">
              {roles.map((r) => (
                <option key={r} value={r} selected={r === kept(refused, 'registrant', 'role', p.role)}>
                  {r}
                </option>
              ))}
            </select>
            <button type="submit">Save registrant</button>
          </form>
        </section>
      </>
    ),
  });
}

/** CSV import: the paste (or file) form, and after a preview the rows with their errors. */
export function importPage(props: {
  viewer: Viewer;
  conference: { uid: string; name: string };
  csv: string;
  preview?: ImportRow[];
  result?: { added: number; failed: ImportRow[] };
  notice?: Notice;
}): string {
  const base = `/admin/conferences/${props.conference.uid}`;
  const csrf = props.viewer.csrf;
  const bad = props.preview?.filter((r) => r.error) ?? [];
  const good = props.preview ? props.preview.length - bad.length : 0;
  return renderPage({
    title: `Import registrants: ${props.conference.name}`,
    viewer: props.viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <>
        <p>
          <a href={base}>Back to the conference</a>
        </p>
        {props.result && (
          <section class="card" aria-labelledby="result">
            <h2 id="result">Imported</h2>
            <p id="import-result">
              {props.result.added} added, {props.result.failed.length} not added.
            </p>
            <ImportErrors rows={props.result.failed} />
          </section>
        )}
        {props.preview && !props.result && (
          <section class="card" aria-labelledby="preview">
            <h2 id="preview">Preview</h2>
            <p id="preview-summary">
              {good} row(s) ready, {bad.length} with errors (rows with errors are not imported).
            </p>
            <ImportErrors rows={bad} />
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Rows to import</caption>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                  </tr>
                </thead>
                <tbody>
                  {props.preview
                    .filter((r) => r.input)
                    .slice(0, 20)
                    .map((r) => (
                      <tr key={r.line}>
                        <td>{r.line}</td>
                        <td>{r.input!.name}</td>
                        <td>{r.input!.email ?? ''}</td>
                        <td>{r.input!.role}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
            {good > 20 && <p class="muted small">…and {good - 20} more.</p>}
            <form method="post" action={`${base}/import`}>
              <Csrf token={csrf} />
              <input type="hidden" name="csv" value={props.csv} />
              <input type="hidden" name="confirm" value="1" />
              <button type="submit" disabled={good === 0}>
                Import {good} registrant(s)
              </button>
            </form>
          </section>
        )}
        <section class="card" aria-labelledby="upload">
          <h2 id="upload">CSV</h2>
          <p class="small">
            A header row, then one registrant per row. Columns:{' '}
            <span class="mono">name, email, role, notes, custom1, custom2</span> (any order; role defaults to
            PARTICIPANT). Each registrant gets a PIN as addPerson gives it.
          </p>
          <form method="post" action={`${base}/import`}>
            <Csrf token={csrf} />
            <div class="js-only" hidden>
              <label for="csv-file">Read a file</label>
              <input id="csv-file" type="file" accept=".csv,text/csv" />
            </div>
            <label for="csv">CSV text</label>
            <textarea id="csv" name="csv" rows={10} required>
              {props.result ? '' : props.csv}
            </textarea>
            <button type="submit">Preview</button>
          </form>
        </section>
      </>
    ),
  });
}

function ImportErrors(props: { rows: ImportRow[] }) {
  if (props.rows.length === 0) return null;
  return (
    <ul class="import-errors">
      {props.rows.map((r) => (
        <li key={r.line} class="error-text">
          Line {r.line}: {r.error}
        </li>
      ))}
    </ul>
  );
}
