// careshift scheduler console: plain JavaScript, no build step, no external resources.
// Every call goes to the same origin's API with the bearer token kept in sessionStorage.
// The server checks every scope; the console only disables what the server would refuse.
"use strict";

(function () {
  const TOKEN_KEY = "careshift.token";
  const UNIT_KEY = "careshift.unit";
  const state = { me: null, unit: "", reasons: [], busy: false };

  const $ = (id) => document.getElementById(id);

  // Build elements with text content only: API data never becomes markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class ProblemError extends Error {
    constructor(problem) {
      super(problem.detail || problem.title || "request failed");
      this.problem = problem;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json, application/problem+json" };
    const t = token();
    if (t) headers.Authorization = "Bearer " + t;
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ProblemError({ title: "API unreachable", status: 0, detail: String(err) });
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const problem =
        typeof data === "object" && data
          ? data
          : { title: response.statusText || "Error", status: response.status, detail: String(data) };
      problem.method = method;
      problem.path = path;
      throw new ProblemError(problem);
    }
    return data;
  }

  // --- feedback -----------------------------------------------------------------------

  function showProblem(err) {
    const box = $("problem");
    box.replaceChildren();
    if (!err) {
      box.hidden = true;
      return;
    }
    const p = err.problem || { title: "Error", detail: String(err) };
    const heading = `${p.title || "Error"}${p.status ? ` (${p.status})` : ""}`;
    box.append(el("strong", { text: heading }));
    if (p.detail) box.append(el("p", { class: "detail", text: p.detail }));
    if (Array.isArray(p.errors) && p.errors.length) {
      box.append(
        el("ul", {}, p.errors.map((e) => el("li", { text: `${(e.loc || []).join(" → ")}: ${e.msg}` })))
      );
    }
    if (Array.isArray(p.relaxations) && p.relaxations.length) {
      box.append(el("p", { text: "Relaxations that would make it feasible: " + p.relaxations.join("; ") }));
    }
    const where = [p.method, p.instance || p.path].filter(Boolean).join(" ");
    if (where || p.type) box.append(el("p", { class: "hint", text: [where, p.type].filter(Boolean).join(" · ") }));
    box.append(el("button", { type: "button", class: "dismiss", onclick: () => showProblem(null), text: "Dismiss" }));
    box.hidden = false;
  }

  function say(text) {
    $("status").textContent = text;
  }

  async function guarded(label, work) {
    if (state.busy) return;
    state.busy = true;
    document.body.setAttribute("aria-busy", "true");
    say(label + "…");
    try {
      const message = await work();
      showProblem(null);
      say(typeof message === "string" ? message : label + ": done.");
    } catch (err) {
      showProblem(err);
      say(label + ": failed.");
    } finally {
      state.busy = false;
      document.body.removeAttribute("aria-busy");
    }
  }

  // --- scopes ---------------------------------------------------------------------------

  function can(scope) {
    const scopes = (state.me && state.me.scopes) || [];
    return scopes.includes(scope) || scopes.includes("staffing.admin");
  }

  function applyScopes() {
    const signedIn = Boolean(state.me);
    const haveUnit = signedIn && Boolean(state.unit);
    $("unit").disabled = !signedIn;
    $("refresh").disabled = !haveUnit;
    $("plan").disabled = !(haveUnit && can("staffing.decide"));
    $("repair").disabled = !(haveUnit && can("staffing.decide"));
    $("mode-set").disabled = !(haveUnit && can("staffing.admin"));
    const missing = ["staffing.decide", "staffing.approve", "staffing.admin"].filter((s) => !can(s));
    $("scope-note").textContent =
      signedIn && missing.length ? `This token lacks ${missing.join(", ")}: those actions are disabled.` : "";
  }

  // --- sign in --------------------------------------------------------------------------

  async function signIn() {
    state.me = null;
    if (!token()) {
      $("whoami").textContent = "Not signed in.";
      applyScopes();
      return;
    }
    try {
      state.me = await api("GET", "/auth/whoami");
    } catch (err) {
      $("whoami").textContent = "Not signed in.";
      applyScopes();
      throw err;
    }
    const me = state.me;
    const units = me.units ? ` · units ${me.units.join(", ")}` : " · all units";
    $("whoami").textContent = `Signed in as ${me.subject} (${me.role || "no role"}) · ${me.scopes.join(" ")}${units}`;
    state.reasons = await api("GET", "/decisions/reasons");
    await loadUnits();
  }

  async function loadUnits() {
    const units = await api("GET", "/units");
    const select = $("unit");
    const remembered = sessionStorage.getItem(UNIT_KEY) || state.unit;
    select.replaceChildren(el("option", { value: "", text: "— pick a unit —" }));
    for (const u of units) {
      select.append(el("option", { value: u.unit, text: `${u.unit} (${u.mode})` }));
    }
    applyScopes();
    if (remembered && units.some((u) => u.unit === remembered)) {
      select.value = remembered;
      state.unit = remembered;
      applyScopes();
      await loadUnit();
    }
  }

  // --- unit -----------------------------------------------------------------------------

  async function loadUnit() {
    if (!state.unit) {
      clearUnit();
      return;
    }
    const unit = encodeURIComponent(state.unit);
    const days = $("days").value;
    const [coverage, recs, log] = await Promise.all([
      api("GET", `/units/${unit}/coverage?days=${days}`),
      api("GET", `/units/${unit}/recommendations?limit=10`),
      api("GET", `/decisions?unit=${unit}`),
    ]);
    renderMode(coverage.mode);
    renderRecommendations(recs);
    renderCoverage(coverage);
    renderLog(log);
    say(`Unit ${state.unit} loaded at ${new Date().toLocaleTimeString()}.`);
  }

  function clearUnit() {
    renderMode("");
    $("recs").replaceChildren();
    $("recs-empty").textContent = "Pick a unit to see its recommendations.";
    $("recs-empty").hidden = false;
    $("roster").replaceChildren();
    $("roster-meta").textContent = "";
    $("violations").replaceChildren();
    $("check-summary").textContent = "";
    $("log").replaceChildren();
  }

  function renderMode(mode) {
    const now = $("mode-now");
    now.textContent = mode || "—";
    now.dataset.mode = mode || "";
    if (mode) $("mode").value = mode;
  }

  // --- recommendations ----------------------------------------------------------------------

  const PRODUCED_BY = {
    optimizer: "optimiser",
    greedy_repair: "fallback: deterministic repair (checked)",
    last_approved: "fallback: last approved schedule",
    coverage_template: "fallback: the unit's coverage template",
  };

  function fmtNumber(x) {
    if (x === null || x === undefined) return "—";
    return Number.isInteger(x) ? String(x) : x.toFixed(2);
  }

  function fmtDay(iso) {
    const d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
  }

  function renderRecommendations(recs) {
    const box = $("recs");
    box.replaceChildren();
    $("recs-empty").hidden = recs.length > 0;
    $("recs-empty").textContent = recs.length
      ? ""
      : "No recommendations for this unit yet. Plan or repair to ask for one.";
    const currentId = (recs.find((r) => r.status === "proposed" || r.status === "deferred") || {}).id;
    for (const rec of recs) box.append(card(rec, rec.id === currentId));
  }

  function card(rec, current) {
    const id = `rec-${rec.id}`;
    const fallback = rec.produced_by !== "optimizer";
    const node = el("article", {
      class: `card status-${rec.status}${current ? " current" : ""}`,
      "aria-labelledby": `${id}-summary`,
      "data-recommendation": rec.id,
      "data-status": rec.status,
      id,
    });
    node.append(
      el(
        "header",
        {},
        el("p", { class: "badges" },
          current ? el("span", { class: "badge current-badge", text: "current" }) : null,
          el("span", { class: `badge status`, text: rec.status }),
          el("span", { class: `badge produced ${fallback ? "fallback" : "optimizer"}`, text: PRODUCED_BY[rec.produced_by] || rec.produced_by })
        ),
        el("h3", { id: `${id}-summary`, class: "summary", text: rec.summary })
      )
    );
    if (fallback) {
      node.append(
        el("p", { class: "banner fallback-banner", role: "note" },
          el("strong", { text: "Fallback mode. " }),
          `Produced by ${PRODUCED_BY[rec.produced_by] || rec.produced_by}, not the optimiser`,
          rec.fallback_reason ? `: ${rec.fallback_reason}` : ".",
          " Check the changes before accepting."
        )
      );
    }
    if (!rec.check.feasible) {
      node.append(
        el("p", { class: "banner degraded-banner", role: "note" },
          el("strong", { text: "Degraded: " }),
          `the checker finds ${rec.check.hard_violations} hard violation(s) (${rec.check.hard_rules.join(", ")}).`
        )
      );
    }
    node.append(
      el("h4", { text: "Reasons" }),
      el("ul", { class: "reasons" },
        rec.reasons.map((r) =>
          el("li", {},
            el("span", { text: r.text }),
            r.before !== null || r.after !== null
              ? el("span", { class: "numbers", text: ` (${fmtNumber(r.before)} → ${fmtNumber(r.after)})` })
              : null,
            el("code", { class: "code", text: r.code })
          )
        )
      ),
      el("dl", { class: "facts" },
        el("dt", { text: "Disruption" }),
        el("dd", { class: "disruption", text: `${rec.people_affected} people affected, ${rec.assignments_changed} assignments changed` }),
        el("dt", { text: "Cost" }),
        el("dd", { text: `${fmtNumber(rec.cost_before)} → ${fmtNumber(rec.cost_after)} (checker: ${rec.check.feasible ? "feasible" : "infeasible"}, soft cost ${rec.check.cost})` }),
        el("dt", { text: "Versions" }),
        el("dd", { class: "hint", text: `policy ${rec.policy_version || "—"} · roster ${rec.roster_version || "—"} · model ${rec.model_version || "—"} · features ${rec.feature_set || "—"}` }),
        el("dt", { text: "Created" }),
        el("dd", { text: new Date(rec.created_at).toLocaleString() }),
        rec.auto ? el("dt", { text: "Auto mode" }) : null,
        rec.auto ? el("dd", { class: "auto-verdict", text: `risk ${rec.auto.risk.toFixed(2)} · confidence ${rec.auto.confidence.toFixed(2)}: ${rec.auto.reason}` }) : null
      ),
      changesTable(rec)
    );
    node.append(actions(rec));
    return node;
  }

  function changesTable(rec) {
    const rows = [
      ...rec.added.map((a) => ["add", a]),
      ...rec.removed.map((a) => ["remove", a]),
    ].sort((x, y) => (x[1].day + x[1].shift).localeCompare(y[1].day + y[1].shift));
    return el("details", { class: "changes" },
      el("summary", { text: `Changes (${rec.added.length} added, ${rec.removed.length} removed)` }),
      el("table", {},
        el("thead", {}, el("tr", {}, ["Change", "Staff", "Day", "Shift"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows.map(([kind, a]) =>
          el("tr", { class: kind }, el("td", { text: kind === "add" ? "+ add" : "− remove" }), el("td", { text: a.staff }), el("td", { text: fmtDay(a.day) }), el("td", { text: a.shift }))
        ))
      )
    );
  }

  function actions(rec) {
    const bar = el("div", { class: "card-actions", role: "group", "aria-label": `Decide on recommendation ${rec.id}` });
    const decidable = rec.status === "proposed" || rec.status === "deferred";
    const canDecide = can("staffing.decide");
    const label = (verb) => `${verb} recommendation ${rec.id}`;
    if (decidable) {
      bar.append(
        el("button", { type: "button", class: "accept primary", disabled: !canDecide, "aria-label": label("Accept"), text: "Accept",
          onclick: () => guarded("Accepting", async () => { await decide(rec, { outcome: "accepted" }); }) }),
        el("button", { type: "button", class: "override", disabled: !canDecide, "aria-label": label("Override"), text: "Override…",
          onclick: (ev) => openDecisionForm(rec, "overridden", ev.currentTarget) }),
        el("button", { type: "button", class: "defer", disabled: !canDecide, "aria-label": label("Defer"), text: "Defer…",
          onclick: (ev) => openDecisionForm(rec, "deferred", ev.currentTarget) })
      );
    }
    if (rec.status === "accepted" || decidable) {
      const enabled = rec.status === "accepted" && can("staffing.approve");
      const why = !can("staffing.approve") ? "needs staffing.approve" : rec.status !== "accepted" ? "accept it first" : "";
      bar.append(
        el("button", { type: "button", class: "approve", disabled: !enabled, "aria-label": label("Approve"), title: why || null, text: "Approve",
          onclick: () => guarded("Approving", async () => {
            await api("POST", `/recommendations/${encodeURIComponent(rec.id)}/approval`, { comment: "" });
            await loadUnit();
          }) }),
        why ? el("span", { class: "hint", text: `Approve: ${why}.` }) : null
      );
    }
    if (!bar.childNodes.length) {
      const done = {
        approved: "Approved.",
        overridden: "Overridden.",
        superseded: "Superseded by a newer recommendation.",
        shadow: "Shadow mode: logged only, not for decision.",
      }[rec.status];
      bar.append(el("span", { class: "hint", text: done || rec.status }));
    }
    return bar;
  }

  async function decide(rec, body) {
    await api("POST", `/recommendations/${encodeURIComponent(rec.id)}/decisions`, body);
    await loadUnit();
  }

  function openDecisionForm(rec, outcome, opener) {
    const article = document.getElementById(`rec-${rec.id}`);
    const existing = article.querySelector(".decision-form");
    if (existing) existing.remove();
    const form = $("decision-form-template").content.firstElementChild.cloneNode(true);
    const verb = outcome === "overridden" ? "Override" : "Defer";
    form.dataset.outcome = outcome;
    form.querySelector("legend").textContent = `${verb} — coded reason and comment`;
    const select = form.querySelector("select");
    const comment = form.querySelector("textarea");
    const base = `decide-${rec.id}-${outcome}`;
    select.id = `${base}-reason`;
    comment.id = `${base}-comment`;
    const labels = form.querySelectorAll("label");
    labels[0].htmlFor = select.id;
    labels[1].htmlFor = comment.id;
    select.append(el("option", { value: "", text: "— choose a reason —" }));
    const groups = new Map();
    for (const r of state.reasons) {
      if (!groups.has(r.parent)) groups.set(r.parent, el("optgroup", { label: r.parent }));
      groups.get(r.parent).append(el("option", { value: r.code, text: `${r.display} (${r.code})` }));
    }
    select.append(...groups.values());
    form.querySelector("button[type=submit]").textContent = `Submit ${verb.toLowerCase()}`;
    const close = () => {
      form.remove();
      opener.focus();
    };
    form.querySelector(".cancel").addEventListener("click", close);
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") close();
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      guarded(verb === "Override" ? "Overriding" : "Deferring", async () => {
        await decide(rec, { outcome, reason_code: select.value, comment: comment.value });
      });
    });
    article.querySelector(".card-actions").after(form);
    select.focus();
  }

  // --- roster and coverage ------------------------------------------------------------------

  const STATUS_TEXT = {
    "below-floor": "below floor",
    "below-target": "below target",
    "over-cap": "over cap",
    ok: "ok",
    "no-requirement": "no requirement",
  };

  function renderCoverage(c) {
    $("roster-meta").textContent =
      `${c.source} roster, version ${c.roster_version}; horizon ${c.horizon_start} for ${c.horizon_days} days; ` +
      "each cell: assigned / floor (target, cap). This is the live roster: approved changes show here once " +
      "the workforce system's roster (updated by write-back) reaches careshift.";
    const byKey = new Map(c.cells.map((cell) => [`${cell.day}|${cell.shift}`, cell]));
    const table = el("table", { class: "roster", id: "roster-table" },
      el("caption", { class: "visually-hidden", text: `Roster of ${c.unit} from ${c.start}` }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Shift" }),
        c.days.map((d) => el("th", { scope: "col", text: fmtDay(d) }))
      )),
      el("tbody", {}, c.shifts.map((s) =>
        el("tr", {},
          el("th", { scope: "row", text: s.start ? `${s.id} ${s.start}–${s.end}` : s.id }),
          c.days.map((d) => {
            const cell = byKey.get(`${d}|${s.id}`);
            const cap = cell.cap === null ? "" : `, cap ${cell.cap}`;
            return el("td", { class: `cell ${cell.status}`, "data-day": d, "data-shift": s.id, "data-status": cell.status },
              el("span", { class: "count", text: `${cell.assigned} / ${cell.floor}` }),
              el("span", { class: "levels", text: ` (target ${cell.target}${cap})` }),
              el("span", { class: "flag", text: STATUS_TEXT[cell.status] || cell.status }),
              el("span", { class: "who", text: cell.staff.join(", ") })
            );
          })
        )
      ))
    );
    $("roster").replaceChildren(table);
    const hard = c.violations.filter((v) => v.hard).length;
    $("check-summary").textContent =
      `Whole horizon: ${c.check.feasible ? "feasible" : "infeasible"}, ${c.check.hard_violations} hard violation(s), ` +
      `soft cost ${c.check.cost}. Shown days: ${hard} hard, ${c.violations.length - hard} soft finding(s).`;
    const list = $("violations");
    list.replaceChildren(
      ...c.violations.slice(0, 200).map((v) =>
        el("li", { class: v.hard ? "hard" : "soft" },
          el("span", { class: "kind", text: v.hard ? "HARD" : `soft ${v.penalty}` }),
          " ",
          el("code", { text: v.rule_id }),
          v.day ? ` ${fmtDay(v.day)}` : "",
          v.staff ? ` · ${v.staff}` : "",
          ": ",
          el("span", { class: "reason", text: v.reason || `${v.family} (${v.amount})` })
        )
      )
    );
    if (!c.violations.length) list.append(el("li", { class: "ok", text: "No findings on the days shown." }));
  }

  // --- decision log ---------------------------------------------------------------------------

  function renderLog(log) {
    if (!log.length) {
      $("log").replaceChildren(el("p", { class: "hint", text: "No decisions yet." }));
      return;
    }
    $("log").replaceChildren(
      el("table", { id: "log-table" },
        el("thead", {}, el("tr", {}, ["When", "Who", "Outcome", "Reason", "Comment", "Recommendation"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, log.slice().reverse().map((d) =>
          el("tr", { "data-outcome": d.outcome },
            el("td", { text: new Date(d.at).toLocaleString() }),
            el("td", { text: `${d.user} (${d.role})` }),
            el("td", { text: d.outcome }),
            el("td", { text: d.reason_code || "" }),
            el("td", { text: d.comment }),
            el("td", {}, el("code", { text: d.recommendation_id }))
          )
        ))
      )
    );
  }

  // --- wiring ---------------------------------------------------------------------------------

  function planOrRepair(kind) {
    const label = kind === "plan" ? "Planning" : "Repairing";
    return guarded(label, async () => {
      const out = await api("POST", `/units/${encodeURIComponent(state.unit)}/${kind}`);
      await loadUnit();
      const mode = PRODUCED_BY[out.produced_by] || out.produced_by;
      const made = out.recommendation ? `recommendation ${out.recommendation.id}` : "no recommendation";
      return `${label} done: ${made} (${mode})${out.note ? ": " + out.note : ""}.`;
    });
  }

  function init() {
    // A token may arrive in the URL fragment (never sent to the server): take it and clear it.
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) {
      sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = $("token").value.trim().replace(/^Bearer\s+/i, "");
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token").value = "";
      guarded("Signing in", signIn);
    });
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(UNIT_KEY);
      state.me = null;
      state.unit = "";
      $("unit").replaceChildren(el("option", { value: "", text: "— sign in first —" }));
      $("whoami").textContent = "Not signed in.";
      clearUnit();
      applyScopes();
      say("Token forgotten.");
    });
    $("unit").addEventListener("change", () => {
      state.unit = $("unit").value;
      sessionStorage.setItem(UNIT_KEY, state.unit);
      applyScopes();
      guarded(`Loading ${state.unit || "unit"}`, loadUnit);
    });
    $("days").addEventListener("change", () => {
      if (state.unit) guarded("Loading roster", loadUnit);
    });
    $("refresh").addEventListener("click", () => guarded("Refreshing", loadUnit));
    $("plan").addEventListener("click", () => planOrRepair("plan"));
    $("repair").addEventListener("click", () => planOrRepair("repair"));
    $("mode-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      guarded("Changing mode", async () => {
        await api("PUT", `/units/${encodeURIComponent(state.unit)}/mode`, {
          mode: $("mode").value,
          reason: $("mode-reason").value,
        });
        $("mode-reason").value = "";
        await loadUnits();
      });
    });
    applyScopes();
    if (token()) guarded("Signing in", signIn);
  }

  init();
})();
