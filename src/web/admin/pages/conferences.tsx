/** The conference lists (five tabs with search and paging) and the form that creates a conference. */
import { searchedConferencesMax, type ConferencePage } from '../../../domain/conference-search.js';
import type { ConferenceStatus } from '../../../domain/status.js';
import { formatWhen } from '../format.js';
import { Csrf, renderPage, type Notice, type Viewer } from '../layout.js';

/** The tabs, in the order the site shows them, with the status each lists. */
export const conferenceTabs = [
  { id: 'active', label: 'Active', status: 'ACTIVE', blurb: 'A call is live now.' },
  { id: 'possible', label: 'Possible', status: 'IDLE', blurb: 'Callers could start a call now.' },
  { id: 'upcoming', label: 'Upcoming', status: 'SCHED', blurb: 'The next reservation is ahead.' },
  { id: 'expired', label: 'Expired', status: 'CLOSED', blurb: 'Every reservation has ended.' },
  { id: 'canceled', label: 'Canceled', status: 'CANCEL', blurb: 'Canceled conferences.' },
] as const satisfies readonly { id: string; label: string; status: ConferenceStatus; blurb: string }[];
export type ConferenceTab = (typeof conferenceTabs)[number];

function listHref(tab: string, query: string, page: number): string {
  const params = new URLSearchParams({ tab });
  if (query) params.set('q', query);
  if (page > 1) params.set('page', String(page));
  return `/admin/conferences?${params.toString()}`;
}

export function conferenceListPage(props: {
  viewer: Viewer;
  timeZone: string;
  tab: ConferenceTab;
  query: string;
  result: ConferencePage;
  notice?: Notice;
}): string {
  const { tab, query, result, timeZone } = props;
  return renderPage({
    title: 'Conferences',
    viewer: props.viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <>
        <p>
          <a class="button" href="/admin/conferences/new">
            New conference
          </a>
        </p>
        <nav aria-label="Conference lists">
          <ul class="tabs">
            {conferenceTabs.map((t) => (
              <li key={t.id}>
                <a href={listHref(t.id, query, 1)} aria-current={t.id === tab.id ? 'page' : undefined}>
                  {t.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="get" action="/admin/conferences" role="search" class="row">
          <input type="hidden" name="tab" value={tab.id} />
          <div>
            <label for="q">Search by name</label>
            <input id="q" name="q" type="search" value={query} maxLength={200} />
          </div>
          <div>
            <button type="submit">Search</button>
          </div>
        </form>
        <h2>
          {tab.label} conferences <span class="muted small">({result.total})</span>
        </h2>
        <p class="muted small">{tab.blurb}</p>
        {result.views.length === 0 ? (
          <p>No conferences here{query ? ` match “${query}”` : ''}.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Starts</th>
                  <th scope="col">Registrants</th>
                </tr>
              </thead>
              <tbody>
                {result.views.map((v) => (
                  <tr key={v.row.uid}>
                    <td>
                      <a href={`/admin/conferences/${v.row.uid}`}>{v.row.name}</a>
                    </td>
                    <td>
                      <span class={`badge ${v.status.status}`}>{v.status.status}</span>
                    </td>
                    <td>{v.row.reserved ? formatWhen(v.status.scheduledStart, timeZone) : 'Reservationless'}</td>
                    <td>{v.personUids.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {result.truncated && (
          <p class="muted small">
            This list holds the first {searchedConferencesMax.toLocaleString('en-US')} conferences of its kind; the rest
            are not searched.
          </p>
        )}
        {result.pages > 1 && (
          <nav class="pager" aria-label="Pages">
            {result.page > 1 && <a href={listHref(tab.id, query, result.page - 1)}>Previous page</a>}
            <span>
              Page {result.page} of {result.pages}
            </span>
            {result.page < result.pages && <a href={listHref(tab.id, query, result.page + 1)}>Next page</a>}
          </nav>
        )}
      </>
    ),
  });
}

/** How many reservation rows the create form offers. */
export const newReservationRows = 4;

export function newConferencePage(props: {
  viewer: Viewer;
  timeZone: string;
  values: Record<string, string | undefined>;
  notice?: Notice;
}): string {
  const v = props.values;
  const reserved = v.kind === 'reserved';
  return renderPage({
    title: 'New conference',
    viewer: props.viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <form method="post" action="/admin/conferences">
        <Csrf token={props.viewer.csrf} />
        <section class="card" aria-labelledby="basics">
          <h2 id="basics">Basics</h2>
          <label for="name">Name</label>
          <input id="name" name="name" required maxLength={200} value={v.name ?? ''} />
          <label for="contactEmail">Contact email (optional; comma-separated)</label>
          <input id="contactEmail" name="contactEmail" maxLength={2000} value={v.contactEmail ?? ''} />
          <fieldset>
            <legend>Options (empty: the account's defaults)</legend>
            {(['greenroom', 'recording', 'backgroundMusic'] as const).map((name) => (
              <label class="check" key={name}>
                <input type="checkbox" name={name} value="true" checked={v[name] === 'true'} />
                {{ greenroom: 'Green room', recording: 'Recording', backgroundMusic: 'Background music' }[name]}
              </label>
            ))}
          </fieldset>
        </section>
        <section class="card" aria-labelledby="kind-heading">
          <h2 id="kind-heading">When</h2>
          <fieldset>
            <legend>Kind of conference</legend>
            <label class="check">
              <input type="radio" name="kind" value="reservationless" checked={!reserved} />
              Reservationless: callers can start it any time
            </label>
            <label class="check">
              <input type="radio" name="kind" value="reserved" checked={reserved} />
              Reserved: one or more scheduled sessions (fill in the rows below)
            </label>
          </fieldset>
          <label for="estimatedCallers">Estimated callers (reservationless)</label>
          <input
            id="estimatedCallers"
            name="estimatedCallers"
            inputMode="numeric"
            value={v.estimatedCallers ?? ''}
            maxLength={7}
          />
          <h3>Reservations (reserved)</h3>
          <p class="muted small">
            Times in {props.timeZone}. Durations are rounded up to 15 minutes. Empty rows are ignored.
          </p>
          {Array.from({ length: newReservationRows }, (_, i) => i + 1).map((n) => (
            <fieldset class="row" key={n}>
              <legend>Reservation {n}</legend>
              <div>
                <label for={`startDate${n}`}>Start</label>
                <input
                  id={`startDate${n}`}
                  name={`startDate${n}`}
                  type="datetime-local"
                  value={v[`startDate${n}`] ?? ''}
                />
              </div>
              <div>
                <label for={`duration${n}`}>Duration (minutes)</label>
                <input
                  id={`duration${n}`}
                  name={`duration${n}`}
                  inputMode="numeric"
                  maxLength={5}
                  value={v[`duration${n}`] ?? ''}
                />
              </div>
              <div>
                <label for={`estimatedCallers${n}`}>Estimated callers</label>
                <input
                  id={`estimatedCallers${n}`}
                  name={`estimatedCallers${n}`}
                  inputMode="numeric"
                  maxLength={7}
                  value={v[`estimatedCallers${n}`] ?? ''}
                />
              </div>
            </fieldset>
          ))}
        </section>
        <button type="submit">Create conference</button>
      </form>
    ),
  });
}
