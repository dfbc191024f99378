// A plain-language error box (quota, rate limit, conflict…) announced as an alert.
import { describeError } from "../api/errors";

export function ErrorNotice({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === null || error === undefined) return null;
  return (
    <div className="error-notice" role="alert">
      <p>{describeError(error)}</p>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
