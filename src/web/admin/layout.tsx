/**
 * The frame of every administration page: skip link, top navigation, one
 * `<main>` with the page's heading, and a notice (success or error). Pages
 * are Preact components rendered to a string, so every value is escaped
 * unless a component says otherwise (none does).
 */
import type { ComponentChildren } from 'preact';
import { render } from 'preact-render-to-string';

/** Who is signed in, for the navigation (absent on the sign-in pages). */
export interface Viewer {
  email: string;
  role: 'owner' | 'staff';
  customerName: string;
  csrf: string;
}

/** A message shown above the page's content. */
export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageProps {
  title: string;
  viewer?: Viewer;
  /** Which top-level section is current. */
  section?: 'conferences' | 'account';
  notice?: Notice;
  narrow?: boolean;
  children?: ComponentChildren;
}

/**
 * A form the server refused, with what was sent: the page shows it again
 * filled in as it was sent, so nothing typed is lost.
 */
export interface Refused {
  /** Which form of the page (its own name, e.g. `person`, `settings`, `reservation:<UID>`). */
  form: string;
  values: Record<string, string | undefined>;
}

/** A field's value: what was sent when `form` was the refused one, else what the server holds. */
export function kept(refused: Refused | undefined, form: string, name: string, shown: string): string {
  return refused?.form === form ? (refused.values[name] ?? '') : shown;
}

/** A checkbox's state: as sent when `form` was the refused one, else as the server holds it. */
export function keptChecked(refused: Refused | undefined, form: string, name: string, shown: boolean): boolean {
  return refused?.form === form ? refused.values[name] === 'true' : shown;
}

/** The hidden CSRF field every form carries. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

export function NoticeBox(props: { notice?: Notice }) {
  const n = props.notice;
  if (!n) return null;
  return n.kind === 'error' ? (
    <div class="notice error" role="alert">
      <strong>Not done: </strong>
      {n.text}
    </div>
  ) : (
    <div class="notice" role="status">
      {n.text}
    </div>
  );
}

/** A secret shown this once (a new API key, a set-password link): what it is, then the value to copy. */
export function ShownOnce(props: { id: string; intro: string; value: string }) {
  return (
    <div class="notice" role="status">
      <p>{props.intro}</p>
      <p class="key mono" id={props.id}>
        {props.value}
      </p>
    </div>
  );
}

function Page(props: PageProps) {
  const v = props.viewer;
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.notice?.kind === 'error' ? 'Error: ' : ''}${props.title} · Baton`}</title>
        <link rel="stylesheet" href="/admin/assets/admin.css" />
        <script src="/admin/assets/admin.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#content">
          Skip to content
        </a>
        <header class="top">
          <nav class="bar" aria-label="Main">
            <a class="brand" href="/admin/conferences">
              Baton
            </a>
            {v && (
              <>
                <a href="/admin/conferences" aria-current={props.section === 'conferences' ? 'page' : undefined}>
                  Conferences
                </a>
                <a href="/admin/account" aria-current={props.section === 'account' ? 'page' : undefined}>
                  Account
                </a>
                <span class="who">
                  {v.email} · {v.customerName}
                </span>
                <form method="post" action="/admin/sign-out">
                  <Csrf token={v.csrf} />
                  <button type="submit">Sign out</button>
                </form>
              </>
            )}
          </nav>
        </header>
        <main id="content" class={props.narrow ? 'narrow' : undefined} tabIndex={-1}>
          <h1>{props.title}</h1>
          <NoticeBox notice={props.notice} />
          {props.children}
          <p id="js-status" class="visually-hidden" role="status" aria-live="polite"></p>
        </main>
      </body>
    </html>
  );
}

/** Renders a whole page to HTML text. */
export function renderPage(props: PageProps): string {
  return `<!doctype html>\n${render(<Page {...props} />)}`;
}
