// Time travel: the store as it was at an earlier version or moment, replayed by the API
// (Query.storeAt). Shows that past state beside the live one; the timeline dims later events.
import { useEffect, useId, useState, type FormEvent } from "react";
import { useApi } from "../api/context";
import { fetchStoreAt, type PointInTime } from "../api/stores";
import type { Store } from "../api/types";
import { ErrorNotice } from "../ui/ErrorNotice";
import { StatusBadge } from "../ui/StatusBadge";
import { formatWhen } from "../ui/time";
import { Stepper } from "./Stepper";

export interface TimeTravelProps {
  store: Store;
  /** A version picked elsewhere (the timeline); shown at once. */
  pickedVersion: number | null;
  onShown(version: number | null): void;
}

/** A datetime-local value (local time, no zone) as an ISO instant for the API. */
export function localInputToIso(value: string): string | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function TimeTravel({ store, pickedVersion, onShown }: TimeTravelProps) {
  const api = useApi();
  const ids = useId();
  const [chosenVersion, setVersion] = useState<number | null>(pickedVersion);
  // Until a version is chosen the slider follows the live store to its newest version.
  const version = chosenVersion ?? store.version;
  const [at, setAt] = useState("");
  const [past, setPast] = useState<Store | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function show(point: PointInTime) {
    setError(null);
    try {
      const snapshot = await fetchStoreAt(api, store.id, point);
      setPast(snapshot);
      onShown(snapshot ? snapshot.version : null);
    } catch (failure) {
      setError(failure);
    }
  }

  useEffect(() => {
    if (pickedVersion === null) return;
    setVersion(pickedVersion);
    void show({ version: pickedVersion });
    // Only a new pick from the timeline should trigger a replay, not each render.
  }, [pickedVersion]);

  function submitAt(event: FormEvent) {
    event.preventDefault();
    const iso = localInputToIso(at);
    if (iso) void show({ at: iso });
    else setError(new Error("Choose a date and time first."));
  }

  return (
    <section className="card" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Time travel</h2>
      <form className="travel-row" onSubmit={(event) => { event.preventDefault(); void show({ version }); }}>
        <label htmlFor={`${ids}-version`}>Version</label>
        <input id={`${ids}-version`} type="range" min={1} max={Math.max(1, store.version)} value={version}
          onChange={(event) => setVersion(Number(event.target.value))} aria-valuetext={`version ${version} of ${store.version}`} />
        <output htmlFor={`${ids}-version`}>{version} / {store.version}</output>
        <button type="submit">Show version</button>
      </form>
      <form className="travel-row" onSubmit={submitAt}>
        <label htmlFor={`${ids}-at`}>Moment</label>
        <input id={`${ids}-at`} type="datetime-local" step={1} value={at} onChange={(event) => setAt(event.target.value)} />
        <button type="submit">Show moment</button>
      </form>
      <ErrorNotice error={error} />
      {past && (
        <div className="past" aria-live="polite" data-past-version={past.version}>
          <p>
            As of version <strong>{past.version}</strong> ({formatWhen(past.updatedAt)}): <StatusBadge status={past.status} />{" "}
            {past.statusReason && <span className="muted">{past.statusReason}</span>}
          </p>
          <Stepper store={past} label={`Steps as of version ${past.version}`} />
          <button type="button" className="link" onClick={() => { setPast(null); onShown(null); }}>
            Back to now
          </button>
        </div>
      )}
    </section>
  );
}
