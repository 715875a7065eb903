/** The account: every updateCustomer field, the password, API keys, webhooks and users (owners only). */
import type { ApiKeyListing } from '../../../domain/api-keys.js';
import { customerFields } from '../../../domain/editable-fields.js';
import { passwordLimits } from '../../../domain/passwords.js';
import type { UserView } from '../../../domain/users.js';
import { eventTypes } from '../../../domain/events.js';
import { wantedTypes, webhookDescriptionMax } from '../../../domain/webhooks.js';
import type { CustomerRow } from '../../../store/customer.repository.js';
import type { WebhookRow } from '../../../store/webhook.repository.js';
import { timeZoneChoices } from '../../../domain/time.js';
import { formatWhen } from '../format.js';
import { Csrf, kept, keptChecked, renderPage, ShownOnce, type Notice, type Refused, type Viewer } from '../layout.js';

type CustomerField = (typeof customerFields)[number];

const labels: Record<CustomerField['name'], string> = {
  contactEmail: 'Contact emails (comma-separated)',
  greenroom: 'Green room by default',
  recording: 'Record calls by default',
  affiliateCode: 'Affiliate code',
  reminder: 'Email reminders by default',
  backgroundMusic: 'Background music by default',
  preCall: 'Pre-call message',
  postCall: 'Post-call message',
  banner: 'Banner',
  callerInterface: 'Caller interface',
  regComment: 'Comment under registration forms',
  timeZone: 'Time zone (dates you enter and read)',
};

/** The row value of an updateCustomer field, as the form shows it. */
export function customerFieldValue(customer: CustomerRow, field: CustomerField): string {
  const value = customer[field.column];
  return field.kind === 'boolean' ? (value ? 'true' : 'false') : String(value);
}

/** The zones to pick from, with the customer's own even when the list has it under no name (`Etc/GMT+5`). */
function timeZones(current: string): readonly string[] {
  const choices = timeZoneChoices();
  return choices.includes(current) ? choices : [current, ...choices];
}

