// The sign-in form: a labelled password field for an API token, checked against the API before it
// is kept (auth/session.ts). Feeds App the verified token and who it belongs to.
import { useState, type FormEvent } from "react";
import { describeError } from "../api/errors";

export interface SignInProps {
  /** Resolves when the token is accepted; rejects with an ApiError otherwise. */
  onSignIn(token: string): Promise<void>;
  notice?: string | null;
}

export function SignIn({ onSignIn, notice = null }: SignInProps) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (token.trim() === "") {
      setError("Paste the API token you were given (storeplane tokens create).");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSignIn(token.trim());
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to storeplane</h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "token-error token-help" : "token-help"}
        />
        <p id="token-help" className="help">
          Kept for this browser tab only. An operator creates one with <code>storeplane tokens create</code>.
        </p>
        {error && (
          <p id="token-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
