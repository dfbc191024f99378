// The owner's way in: "Open store" and "Open admin" for a store that has URLs, and its admin
// credentials, asked for only on a click (the server records each reveal in the timeline) and kept
// in this component's state alone — never in storage or the URL, forgotten when hidden or when the
// store stops being READY. The password is not even in the page until "Show password".
import { useEffect, useState, type ReactNode } from "react";
import { useApi } from "../api/context";
import { revealCredentials } from "../api/stores";
import type { Store, StoreCredentials } from "../api/types";
import { ErrorNotice } from "../ui/ErrorNotice";

const MASK = "••••••••••••";

export function StoreLinks({ store }: { store: Store }) {
  if (!store.storefrontUrl || !store.adminUrl) return null;
  return (
    <p className="store-links">
      <a className="button-link" href={store.storefrontUrl} target="_blank" rel="noreferrer noopener">
        Open store
      </a>
      <a className="button-link" href={store.adminUrl} target="_blank" rel="noreferrer noopener">
        Open admin
      </a>
    </p>
  );
}

export function CredentialsPanel({ store }: { store: Store }) {
  const api = useApi();
  const [credentials, setCredentials] = useState<StoreCredentials | null>(null);
  const [passwordShown, setPasswordShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ready = store.status === "READY";

  useEffect(() => {
    // Another store, or this one no longer READY (deleting, repairing drift): forget what was shown.
    setCredentials(null);
    setPasswordShown(false);
  }, [store.id, ready]);

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      setCredentials(await revealCredentials(api, store.id));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  function hide() {
    setCredentials(null);
    setPasswordShown(false);
  }

  return (
    <section className="card" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Admin credentials</h2>
      {!ready && <p className="muted">Available once the store is ready.</p>}
      {ready && credentials === null && (
        <>
          <p className="help">Each reveal is recorded in the store's timeline, with who asked.</p>
          <button type="button" className="primary" disabled={busy} onClick={() => void reveal()}>
            {busy ? "Revealing…" : "Reveal credentials"}
          </button>
        </>
      )}
      {ready && credentials !== null && (
        <>
          <dl className="credentials">
            <Credential label="Admin URL" name="admin-url" value={credentials.adminUrl} />
            <Credential
              label={store.engine === "MEDUSA" ? "Admin email" : "Username"}
              name="username"
              value={credentials.adminUsername}
            />
            <Credential label="Password" name="password" value={credentials.adminPassword} masked={!passwordShown}>
              <button type="button" aria-pressed={passwordShown} onClick={() => setPasswordShown((shown) => !shown)}>
                {passwordShown ? "Hide password" : "Show password"}
              </button>
            </Credential>
            {credentials.publishableKey !== null && (
              <Credential label="Publishable key" name="publishable-key" value={credentials.publishableKey} />
            )}
          </dl>
          <button type="button" className="link" onClick={hide}>
            Hide credentials
          </button>
        </>
      )}
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

function Credential(props: { label: string; name: string; value: string; masked?: boolean; children?: ReactNode }) {
  const { label, name, value, masked = false, children } = props;
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <code data-credential={name}>{masked ? MASK : value}</code>
        <CopyButton label={label} value={value} />
        {children}
      </dd>
    </div>
  );
}

type Copied = "idle" | "copied" | "failed";

function CopyButton({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<Copied>("idle");

  async function copy() {
    try {
      // Absent outside a secure context (plain http on a non-local host): say so, do not guess.
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(value);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }

  return (
    <>
      <button type="button" onClick={() => void copy()}>
        Copy<span className="visually-hidden"> {label.toLowerCase()}</span>
      </button>
      <span role="status" className="copy-status">
        {copied === "copied" ? "Copied" : copied === "failed" ? "Copying is not available here; select the text instead" : ""}
      </span>
    </>
  );
}
