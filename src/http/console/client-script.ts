/**
 * The console's only script, inlined in every page (no build step). It does these things:
 *
 * - Live updates: a page's live region names an event stream (`data-stream`: an execution's events, or every
 *   execution's lifecycle changes for the list), which the script follows with EventSource while the box is ticked.
 *   When an event arrives it asks the region's `data-live` source for the region (sending its `data-version`, so a
 *   change that left the region as it was costs a 204), and swaps it in: one or two fetches for a burst, about one
 *   a second at most, none while an action form is being filled in (it is fetched after). EventSource reconnects
 *   by itself: an execution's stream goes on from `Last-Event-ID` (none missed, none twice), the list's (live only)
 *   is caught up by one fetch. A hidden tab closes its stream (browsers allow few connections to one server) and,
 *   shown again, fetches the region and opens it anew. Where there is no stream (a platform that buffers responses,
 *   AppOptions.bufferedResponses), or it was refused while the page still shows something live, the script asks
 *   `data-live` every 2 s instead. The HTML comes from this server, where every value was escaped.
 * - Actions: a `form[data-api]` is sent as JSON to the console's proxy of the JSON API (`/console/api/v1/...`),
 *   after a confirmation when it has `data-confirm`; the answer (or the API's problem detail) is shown as text. A
 *   start form (`data-kind="start"`) sends nothing when its input is not JSON, and opens the new execution's page.
 * - Copy: a `button[data-copy]` copies the text of the element it names (a pending callback's curl line).
 *
 * It never puts response text into the page as HTML except that server-rendered region.
 */
import { LogEvent } from "../../log/events.ts"

/** The names of the frames that say a region changed: an execution stream's (its events' tags) and the list's. */
const FRAME_NAMES = [...Object.keys(LogEvent.cases), "lifecycle"]

