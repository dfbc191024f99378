// Which provisioning step is done, under way, failed or still waiting, from a store's status and
// completed steps. Pure; drawn by detail/Stepper.tsx.
import { PROVISIONING_STEPS, type ProvisioningStepName, type Store } from "../api/types";

export type StepState = "done" | "active" | "failed" | "waiting";

export interface StepView {
  name: ProvisioningStepName;
  state: StepState;
}

export function stepViews(store: Pick<Store, "status" | "steps">): StepView[] {
  const done = new Set(store.steps.filter((step) => step.done).map((step) => step.name.toLowerCase()));
  if (store.status === "READY") done.add("ready");
  let frontierSeen = false;
  return PROVISIONING_STEPS.map((name) => {
    if (done.has(name)) return { name, state: "done" };
    if (frontierSeen) return { name, state: "waiting" };
    frontierSeen = true;
    if (store.status === "FAILED") return { name, state: "failed" };
    // A requested store waits for the reconciler to pick it up; nothing is under way yet.
    if (store.status === "PROVISIONING") return { name, state: "active" };
    return { name, state: "waiting" };
  });
}
