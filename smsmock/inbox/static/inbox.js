// The smsmock inbox's script: live regions, and the actions a person takes, sent to the control API.
//
// Nothing here builds HTML. Data from the mock reaches the page as text (textContent), or as a live
// region's new content, which the server rendered with every value escaped; the page's
// Content-Security-Policy runs no inline script or handler either way.
"use strict";

(() => {
  const POLL_EVERY_MS = 700;
  const RESET_ARMED_MS = 4000;
  const control = document.body.dataset.control;
  const regions = Array.from(document.querySelectorAll("[data-live]"));

  // what happened

  function say(text, failed) {
    const line = document.getElementById("action-result");
    line.textContent = text;
    line.classList.toggle("failed", Boolean(failed));
  }

  async function send(path, body) {
    const response = await fetch(control + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let answer = null;
    try {
      answer = await response.json();
    } catch (problem) {
      answer = null;
    }
    if (!response.ok) {
      const reason = answer && answer.message ? answer.message : `${response.status} ${response.statusText}`;
      throw new Error(reason);
    }
    return answer;
  }

  // live regions: poll, and swap a region only when the server says it changed

  function showClock(live) {
    if (!live || !live.clock) return;
    document.getElementById("clock-now").textContent = live.clock.now;
    document.getElementById("clock-next").textContent = live.clock.next;
  }

  function swap(region, html) {
    // Details a person opened stay open when their region is redrawn.
    const open = new Set(
      Array.from(region.querySelectorAll("details[open][data-key]"), (details) => details.dataset.key),
    );
    const parsed = new DOMParser().parseFromString(html, "text/html");
    region.replaceChildren(...Array.from(parsed.body.childNodes));
    for (const details of region.querySelectorAll("details[data-key]")) {
      if (open.has(details.dataset.key)) details.open = true;
    }
  }

  let polling = false;
  let again = false;
  let round = 0;
  async function poll(everything) {
    if (polling) {
      // An action's poll waits for the one under way, and then runs: its change is not missed.
      again = again || everything;
      return;
    }
    polling = true;
    round += 1;
    try {
      if (regions.length === 0) {
        const response = await fetch(document.body.dataset.clockLive, { cache: "no-store" });
        if (response.ok) showClock(await response.json());
      }
      for (const region of regions) {
        // A region that is dear to read (a search) says to ask only every few rounds.
        if (!everything && round % Number(region.dataset.every || 1) !== 0) continue;
        const url = new URL(region.dataset.live, window.location.href);
        url.searchParams.set("etag", region.dataset.etag || "");
        const response = await fetch(url, { cache: "no-store" });
        if (!response.ok) continue;
        const live = await response.json();
        showClock(live);
        if (live.html !== null && live.etag !== region.dataset.etag) {
          swap(region, live.html);
          region.dataset.etag = live.etag;
        }
      }
    } catch (problem) {
      // The mock is restarting, or gone: the next poll tries again.
    } finally {
      polling = false;
      if (again) {
        again = false;
        poll(true);
      }
    }
  }

  window.setInterval(() => {
    if (!document.hidden) poll(false);
  }, POLL_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll(true);
  });

  // the actions

  function given(form) {
    // The form's fields, the empty ones left out.
    const values = {};
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") values[name] = value.trim();
    }
    return values;
  }

  function digits(number) {
    // A destination as the outcome rules compare it: digits, no leading + or 00.
    const written = String(number || "").replace(/[\s\-().]/g, "").replace(/^\+/, "").replace(/^00/, "");
    if (!/^[0-9]+$/.test(written)) throw new Error("the destination must be a phone number (digits)");
    return written;
  }

  function numberOf(value, name) {
    const number = Number(value);
    if (!Number.isFinite(number)) throw new Error(`${name} must be a number`);
    return number;
  }

  const actions = {
    async inbound(form) {
      const values = given(form);
      const body = { from: values.from, to: values.to, text: new FormData(form).get("text") };
      for (const name of ["dialect", "account", "keyword"]) if (values[name]) body[name] = values[name];
      const made = await send("/inbound", body);
      return `Inbound message from ${made.from} to ${made.to} waits in ${made.dialect}'s inbox of ${made.account}.`;
    },

    async outcome(form) {
      const values = given(form);
      const to = digits(values.to);
      const rule = {
        name: `inbox ${to}`,
        to,
        status: values.status,
        error: values.error,
        after: numberOf(values.after || "0", "after"),
      };
      // The rules loaded over the control API are replaced as a whole: keep the others.
      const loaded = JSON.parse(form.dataset.loaded || "{}") || {};
      const kept = (loaded.rules || []).filter((other) => other.name !== rule.name);
      const rules = { ...loaded, rules: [rule, ...kept] };
      await send("/rules", rules);
      form.dataset.loaded = JSON.stringify(rules);
      return `Messages sent to ${to} from now on: ${rule.status} (${rule.error}) ${rule.after} s after sending.`;
    },

    async fault(form) {
      const values = given(form);
      const spec = {};
      if (values.dialect) spec.dialect = values.dialect;
      if (values.operation) spec.operation = values.operation;
      if (values.times) spec.times = numberOf(values.times, "times");
      const kind = values.kind;
      if (kind === "drop" || kind === "malformed") spec[kind] = true;
      else spec[kind] = numberOf(values.value, kind);
      const fault = await send("/faults", spec);
      return `Fault ${fault.id} injected: ${JSON.stringify(fault)}`;
    },

    async advance(form) {
      const clock = await send("/clock/advance", { seconds: numberOf(given(form).seconds, "seconds") });
      return `Clock at ${clock.now}; ${clock.ran} event(s) ran.`;
    },
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form || !(form.dataset.action in actions)) return;
    event.preventDefault();
    try {
      say(await actions[form.dataset.action](form));
      poll(true);
    } catch (problem) {
      say(problem.message, true);
    }
  });

  let armed = null;
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    try {
      if (button.dataset.advance !== undefined) {
        const clock = await send("/clock/advance", { seconds: Number(button.dataset.advance) });
        say(`Clock at ${clock.now}; ${clock.ran} event(s) ran.`);
        poll(true);
      } else if (button.dataset.nextEvent !== undefined) {
        const clock = await send("/clock/next");
        say(`Clock at ${clock.now}; ${clock.ran} event(s) ran.`);
        poll(true);
      } else if (button.dataset.reset !== undefined) {
        // Two clicks, no dialog: a reset loses every message.
        if (armed === null) {
          button.classList.add("armed");
          button.textContent = "Click again to reset everything";
          armed = window.setTimeout(() => {
            armed = null;
            button.classList.remove("armed");
            button.textContent = "Reset the mock";
          }, RESET_ARMED_MS);
          return;
        }
        window.clearTimeout(armed);
        armed = null;
        button.classList.remove("armed");
        button.textContent = "Reset the mock";
        await send("/reset");
        say("The mock is back at its start state.");
        poll(true);
      }
    } catch (problem) {
      say(problem.message, true);
    }
  });
})();