export const CLIENT_SCRIPT = String.raw`
(() => {
  "use strict";
  const HEADER = { "x-reprise-console": "1" };
  const FRAME_NAMES = ${JSON.stringify(FRAME_NAMES)};
  let busy = false;
  /** An event said the region changed and it has not been fetched since. */
  let stale = false;
  let timer;
  /** The EventSource followed; its key is the region's data-stream. */
  let source;
  /** The stream was refused while the region was live: poll from then on. */
  let failed = false;
  /** When the last fetch began: a busy stream costs at most about one fetch a second. */
  let fetchedAt = 0;

  /** What the stamp says while a typed field holds the region back. */
  const HELD = "changes held while a field holds your text (send or clear it)";
  const stamp = (text) => {
    const element = document.getElementById("refreshed");
    if (element) element.textContent = text;
  };
  const regionOf = () => document.querySelector("[data-live]");
  const liveOn = () => {
    const toggle = document.getElementById("live-toggle");
    return Boolean(toggle && toggle.checked);
  };
  /**
   * A form in the live region holds what the reader typed: replacing the region would lose it, so it waits. Forms
   * outside it (the rerun editor) never hold it up, and a field emptied again, or a form sent, lets it go on.
   */
  const editing = () => {
    const region = regionOf();
    if (!region) return false;
    for (const form of region.querySelectorAll("form[data-api]")) {
      for (const element of form.elements) {
        if ((element instanceof HTMLInputElement && element.type !== "checkbox" && element.type !== "radio") || element instanceof HTMLTextAreaElement) {
          if (element.value !== element.defaultValue) return true;
        }
      }
    }
    return false;
  };
  /** What has the focus in the region, to find again in the new one: its id, or the operation its summary opens. */
  const focusKeyOf = (region) => {
    const focused = document.activeElement;
    if (!focused || !region.contains(focused)) return undefined;
    if (focused.id) return "#" + CSS.escape(focused.id);
    const op = focused.closest("details[data-op]");
    if (op && focused.tagName === "SUMMARY") return 'details[data-op="' + CSS.escape(op.dataset.op) + '"] > summary';
    return undefined;
  };
  const streams = () => typeof EventSource === "function" && !failed;
  const polls = () => {
    const region = regionOf();
    return Boolean(region && !region.hasAttribute("data-ended") && (!region.dataset.stream || !streams()));
  };

  const refresh = async () => {
    const region = regionOf();
    if (!region || busy) return;
    busy = true;
    stale = false;
    fetchedAt = Date.now();
    try {
      // Ask whether anything changed since the version held; 204 means nothing did (no page, no region sent).
      const src = region.dataset.live;
      const url = src + (src.includes("?") ? "&" : "?") + "since=" + encodeURIComponent(region.dataset.version || "");
      const response = await fetch(url, { headers: HEADER, cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) { location.reload(); return; }
      if (response.ok && response.status !== 204) {
        // The region alone (escaped server-side), parsed inert in a template: it carries no style or script.
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const next = template.content.querySelector("[data-live]");
        if (next && editing()) {
          // Held: replacing the region would lose what the reader typed. Said, not stamped as updated (the page
          // kept showing RUNNING, "updated" a second ago, over an execution that had ended).
          stale = true;
          stamp(HELD);
        } else if (next) {
          // Keep what the reader opened or closed: the server's defaults apply to new operations only.
          const state = new Map([...region.querySelectorAll("details[data-op]")].map((d) => [d.dataset.op, d.open]));
          for (const d of next.querySelectorAll("details[data-op]")) if (state.has(d.dataset.op)) d.open = state.get(d.dataset.op);
          const focusKey = focusKeyOf(region);
          region.replaceWith(next);
          // A keyboard reader stays where they were (the page's body had the focus after every refresh).
          const refocus = focusKey === undefined ? null : next.querySelector(focusKey);
          if (refocus) refocus.focus({ preventScroll: true });
          // Unless the reader set it, the box follows the region: off once it has ended, on again after a rewind.
          const toggle = document.getElementById("live-toggle");
          if (toggle && !toggle.dataset.touched) toggle.checked = !next.hasAttribute("data-ended");
        }
      }
      // In UTC, as every other time on the page.
      if (response.ok && !(stale && editing())) stamp(new Date().toISOString().slice(11, 19) + " UTC");
    } catch (error) {
      stamp("failed (" + String(error) + ")");
    } finally {
      busy = false;
      connect();
      if (stale) later();
    }
  };

  /** An event said the region changed: fetch it soon, once for a burst, and not while hidden or being edited. */
  const later = () => {
    stale = true;
    if (editing() && liveOn()) stamp(HELD);
    if (timer !== undefined || busy || editing() || document.hidden || !liveOn()) return;
    timer = setTimeout(() => { timer = undefined; void refresh(); }, Math.max(100, fetchedAt + 1000 - Date.now()));
  };

  /** Follows the region's stream while it is live and the box ticked; closes it otherwise. */
  const connect = () => {
    const region = regionOf();
    // Not while the tab is hidden: a browser opens few connections to one server, and hidden tabs would hold them.
    const want = region && liveOn() && !document.hidden && !region.hasAttribute("data-ended") && streams() ? region.dataset.stream : undefined;
    if (source && source.key === want) return;
    if (source) { source.close(); source = undefined; }
    if (!want) return;
    const cursor = region.dataset.cursor;
    const es = new EventSource(cursor ? want + (want.includes("?") ? "&" : "?") + "cursor=" + encodeURIComponent(cursor) : want);
    es.key = want;
    let opened = false;
    for (const name of FRAME_NAMES) es.addEventListener(name, later);
    es.addEventListener("open", () => {
      // Back after a drop: an execution's stream resumed from Last-Event-ID; the list's is live only, so catch up.
      if (opened && !cursor) later();
      opened = true;
    });
    es.addEventListener("error", (event) => {
      if (source !== es) return;
      // A problem frame (the server failed mid-stream): the server closes, and EventSource reconnects.
      if (event instanceof MessageEvent) { stamp("stream failed; reconnecting"); return; }
      if (es.readyState !== EventSource.CLOSED) { stamp("reconnecting"); return; }
      // Refused for good (a 204 for an execution that ended, a 401, a proxy's answer): read the region; poll if still live.
      source = undefined;
      void refresh().then(() => {
        const now = regionOf();
        if (now && !now.hasAttribute("data-ended")) failed = true;
      });
    });
    source = es;
  };

  // Hidden: the stream is closed. Shown again: the region is fetched (204 if nothing changed), then the stream is
  // opened from what it shows.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) connect();
    else if (liveOn()) void refresh();
  });

  // Relative times ("3 min ago", layout.ts relTime), by the rule of format.ts ago: kept current between refreshes.
  const ago = (at) => {
    const ms = Date.now() - at;
    const s = Math.floor(Math.abs(ms) / 1000);
    if (s < 5) return "just now";
    const amount = s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : s < 86400 ? Math.floor(s / 3600) + " h" : Math.floor(s / 86400) + " d";
    return ms >= 0 ? amount + " ago" : "in " + amount;
  };

  setInterval(() => {
    for (const element of document.querySelectorAll(".rel[data-at]")) element.textContent = ago(Number(element.dataset.at));
    const toggle = document.getElementById("live-toggle");
    const region = document.querySelector("[data-live]");
    if (region && region.hasAttribute("data-ended") && toggle && toggle.checked && !toggle.dataset.touched) toggle.checked = false;
    // Polled, or an event came while the reader was typing: fetch once the form is left as it was.
    if (toggle && toggle.checked && !editing() && !document.hidden && (polls() || stale)) void refresh();
  }, 2000);

  document.addEventListener("change", (event) => {
    if (!(event.target instanceof HTMLInputElement) || event.target.id !== "live-toggle") return;
    event.target.dataset.touched = "1";
    if (event.target.checked) void refresh(); // catch up on what came while it was off; it connects after
    else connect();
  });

  const field = (form, name) => {
    const element = form.elements.namedItem(name);
    return element && "value" in element ? String(element.value).trim() : "";
  };

  const bodyOf = (form) => {
    switch (form.dataset.kind) {
      case "succeed": {
        const result = field(form, "result");
        if (result === "") return {};
        try { JSON.parse(result); } catch { throw new Error("The result is not valid JSON"); }
        return { result };
      }
      case "fail": {
        const errorMessage = field(form, "errorMessage");
        if (errorMessage === "") throw new Error("Give an error message");
        const errorType = field(form, "errorType");
        return errorType === "" ? { errorMessage } : { errorType, errorMessage };
      }
      case "start": {
        // Parsed here so that bad JSON is refused before anything is sent (and nothing starts).
        const input = field(form, "input");
        if (input === "") return {};
        try { return { input: JSON.parse(input) }; } catch (error) { throw new Error("The input is not valid JSON (" + error.message + "): nothing was started"); }
      }
      case "fork":
      case "rewind":
        return { fromOperation: field(form, "fromOperation") };
      case "stop": {
        const reason = field(form, "reason");
        return reason === "" ? {} : { error: { errorMessage: reason } };
      }
      default:
        return {};
    }
  };

  const say = (form, text, ok) => {
    let box = form.querySelector(".msg");
    if (!box) { box = document.createElement("div"); form.append(box); }
    box.className = "msg " + (ok ? "notice" : "notice error");
    box.textContent = text;
  };

  // Copy buttons (data-copy names the element whose text is copied): no inline handler, so the CSP holds.
  document.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = "Copied";
    } catch {
      // No clipboard (a plain-http page on another host): select the text, for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      if (selection) { selection.removeAllRanges(); selection.addRange(range); }
      button.textContent = "Selected: press Ctrl+C";
    }
  });

  // Ctrl+Enter (or Cmd+Enter) in a form's text area sends the form, as Enter does in a one-line field.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const form = event.target instanceof HTMLTextAreaElement ? event.target.closest("form[data-api]") : null;
    if (!form) return;
    event.preventDefault();
    form.requestSubmit();
  });

  connect();

  document.addEventListener("submit", async (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-api]") : null;
    if (!form) return;
    event.preventDefault();
    let body;
    try { body = bodyOf(form); } catch (error) { say(form, error.message, false); return; }
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        headers: Object.assign({ "content-type": "application/json" }, HEADER),
        credentials: "same-origin",
        body: JSON.stringify(body)
      });
      if (response.ok && (form.dataset.kind === "start" || form.dataset.kind === "fork")) {
        const started = await response.json();
        say(form, (form.dataset.kind === "fork" ? "Forked as " : "Started ") + started.executionId, true);
        location.assign("/console/executions/" + encodeURIComponent(started.executionId));
      } else if (response.ok && form.dataset.kind === "delete") {
        // Nothing is left to show here: back to the list, which no longer has it.
        say(form, form.dataset.done || "Done", true);
        location.assign("/console");
      } else if (response.ok) {
        say(form, form.dataset.done || "Done", true);
        form.reset(); // sent: what it held no longer holds the region
        await new Promise((resolve) => setTimeout(resolve, 300));
        await refresh();
      } else {
        const problem = await response.json().catch(() => ({}));
        say(form, (problem.title || "HTTP " + response.status) + (problem.detail ? ": " + problem.detail : ""), false);
      }
    } catch (error) {
      say(form, "The request failed: " + String(error), false);
    } finally {
      if (button) button.disabled = false;
    }
  });
})();
`