export function accountPage(props: {
  viewer: Viewer;
  customer: CustomerRow;
  keys?: ApiKeyListing[];
  users?: UserView[];
  webhooks?: WebhookRow[];
  /** Shown once, right after it was made. */
  newKey?: string;
  /** An endpoint's signing secret, shown once: right after the endpoint was added or its secret rotated. */
  newWebhookSecret?: { url: string; secret: string };
  newUserLink?: { email: string; link: string };
  self: string;
  notice?: Notice;
  /** The form refused (`settings`, `webhook`, `user`), shown again as it was sent. */
  refused?: Refused;
}): string {
  const { customer, viewer, refused } = props;
  const csrf = viewer.csrf;
  const owner = viewer.role === 'owner';
  return renderPage({
    title: 'Account',
    viewer,
    section: 'account',
    notice: props.notice,
    children: (
      <>
        <section class="card" aria-labelledby="customer">
          <h2 id="customer">{customer.name}</h2>
          <dl class="facts">
            <dt>Customer UID</dt>
            <dd class="mono">{customer.uid}</dd>
            <dt>Dial-in number</dt>
            <dd>{customer.did || '—'}</dd>
            <dt>Status</dt>
            <dd>{customer.status}</dd>
          </dl>
          <form method="post" action="/admin/account">
            <Csrf token={csrf} />
            {customerFields.map((f) =>
              f.kind === 'boolean' ? (
                <label class="check" key={f.name}>
                  <input
                    type="checkbox"
                    name={f.name}
                    value="true"
                    checked={keptChecked(refused, 'settings', f.name, customerFieldValue(customer, f) === 'true')}
                  />
                  {labels[f.name]}
                </label>
              ) : f.kind === 'timeZone' ? (
                <div key={f.name}>
                  <label for="field-timeZone">{labels[f.name]}</label>
                  <select id="field-timeZone" name="timeZone">
                    {timeZones(customer.time_zone).map((z) => (
                      <option
                        key={z}
                        value={z}
                        selected={z === kept(refused, 'settings', 'timeZone', customer.time_zone)}
                      >
                        {z}
                      </option>
                    ))}
                  </select>
                </div>
              ) : (
                <div key={f.name}>
                  <label for={`field-${f.name}`}>{labels[f.name]}</label>
                  <input
                    id={`field-${f.name}`}
                    name={f.name}
                    maxLength={f.max}
                    value={kept(refused, 'settings', f.name, customerFieldValue(customer, f))}
                  />
                </div>
              ),
            )}
            <button type="submit">Save account settings</button>
          </form>
        </section>

        <section class="card" aria-labelledby="password">
          <h2 id="password">Your password</h2>
          <form method="post" action="/admin/account/password">
            <Csrf token={csrf} />
            <input type="hidden" name="username" value={viewer.email} autocomplete="username" />
            <label for="current">Current password</label>
            <input id="current" name="current" type="password" autocomplete="current-password" required />
            <label for="next">New password (at least {passwordLimits.min} characters)</label>
            <input
              id="next"
              name="next"
              type="password"
              autocomplete="new-password"
              required
              minLength={passwordLimits.min}
            />
            <button type="submit">Change password</button>
            <p class="muted small">Changing it signs you out everywhere else.</p>
          </form>
        </section>

        {owner && props.keys && (
          <section class="card" aria-labelledby="keys">
            <h2 id="keys">API keys</h2>
            {props.newKey && (
              <ShownOnce id="new-key" intro="New key — copy it now, it is shown only this once:" value={props.newKey} />
            )}
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Created</th>
                    <th scope="col">State</th>
                  </tr>
                </thead>
                <tbody>
                  {props.keys.map((k) => (
                    <tr key={k.id}>
                      <td class="mono">{k.key_prefix}…</td>
                      <td>{formatWhen(k.created_at, customer.time_zone)}</td>
                      <td>
                        {k.revoked_at === null ? (
                          <form class="inline" method="post" action={`/admin/account/keys/${k.id}/revoke`}>
                            <Csrf token={csrf} />
                            live{' '}
                            <button class="link" type="submit" aria-label={`Revoke key ${k.key_prefix}`}>
                              Revoke
                            </button>
                          </form>
                        ) : (
                          `revoked ${formatWhen(k.revoked_at, customer.time_zone)}`
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <form method="post" action="/admin/account/keys">
              <Csrf token={csrf} />
              <button type="submit">Create a key</button>
            </form>
          </section>
        )}

        {owner && props.webhooks && (
          <WebhookSection
            webhooks={props.webhooks}
            newSecret={props.newWebhookSecret}
            refused={refused}
            csrf={csrf}
            timeZone={customer.time_zone}
          />
        )}

        {owner && props.users && (
          <section class="card" aria-labelledby="users">
            <h2 id="users">Users</h2>
            {props.newUserLink && (
              <ShownOnce
                id="new-user-link"
                intro={`Send this one-time link to ${props.newUserLink.email} to set their password (good for 7 days):`}
                value={props.newUserLink.link}
              />
            )}
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Password</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {props.users.map((u) => (
                    <tr key={u.uid}>
                      <td>{u.email}</td>
                      <td>{u.role}</td>
                      <td>{u.hasPassword ? 'set' : 'not set yet'}</td>
                      <td>
                        {u.uid === props.self ? (
                          <span class="muted">you</span>
                        ) : (
                          <>
                            <form class="inline" method="post" action={`/admin/account/users/${u.uid}/sign-out`}>
                              <Csrf token={csrf} />
                              <button class="link" type="submit" aria-label={`Sign out everywhere: ${u.email}`}>
                                Sign out everywhere
                              </button>
                            </form>{' '}
                            <form class="inline" method="post" action={`/admin/account/users/${u.uid}/remove`}>
                              <Csrf token={csrf} />
                              <button class="link" type="submit" aria-label={`Remove ${u.email}`}>
                                Remove
                              </button>
                            </form>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <form method="post" action="/admin/account/users">
              <Csrf token={csrf} />
              <h3>Add a user</h3>
              <div class="row">
                <div>
                  <label for="user-email">Email</label>
                  <input
                    id="user-email"
                    name="email"
                    type="email"
                    required
                    maxLength={254}
                    value={kept(refused, 'user', 'email', '')}
                  />
                </div>
                <div>
                  <label for="user-role">Role</label>
                  <select id="user-role" name="role">
                    <option value="staff">staff (runs conferences)</option>
                    <option value="owner" selected={kept(refused, 'user', 'role', 'staff') === 'owner'}>
                      owner (also users and API keys)
                    </option>
                  </select>
                </div>
              </div>
              <button type="submit">Add user</button>
            </form>
          </section>
        )}
      </>
    ),
  });
}

/** The customer's webhook endpoints (addWebhook, updateWebhook, removeWebhook on the site). */
function WebhookSection(props: {
  webhooks: WebhookRow[];
  newSecret?: { url: string; secret: string };
  refused?: Refused;
  csrf: string;
  timeZone: string;
}) {
  const { csrf, timeZone, refused } = props;
  const action = (w: WebhookRow, path: string, label: string, text: string) => (
    <form class="inline" method="post" action={`/admin/account/webhooks/${w.uid}/${path}`}>
      <Csrf token={csrf} />
      <button class="link" type="submit" aria-label={`${label} ${w.url}`}>
        {text}
      </button>
    </form>
  );
  return (
    <section class="card" aria-labelledby="webhooks">
      <h2 id="webhooks">Webhooks</h2>
      <p class="muted">
        Each event is POSTed to these endpoints in order, signed the Standard Webhooks way with the endpoint’s secret. A
        new endpoint receives the events from now on.
      </p>
      {props.newSecret && (
        <ShownOnce
          id="new-webhook-secret"
          intro={`Signing secret of ${props.newSecret.url} — copy it now, it is shown only this once:`}
          value={props.newSecret.secret}
        />
      )}
      {props.webhooks.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.webhooks.map((w) => {
                const types = wantedTypes(w);
                return (
                  <tr key={w.uid} data-webhook={w.uid}>
                    <td>
                      <span class="mono">{w.url}</span>
                      {w.description && <div class="muted">{w.description}</div>}
                    </td>
                    <td>{types.length === 0 ? 'every type' : types.join(', ')}</td>
                    <td>
                      {w.status === 'enabled' ? 'enabled' : `disabled ${formatWhen(w.disabled_at, timeZone)}`}
                      {w.failing_since !== null && (
                        <div class="muted">
                          failing since {formatWhen(w.failing_since, timeZone)}: {w.last_error}
                        </div>
                      )}
                    </td>
                    <td>
                      {w.status === 'enabled'
                        ? action(w, 'disable', 'Disable', 'Disable')
                        : action(w, 'enable', 'Enable', 'Enable')}{' '}
                      {action(w, 'rotate', 'New secret for', 'New secret')} {action(w, 'remove', 'Remove', 'Remove')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action="/admin/account/webhooks">
        <Csrf token={csrf} />
        <h3>Add an endpoint</h3>
        <label for="webhook-url">URL (https://…)</label>
        <input
          id="webhook-url"
          name="url"
          type="url"
          required
          maxLength={2000}
          value={kept(refused, 'webhook', 'url', '')}
        />
        <label for="webhook-events">Event types (comma-separated; empty for every type)</label>
        <input
          id="webhook-events"
          name="eventTypes"
          maxLength={2000}
          aria-describedby="webhook-events-hint"
          autocomplete="off"
          value={kept(refused, 'webhook', 'eventTypes', '')}
        />
        <p class="muted" id="webhook-events-hint">
          {eventTypes.join(', ')}
        </p>
        <label for="webhook-description">Description</label>
        <input
          id="webhook-description"
          name="description"
          maxLength={webhookDescriptionMax}
          value={kept(refused, 'webhook', 'description', '')}
        />
        <button type="submit">Add endpoint</button>
      </form>
    </section>
  );
}
