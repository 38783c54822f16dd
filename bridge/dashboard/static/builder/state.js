// The rule being built, shared by the builder's modules, and the catalogue it is built from.

export const state = {
  mode: "new", name: "", catalogue: { triggers: [], actions: [] },
  trigger: null, on: "", hook: null, hooks: [], schedule: { mode: "cron", cron: "0 9 * * 1", every: "1h", timezone: "UTC" },
  sample: null, rows: [], any: false, expr: "", exprOnly: false,
  steps: [], base: {}, version: null, rowsDirty: false, writable: true, panel: "trigger"
};

export function actionOf(name) {
  return state.catalogue.actions.filter((a) => a.name === name)[0] || null;
}
