// The create form. The API validates (names, engines, plans, quota); a VALIDATION_FAILED error is
// shown under the field it names, everything else (quota, rate limit, conflict) above the button.
// A retried submit of the same values reuses its idempotency key, so a double submit makes one store.
import { useId, useRef, useState, type FormEvent } from "react";
import { useApi } from "../api/context";
import { ApiError } from "../api/errors";
import { createStore } from "../api/stores";
import { STORE_ENGINES, type Store, type StoreEngine } from "../api/types";
import { ErrorNotice } from "../ui/ErrorNotice";
import { ENGINE_LABELS } from "./FilterBar";

type Field = "name" | "engine" | "plan";
const FIELDS: readonly Field[] = ["name", "engine", "plan"];

/** "input.name" or "Name" → "name"; null when the error names no field of this form. */
export function formField(apiField: string | null): Field | null {
  const last = (apiField ?? "").split(".").pop()?.toLowerCase() ?? "";
  return (FIELDS as readonly string[]).includes(last) ? (last as Field) : null;
}

function newKey(): string {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export interface CreateStoreFormProps {
  plans: string[];
  onCreated(store: Store): void;
  /** Called as each request is sent, so an earlier success notice can be cleared. */
  onAttempt?(): void;
}

export function CreateStoreForm({ plans, onCreated, onAttempt }: CreateStoreFormProps) {
  const api = useApi();
  const ids = useId();
  const [name, setName] = useState("");
  const [engine, setEngine] = useState<StoreEngine>("WOOCOMMERCE");
  const [plan, setPlan] = useState(plans[0] ?? "small");
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const attempt = useRef<{ values: string; key: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const values = `${name}\u0000${engine}\u0000${plan}`;
    if (attempt.current?.values !== values) attempt.current = { values, key: newKey() };
    onAttempt?.();
    setBusy(true);
    setFieldErrors({});
    setFormError(null);
    try {
      const store = await createStore(api, { name, engine, plan, idempotencyKey: attempt.current.key });
      attempt.current = null;
      setName("");
      onCreated(store);
    } catch (failure) {
      const field = failure instanceof ApiError && failure.code === "VALIDATION_FAILED" ? formField(failure.field) : null;
      if (field && failure instanceof ApiError) setFieldErrors({ [field]: failure.message });
      else setFormError(failure);
    } finally {
      setBusy(false);
    }
  }

  const describedBy = (field: Field, help?: string) =>
    [help, fieldErrors[field] ? `${ids}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const errorOf = (field: Field) =>
    fieldErrors[field] ? (
      <p id={`${ids}-${field}-error`} className="field-error">
        {fieldErrors[field]}
      </p>
    ) : null;

  return (
    <form className="card create" onSubmit={submit} noValidate aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>New store</h2>
      <div className="create-fields">
        <div className="field">
          <label htmlFor={`${ids}-name`}>Name</label>
          <input
            id={`${ids}-name`}
            name="name"
            value={name}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={Boolean(fieldErrors.name)}
            aria-describedby={describedBy("name", `${ids}-name-help`)}
          />
          <p id={`${ids}-name-help`} className="help">Lower-case letters, digits and “-”; part of the store’s address.</p>
          {errorOf("name")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-engine`}>Engine</label>
          <select
            id={`${ids}-engine`}
            name="engine"
            value={engine}
            onChange={(event) => setEngine(event.target.value as StoreEngine)}
            aria-invalid={Boolean(fieldErrors.engine)}
            aria-describedby={describedBy("engine")}
          >
            {STORE_ENGINES.map((value) => (
              <option key={value} value={value}>
                {ENGINE_LABELS[value]}
              </option>
            ))}
          </select>
          {errorOf("engine")}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-plan`}>Plan</label>
          <select
            id={`${ids}-plan`}
            name="plan"
            value={plan}
            onChange={(event) => setPlan(event.target.value)}
            aria-invalid={Boolean(fieldErrors.plan)}
            aria-describedby={describedBy("plan")}
          >
            {plans.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          {errorOf("plan")}
        </div>
      </div>
      {Object.keys(fieldErrors).length > 0 && (
        <p className="visually-hidden" role="alert">
          {Object.values(fieldErrors).join(" ")}
        </p>
      )}
      <ErrorNotice error={formError} onDismiss={() => setFormError(null)} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Creating…" : "Create store"}
      </button>
    </form>
  );
}
