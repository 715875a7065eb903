/**
 * One call: its callers (join, leave, role, duration), an SVG attendance
 * chart — one timeline per person, one segment per time on the call —,
 * registered vs attended, and while it is live, callers that appear and
 * leave without a reload.
 */
import type { CallHistory } from '../../../domain/call-history.js';
import type { CallerRow } from '../../../store/call.repository.js';
import { formatDuration, formatWhen } from '../format.js';
import { renderPage, type Notice, type Viewer } from '../layout.js';

/** Who a caller is: their person, else their number. */
export function attendeeKey(caller: CallerRow): string {
  return caller.person_uid ?? `ani:${caller.ani}`;
}

export function callerLabel(caller: { name: string; email?: string; ani: string }): string {
  return caller.name || caller.email || caller.ani || 'Unknown caller';
}

function AttendanceChart(props: { history: CallHistory; now: number; timeZone: string }) {
  const { call, callers } = props.history;
  const start = call.started_at;
  const end = Math.max(call.ended_at ?? props.now, start + 1000, ...callers.map((c) => c.ended_at ?? props.now));
  const people = new Map<string, CallerRow[]>();
  for (const c of callers) {
    const key = attendeeKey(c);
    people.set(key, [...(people.get(key) ?? []), c]);
  }
  const label = 170;
  const width = 760;
  const rowHeight = 28;
  const top = 24;
  const plot = width - label - 16;
  const x = (ms: number) => label + ((ms - start) / (end - start)) * plot;
  const height = top + people.size * rowHeight + 8;
  return (
    <svg
      class="chart"
      id="attendance-chart"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-labelledby="chart-title chart-desc"
    >
      <title id="chart-title">Attendance</title>
      <desc id="chart-desc">
        One row per person from {formatWhen(start, props.timeZone)} to {formatWhen(end, props.timeZone)}; each bar is
        one time on the call.
      </desc>
      <text class="axis" x={label} y={14}>
        {formatWhen(start, props.timeZone)}
      </text>
      <text class="axis" x={width - 16} y={14} text-anchor="end">
        {formatDuration(end - start)}
      </text>
      {[...people.entries()].map(([key, legs], i) => {
        const y = top + i * rowHeight;
        return (
          <g key={key}>
            <line class="grid" x1={label} x2={width - 16} y1={y + rowHeight / 2} y2={y + rowHeight / 2} />
            <text class="label" x={4} y={y + rowHeight / 2 + 4}>
              {callerLabel(legs[0]!).slice(0, 24)}
            </text>
            {legs.map((leg) => {
              const from = x(leg.started_at);
              const to = Math.max(from + 2, x(leg.ended_at ?? props.now));
              return (
                <rect key={leg.uid} class="segment" x={from} y={y + 5} width={to - from} height={rowHeight - 10} rx={3}>
                  <title>
                    {callerLabel(leg)}: {formatWhen(leg.started_at, props.timeZone)} to{' '}
                    {leg.ended_at === null ? 'now' : formatWhen(leg.ended_at, props.timeZone)}
                  </title>
                </rect>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}

export function callPage(props: {
  viewer: Viewer;
  timeZone: string;
  conference: { uid: string; name: string };
  history: CallHistory;
  now: number;
  reseller?: { text: string; url: string };
  notice?: Notice;
}): string {
  const { history, timeZone, conference } = props;
  const { call, callers, persons, neverJoined } = history;
  const live = call.status === 'ACTIVE';
  const base = `/admin/conferences/${conference.uid}/calls/${call.uid}`;
  const onCall = callers.filter((c) => c.ended_at === null).length;
  return renderPage({
    title: `${live ? 'Live call' : 'Call'}: ${conference.name}`,
    viewer: props.viewer,
    section: 'conferences',
    notice: props.notice,
    children: (
      <>
        <p>
          <a href={`/admin/conferences/${conference.uid}`}>Back to the conference</a>
          {' · '}
          <a href={`${base}/callers.csv`}>Export callers (CSV)</a>
        </p>
        <dl class="facts card">
          <dt>Status</dt>
          <dd>
            <span class={`badge ${call.status}`}>{call.status}</span>
          </dd>
          <dt>Started</dt>
          <dd>{formatWhen(call.started_at, timeZone)}</dd>
          <dt>{live ? 'Running for' : 'Ended'}</dt>
          <dd>
            {live
              ? formatDuration(props.now - call.started_at)
              : `${formatWhen(call.ended_at, timeZone)} (${formatDuration((call.ended_at ?? props.now) - call.started_at)})`}
          </dd>
        </dl>
        {live && (
          <section class="card" aria-labelledby="live" data-live={`${base}/live`}>
            <h2 id="live">
              On the call now: <span id="live-count">{onCall}</span>
            </h2>
            <p id="live-state" class="muted small" aria-live="polite">
              This list follows the call as callers join and leave (with JavaScript; otherwise reload the page).
            </p>
            {props.reseller && (
              <p>
                <a class="button" id="reseller" href={props.reseller.url} target="_blank" rel="noopener noreferrer">
                  {props.reseller.text}
                </a>
              </p>
            )}
          </section>
        )}
        <h2>Callers</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Caller</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">{live ? 'Left' : 'Left (duration)'}</th>
              </tr>
            </thead>
            <tbody id="live-callers">
              {callers.map((c) => (
                <tr key={c.uid} data-caller={c.uid} class={c.ended_at === null ? undefined : 'left'}>
                  <td>{callerLabel(c)}</td>
                  <td>{c.role}</td>
                  <td>{formatWhen(c.started_at, timeZone)}</td>
                  <td class="left-at">
                    {c.ended_at === null
                      ? 'on the call'
                      : `left ${formatWhen(c.ended_at, timeZone)} (${formatDuration(c.ended_at - c.started_at)})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>Attendance</h2>
        {callers.length === 0 ? (
          <p>Nobody has joined.</p>
        ) : (
          <AttendanceChart history={history} now={props.now} timeZone={timeZone} />
        )}
        <h2>Registered vs attended</h2>
        <p id="attendance-summary">
          {persons.length - neverJoined.length} of {persons.length} registrants attended ({history.attendancePercent}%).
        </p>
        {neverJoined.length > 0 && (
          <details>
            <summary>Never joined ({neverJoined.length})</summary>
            <ul>
              {neverJoined.map((p) => (
                <li key={p.uid}>
                  {p.name || p.email || p.uid}
                  {p.email && p.name ? ` (${p.email})` : ''}
                </li>
              ))}
            </ul>
          </details>
        )}
      </>
    ),
  });
}
