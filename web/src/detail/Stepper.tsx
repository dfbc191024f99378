// The provisioning steps (namespace → guardrails → credentials → release → ready) as an ordered
// list that fills in as outcome events arrive; each step says its state in words, not colour only.
import type { Store } from "../api/types";
import { stepViews, type StepState } from "./steps";

const STEP_LABELS: Record<string, string> = {
  namespace: "Namespace",
  guardrails: "Guardrails",
  credentials: "Credentials",
  release: "Release",
  ready: "Ready",
};

const STATE_TEXT: Record<StepState, string> = {
  done: "done",
  active: "in progress",
  failed: "failed",
  waiting: "waiting",
};

export function Stepper({ store, label = "Provisioning steps" }: { store: Pick<Store, "status" | "steps">; label?: string }) {
  const steps = stepViews(store);
  const completed = steps.filter((step) => step.state === "done").length;
  return (
    <ol className="stepper" aria-label={`${label}: ${completed} of ${steps.length} done`}>
      {steps.map((step, index) => (
        <li
          key={step.name}
          className={`step step-${step.state}`}
          data-step={step.name}
          data-state={step.state}
          aria-current={step.state === "active" ? "step" : undefined}
        >
          <span className="step-mark" aria-hidden="true">
            {step.state === "done" ? "✓" : step.state === "failed" ? "!" : index + 1}
          </span>
          <span className="step-name">{STEP_LABELS[step.name] ?? step.name}</span>
          <span className="step-state">{STATE_TEXT[step.state]}</span>
        </li>
      ))}
    </ol>
  );
}
