// The form of a schedule trigger: a common schedule to start from, then cron (with its time
// zone) or "every" so often.
import { $, field, h, option } from "./dom.js";
import { state } from "./state.js";

const SOME_ZONES = ["UTC", "Europe/London", "Europe/Athens", "America/New_York"];

// `redraw` draws the trigger's part again (the kind of schedule changes the fields).
export function scheduleForm(redraw) {
  const sc = state.schedule;
  const cron = sc.mode === "cron";
  const mode = h("select", { id: "sched-mode", on: { change: (e) => { sc.mode = e.target.value; redraw(); } } },
    option("cron", "At set times (cron)", cron), option("every", "Every so often", !cron));
  return h("fieldset", { "class": "hook-form" }, h("legend", { text: "The schedule" }), presetField(sc, redraw),
    h("div", { "class": "grid3" },
      field("sched-mode", "Kind of schedule", mode),
      cron ? cronField(sc) : everyField(sc),
      cron ? zoneField(sc) : null));  // an `every:` counts from the rule's start: a time zone means nothing
}

function cronField(sc) {
  const input = h("input", { id: "sched-cron", type: "text", value: sc.cron, placeholder: "0 9 * * 1", spellcheck: "false",
    "aria-describedby": "sched-cron-help", on: { input: (e) => { sc.cron = e.target.value.trim(); } } });
  return field("sched-cron", "Cron expression", input,
    h("span", { id: "sched-cron-help", "class": "muted small", text: "minute hour day month weekday: 0 9 * * 1 is every Monday at 9:00" }));
}

function everyField(sc) {
  const input = h("input", { id: "sched-every", type: "text", value: sc.every, placeholder: "30s, 5m, 2h, 1d",
    on: { input: (e) => { sc.every = e.target.value.trim(); } } });
  return field("sched-every", "Every", input);
}

function zoneField(sc) {
  let zones;
  try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = SOME_ZONES; }
  const input = h("input", { id: "sched-tz", type: "text", list: "tz-list", value: sc.timezone,
    on: { input: (e) => { sc.timezone = e.target.value.trim(); } } });
  return field("sched-tz", "Time zone", input, h("datalist", { id: "tz-list" }, zones.map((z) => h("option", { value: z }))));
}

// The trigger's presets ("Every Monday at 9:00"): choosing one fills the fields below.
function presetField(sc, redraw) {
  const presets = (state.trigger && state.trigger.presets) || [];
  if (!presets.length) { return null; }
  const choose = (e) => {
    const p = presets[Number(e.target.value)];
    if (!p) { return; }
    sc.preset = e.target.value;
    sc.mode = p.schedule.cron ? "cron" : "every";
    if (p.schedule.cron) { sc.cron = p.schedule.cron; } else { sc.every = p.schedule.every; }
    redraw();
    $("sched-preset").focus();
  };
  return field("sched-preset", "Common schedules",
    h("select", { id: "sched-preset", on: { change: choose } }, h("option", { value: "", text: "Choose…" }),
      presets.map((p, i) => option(String(i), p.title, sc.preset === String(i)))));
}
