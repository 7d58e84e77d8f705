/** Sign in with an API key. */
import { html } from '../html.ts';
import { type Notice, page } from './layout.ts';

export function signInPage(opts: {
  token: string;
  next: string;
  error?: string | undefined;
  notice?: Notice | undefined;
}): string {
  const notice: Notice | undefined = opts.error ? { kind: 'error', text: opts.error } : opts.notice;
  return page({
    title: 'Sign in',
    notice,
    body: html`<div class="sign-in">
      <div class="card"><div class="card-body">
        <h1>Sign in to Stint</h1>
        <p class="muted">Use an API key of your tenant. The browser keeps a signed session cookie, never the key.</p>
        <form method="post" action="/sign-in">
          <input type="hidden" name="_token" value="${opts.token}">
          <input type="hidden" name="next" value="${opts.next}">
          <div class="field">
            <label for="api-key">API key</label>
            <input type="password" id="api-key" name="apiKey" required autocomplete="current-password"
              spellcheck="false" autocapitalize="off" autofocus${opts.error ? html` aria-invalid="true" aria-describedby="api-key-hint"` : html` aria-describedby="api-key-hint"`}>
            <p class="hint" id="api-key-hint">Create one with <code>stint keys create</code>.</p>
          </div>
          <div class="form-actions"><button type="submit" class="primary">Sign in</button></div>
        </form>
      </div></div>
    </div>`,
  });
}
