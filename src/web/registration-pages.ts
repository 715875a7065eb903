/**
 * The HTML of the self-registration pages. Plain server-rendered HTML, no
 * script; every dynamic value is escaped; labels tied to inputs, errors tied
 * to their fields (aria-describedby) and summarised at the top.
 */
import type { RegistrationField, RegistrationValues } from '../domain/self-registration.js';
import { escapeHtml as e } from './escape.js';

const styles = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2937;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:40rem;margin:2.5rem auto;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06);padding:2rem 2.25rem}
@media (max-width:44rem){main{margin:0;border-radius:0;box-shadow:none;padding:1.5rem 1.25rem}}
.eyebrow{margin:0 0 .25rem;color:#4b5563;font-size:.85rem;font-weight:600;letter-spacing:.06em;text-transform:uppercase}
h1{margin:0 0 1rem;font-size:1.75rem;line-height:1.25;overflow-wrap:anywhere}
h2{margin:1.5rem 0 .5rem;font-size:1.1rem}
.text{white-space:pre-line;overflow-wrap:anywhere}
.schedule{margin:.25rem 0;padding-left:1.25rem}
.muted{color:#4b5563;font-size:.9rem}
.field .muted{margin:0 0 .35rem}
.field{margin:1.1rem 0}
label{display:block;font-weight:600;margin-bottom:.3rem}
.optional{font-weight:400;color:#4b5563}
input,textarea{display:block;width:100%;padding:.6rem .7rem;font:inherit;color:inherit;border:2px solid #6b7280;border-radius:6px;background:#fff}
textarea{min-height:6rem;resize:vertical}
input:focus,textarea:focus,button:focus,a:focus{outline:3px solid #f59e0b;outline-offset:1px}
.invalid input,.invalid textarea{border-color:#b91c1c}
.error-message{margin:.1rem 0 .35rem;color:#b91c1c;font-weight:600}
.error-summary{border:3px solid #b91c1c;border-radius:8px;padding:.75rem 1rem;margin:1.25rem 0}
.error-summary h2{margin:0 0 .25rem;color:#b91c1c}
.error-summary a{color:#b91c1c;font-weight:600}
button{margin-top:.5rem;padding:.7rem 1.6rem;font:inherit;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:6px;cursor:pointer}
button:hover{background:#1e40af}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:1rem 0}
.facts dt{color:#4b5563}
.facts dd{margin:0;font-weight:600}
.pin{font-size:1.6rem;letter-spacing:.15em;font-variant-numeric:tabular-nums}
.comment{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #e5e7eb}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** A complete page around `body`. */
function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${e(title)}</title>
<style>${styles}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** What the pages show of a conference. */
export interface ConferenceSummary {
  name: string;
  registerText: string;
  comment: string;
  /** Human-readable sessions, in the customer's time zone. */
  schedule: string[];
  timeZone: string;
  reserved: boolean;
}

function scheduleSection(c: ConferenceSummary): string {
  if (!c.reserved) return '';
  if (c.schedule.length === 0) return '';
  const items = c.schedule.map((line) => `<li>${e(line)}</li>`).join('\n');
  return `<section aria-labelledby="when-heading">
<h2 id="when-heading">When</h2>
<ul class="schedule">
${items}
</ul>
<p class="muted">Times are shown in the organizer’s time zone, ${e(c.timeZone.replace(/_/g, ' '))}.</p>
</section>`;
}

function heading(c: ConferenceSummary, eyebrow: string): string {
  return `<p class="eyebrow">${e(eyebrow)}</p>
<h1>${e(c.name)}</h1>`;
}

export interface FormPage {
  conference: ConferenceSummary;
  action: string;
  csrf: string;
  confirmation: string;
  values: RegistrationValues;
  errors: Partial<Record<RegistrationField, string>>;
  /** A problem with the form as a whole (an expired form). */
  formError?: string;
}

const labels: Record<RegistrationField, string> = {
  name: 'Name',
  email: 'Email address',
  custom1: 'Custom field 1',
  custom2: 'Custom field 2',
  notes: 'Notes',
};

function field(page: FormPage, name: RegistrationField, options: { required: boolean; hint?: string }): string {
  const error = page.errors[name];
  const describedBy = [options.hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
  const common =
    `id="${name}" name="${name}"` +
    (options.required ? ' required aria-required="true"' : '') +
    (error ? ' aria-invalid="true"' : '') +
    (describedBy ? ` aria-describedby="${describedBy}"` : '');
  const value = page.values[name];
  const control =
    name === 'notes'
      ? `<textarea ${common} maxlength="4000" rows="4">${e(value)}</textarea>`
      : name === 'email'
        ? `<input ${common} type="email" autocomplete="email" spellcheck="false" maxlength="254" value="${e(value)}">`
        : name === 'name'
          ? `<input ${common} type="text" autocomplete="name" maxlength="200" value="${e(value)}">`
          : `<input ${common} type="text" maxlength="1000" value="${e(value)}">`;
  return `<div class="field${error ? ' invalid' : ''}">
<label for="${name}">${e(labels[name])}${options.required ? '' : ' <span class="optional">(optional)</span>'}</label>
${options.hint ? `<p id="${name}-hint" class="muted">${e(options.hint)}</p>` : ''}
${error ? `<p id="${name}-error" class="error-message"><span class="visually-hidden">Error: </span>${e(error)}</p>` : ''}
${control}
</div>`;
}

/** The registration form, with any errors from the last submission. */
export function formPage(page: FormPage): string {
  const c = page.conference;
  const problems = Object.entries(page.errors) as [RegistrationField, string][];
  const summary =
    problems.length > 0 || page.formError
      ? `<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">There is a problem</h2>
<ul>
${page.formError ? `<li>${e(page.formError)}</li>` : ''}
${problems.map(([name, message]) => `<li><a href="#${name}">${e(message)}</a></li>`).join('\n')}
</ul>
</div>`
      : '';
  const body = `${heading(c, 'Conference registration')}
${c.registerText ? `<div class="text">${e(c.registerText)}</div>` : ''}
${scheduleSection(c)}
<h2 id="form-heading">Register</h2>
${summary}
<form method="post" action="${e(page.action)}" aria-labelledby="form-heading" novalidate>
<input type="hidden" name="csrf" value="${e(page.csrf)}">
${page.confirmation ? `<input type="hidden" name="confirmation" value="${e(page.confirmation)}">` : ''}
${field(page, 'name', { required: true })}
${field(page, 'email', { required: true, hint: 'We will email you your PIN and the dial-in number.' })}
${field(page, 'custom1', { required: false })}
${field(page, 'custom2', { required: false })}
${field(page, 'notes', { required: false })}
<button type="submit">Register</button>
</form>
${c.comment ? `<div class="comment text">${e(c.comment)}</div>` : ''}`;
  const title = `${problems.length > 0 || page.formError ? 'Error: ' : ''}Register for ${c.name}`;
  return layout(title, body);
}

/** Registration is over: the conference was canceled or has ended. */
export function closedPage(c: ConferenceSummary, reason: 'canceled' | 'ended' | 'unavailable'): string {
  const text =
    reason === 'canceled'
      ? 'This conference has been canceled, so registration is closed.'
      : reason === 'ended'
        ? 'This conference has ended, so registration is closed.'
        : 'Registration for this conference is not available at the moment.';
  return layout(
    `Registration closed: ${c.name}`,
    `${heading(c, 'Registration closed')}
<p role="status">${e(text)}</p>`,
  );
}

/** The built-in confirmation page (no MC_CONFIRMATION_PAGE and no `confirmation` parameter). */
export function confirmationPage(
  c: ConferenceSummary,
  person: { name: string; email: string; pin: string },
  did: string,
): string {
  return layout(
    `Registered: ${c.name}`,
    `${heading(c, 'You are registered')}
<p role="status">Thank you${person.name ? `, ${e(person.name)}` : ''}. You are registered for this conference.</p>
<dl class="facts">
${did ? `<dt>Dial-in number</dt><dd>${e(did)}</dd>` : ''}
<dt>Your PIN</dt><dd class="pin" id="pin">${e(person.pin)}</dd>
</dl>
${scheduleSection(c)}
<p class="muted">We have emailed these details, with a calendar invitation, to ${e(person.email)}.</p>`,
  );
}

/** A repeated registration: the details go to the registered address, not to this browser. */
export function alreadyRegisteredPage(c: ConferenceSummary): string {
  return layout(
    `Already registered: ${c.name}`,
    `${heading(c, 'Already registered')}
<p role="status">This email address is already registered for this conference. Your PIN and the dial-in number
have been emailed to it; if you cannot find the message, check your spam folder.</p>`,
  );
}

/** A short page for errors that have no form to go back to. */
export function messagePage(title: string, text: string): string {
  return layout(title, `<h1>${e(title)}</h1>\n<p>${e(text)}</p>`);
}
