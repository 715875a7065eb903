/** The pages before sign-in: sign in, forgot password, set a password from a link. */
import { Csrf, renderPage, type Notice } from '../layout.js';
import { passwordLimits } from '../../../domain/passwords.js';

export function signInPage(props: { csrf: string; email?: string; notice?: Notice; next?: string }): string {
  return renderPage({
    title: 'Sign in',
    narrow: true,
    notice: props.notice,
    children: (
      <section class="card" aria-label="Sign in">
        <form method="post" action="/admin/sign-in">
          <Csrf token={props.csrf} />
          {props.next && <input type="hidden" name="next" value={props.next} />}
          <label for="email">Email address</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={props.email ?? ''} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
        <p class="small">
          <a href="/admin/reset">Forgot your password?</a>
        </p>
      </section>
    ),
  });
}

export function resetRequestPage(props: { csrf: string; sent?: boolean; notice?: Notice }): string {
  return renderPage({
    title: 'Reset your password',
    narrow: true,
    notice: props.sent
      ? { kind: 'ok', text: 'If an account uses that address, we have emailed it a link to set a new password.' }
      : props.notice,
    children: (
      <section class="card" aria-label="Reset password">
        <p>Enter the address you sign in with. We will email you a link that is good for one hour.</p>
        <form method="post" action="/admin/reset">
          <Csrf token={props.csrf} />
          <label for="email">Email address</label>
          <input id="email" name="email" type="email" autocomplete="username" required />
          <button type="submit">Email me a link</button>
        </form>
        <p class="small">
          <a href="/admin/sign-in">Back to sign in</a>
        </p>
      </section>
    ),
  });
}

export function setPasswordPage(props: { csrf: string; token: string; email: string; notice?: Notice }): string {
  return renderPage({
    title: 'Choose a password',
    narrow: true,
    notice: props.notice,
    children: (
      <section class="card" aria-label="Choose a password">
        <p>
          For <strong>{props.email}</strong>. Use at least {passwordLimits.min} characters.
        </p>
        <form method="post" action="/admin/password">
          <Csrf token={props.csrf} />
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="username" value={props.email} autocomplete="username" />
          <label for="password">New password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minLength={passwordLimits.min}
            maxLength={passwordLimits.max}
          />
          <label for="confirm">New password again</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
          <button type="submit">Set password</button>
        </form>
      </section>
    ),
  });
}

/** A page with a heading and one paragraph (not found, link expired, refused form). */
export function adminMessagePage(title: string, text: string, link?: { href: string; label: string }): string {
  return renderPage({
    title,
    narrow: true,
    children: (
      <>
        <p>{text}</p>
        {link && (
          <p>
            <a href={link.href}>{link.label}</a>
          </p>
        )}
      </>
    ),
  });
}
