/* The dashboard: a small app over the public read API (/api/v1/..., see /openapi.json).
 * Views live behind the URL fragment (#/models, #/model/<any spelling>, #/changes, #/providers,
 * #/sources); every request uses documented parameters only; /api/v1/events (Server-Sent Events)
 * keeps the page current: a published snapshot, a change or a provider going down or up reloads
 * what the view shows, without reloading the page. Charts: uPlot (dashboard/vendor/uplot). */
"use strict";

(() => {
  const API = "api/v1";
  const PAGE = 500; // the API's largest page
  const view = document.getElementById("view");
  const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#475569", "#ea580c"];
  const state = { route: null, token: 0, charts: [], refresh: null, reloadTimer: null, events: 0 };

  // -- helpers ------------------------------------------------------------------------------

  /** An element: el("a", {href: "#"}, "text", child...); attributes named on* are listeners. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  /** GET a JSON answer; parameters that are null or "" are left out. */
  async function getJSON(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
    }
    const url = `${API}${path}${query.toString() ? "?" + query : ""}`;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  /** Every page of a paged list (items, total) for these parameters. */
  async function getAll(path, params) {
    const items = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await getJSON(path, { ...params, limit: PAGE, offset });
      items.push(...page.items);
      if (page.items.length < PAGE || items.length >= page.total) return items;
    }
  }

  const DASH = "—";
  const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
  const price = (v) => (v === null || v === undefined ? DASH : "$" + numberFormat.format(v));
  const pct = (v, digits = 2) => (v === null || v === undefined ? DASH : `${Number(v).toFixed(digits)} %`);
  const ms = (v) => (v === null || v === undefined ? DASH : `${Math.round(v)} ms`);

  function tokens(v) {
    if (v === null || v === undefined) return DASH;
    if (v >= 1e6 && v % 1e5 === 0) return `${v / 1e6}M`;
    if (v >= 1000) return `${Math.round(v / 1000)}K`;
    return String(v);
  }

  function when(iso) {
    if (!iso) return DASH;
    const at = new Date(iso);
    return at.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function ago(iso) {
    if (!iso) return DASH;
    return duration((Date.now() - new Date(iso).getTime()) / 1000) + " ago";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return DASH;
    const s = Math.max(0, Math.round(seconds));
    if (s < 90) return `${s} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${Math.round(s / 3600)} h`;
    return `${Math.round(s / 86400)} d`;
  }

  const badge = (b) => (b ? el("span", { className: `badge badge-${b}`, title: `source kind: ${b}` }, b) : DASH);
  /** A fragment path from its parts, each encoded ("/" inside a model key stays a separator). */
  const fragmentPath = (text) => text.split("/").map(encodeURIComponent).join("/");
  const modelLink = (key, text) => el("a", { href: `#/model/${fragmentPath(key)}` }, text || key);

  function table(headers, rows, attrs) {
    return el("table", attrs || {},
      el("thead", {}, el("tr", {}, headers.map((h) => (h instanceof Node ? h : el("th", {}, h))))),
      el("tbody", {}, rows));
  }

  function section(title, ...children) {
    return el("section", {}, el("h2", {}, title), children);
  }

  function errorBox(error) {
    const box = el("div", { className: "error", role: "alert" }, error.message || String(error));
    const suggestions = (error.body && error.body.suggestions) || [];
    if (suggestions.length) {
      box.append(el("p", {}, "Did you mean: ", suggestions.map((s, i) => [i ? ", " : "", modelLink(s.model_key || s, s.model_key || s)])));
    }
    return box;
  }

  // -- routing ------------------------------------------------------------------------------

  /** The view and its parameters from the fragment: #/models?search=gpt, #/model/openai/gpt-4o. */
  function parseRoute() {
    const hash = location.hash.replace(/^#\/?/, "");
    const [path, query] = hash.split("?", 2);
    const parts = path.split("/");
    const name = parts[0] || "models";
    let rest = parts.slice(1).join("/");
    try { rest = rest.split("/").map(decodeURIComponent).join("/"); } catch (_) { /* left as typed */ }
    return { name, rest, query: new URLSearchParams(query || "") };
  }

  /** Keeps the view's parameters in the fragment without a new history entry or a re-render. */
  function setQuery(query) {
    const route = parseRoute();
    const text = query.toString();
    const path = route.rest ? `${route.name}/${fragmentPath(route.rest)}` : route.name;
    history.replaceState(null, "", `#/${path}${text ? "?" + text : ""}`);
  }

  const VIEWS = {};

  function destroyCharts() {
    for (const chart of state.charts) chart.destroy();
    state.charts = [];
  }

  async function render() {
    const route = parseRoute();
    const make = VIEWS[route.name] || VIEWS.models;
    state.route = route;
    const token = ++state.token;
    destroyCharts();
    for (const link of document.querySelectorAll("nav a[data-view]")) {
      link.classList.toggle("active", link.dataset.view === (route.name === "model" ? "models" : route.name));
    }
    view.replaceChildren();
    view.dataset.view = route.name;
    view.dataset.route = location.hash;
    const load = make(route, () => token === state.token);
    state.refresh = load;
    await run(load, token);
  }

  /** Runs a view's loader, marking #view loading / ready / error (the tests wait on it). */
  async function run(load, token) {
    view.dataset.state = "loading";
    for (const box of view.querySelectorAll(":scope > .error")) box.remove();
    try {
      await load();
      if (token === state.token) view.dataset.state = "ready";
    } catch (error) {
      if (token !== state.token) return;
      view.append(errorBox(error));
      view.dataset.state = "error";
    }
  }

  /** Reloads the current view's data (a live event arrived), a few at once as one. */
  function reloadSoon() {
    clearTimeout(state.reloadTimer);
    state.reloadTimer = setTimeout(() => {
      if (state.refresh) run(state.refresh, state.token);
    }, 250);
  }

  // -- models -------------------------------------------------------------------------------

  const SORTS = [
    ["key", "Model key"], ["price", "Input price, lowest first"], ["-price", "Input price, highest first"],
    ["context", "Context, smallest first"], ["-context", "Context, largest first"], ["-released", "Newest first"],
    ["released", "Oldest first"], ["score", "Benchmark score, highest first"],
  ];
  const MODALITIES = ["text", "image", "audio", "video", "pdf", "file"];
  const CONTEXTS = [[8000, "8K"], [32000, "32K"], [128000, "128K"], [200000, "200K"], [1000000, "1M"]];
  const BILLINGS = [["metered", "metered (per token)"], ["free_tier", "free tier"], ["plan", "plan"]];
  const ROWS_SHOWN = 500; // rows drawn at first; a button shows the rest
  const FILTERS = ["search", "provider", "creator", "modality", "min_context", "max_input_price", "billing", "sort"];

  VIEWS.models = (route, alive) => {
    const query = route.query;
    const value = (name) => query.get(name) || "";
    const options = (pairs, current, any) => [el("option", { value: "" }, any),
      pairs.map(([v, label]) => el("option", { value: v, selected: String(v) === current }, label))];

    const providerSelect = el("select", { name: "provider", "aria-label": "Provider" }, options([], value("provider"), "any provider"));
    const creators = el("datalist", { id: "creators" });
    const form = el("form", { className: "filters", onsubmit: (e) => e.preventDefault() },
      el("input", { type: "search", name: "search", placeholder: "Search models…", value: value("search"), "aria-label": "Search", autofocus: true }),
      providerSelect,
      el("input", { name: "creator", placeholder: "creator", list: "creators", value: value("creator"), "aria-label": "Creator", size: 10 }),
      creators,
      el("select", { name: "modality", "aria-label": "Modality" }, options(MODALITIES.map((m) => [m, m]), value("modality"), "any modality")),
      el("select", { name: "min_context", "aria-label": "Minimum context" }, options(CONTEXTS.map(([v, l]) => [v, `≥ ${l} context`]), value("min_context"), "any context")),
      el("input", { type: "number", name: "max_input_price", min: 0, step: "any", placeholder: "max input $/1M", value: value("max_input_price"), "aria-label": "Maximum input price" }),
      el("select", { name: "billing", "aria-label": "Billing" }, options(BILLINGS, value("billing"), "any billing")),
      el("select", { name: "sort", "aria-label": "Sort" }, SORTS.map(([v, l]) => el("option", { value: v, selected: v === (value("sort") || "key") }, l))));
    const count = el("p", { className: "count", id: "model-count" });
    const holder = el("div", { className: "table-holder" });
    view.append(el("h1", {}, "Models"), form, count, holder);

    let timer = null;
    let showAll = false;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        showAll = false;
        const next = new URLSearchParams();
        for (const name of FILTERS) {
          const field = form.elements[name];
          if (field && field.value && !(name === "sort" && field.value === "key")) next.set(name, field.value);
        }
        setQuery(next);
        state.route = parseRoute();
        run(load, state.token);
      }, 250);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);

    // The provider list and the creators (for the datalist), once.
    getJSON("/providers").then((body) => {
      if (!alive()) return;
      const current = value("provider");
      providerSelect.append(...body.items.map((p) => el("option", { value: p.provider_id, selected: p.provider_id === current },
        p.name && p.name !== p.provider_id ? `${p.name} (${p.provider_id})` : p.provider_id)));
    }).catch(() => {});

    const header = (label, sortKey) => {
      if (!sortKey) return el("th", {}, label);
      const current = form.elements.sort.value;
      const next = current === sortKey ? `-${sortKey}` : sortKey;
      const mark = current === sortKey ? " ▲" : current === `-${sortKey}` ? " ▼" : "";
      return el("th", {}, el("a", { href: "#", className: "sort", onclick: (e) => {
        e.preventDefault();
        const select = form.elements.sort;
        if (![...select.options].some((o) => o.value === next)) select.append(el("option", { value: next }, next));
        select.value = next;
        changed();
      } }, label + mark));
    };

    async function load() {
      const filters = {};
      for (const name of FILTERS) if (name !== "billing") filters[name] = form.elements[name].value;
      if (filters.sort === "key") filters.sort = "";
      const billing = form.elements.billing.value;
      const [models, billed] = await Promise.all([
        getAll("/models", filters),
        billing ? getAll("/pricing", { billing, provider: filters.provider }) : Promise.resolve(null),
      ]);
      if (!alive()) return;
      const keep = billed ? new Set(billed.map((p) => p.model_key)) : null;
      const shown = keep ? models.filter((m) => keep.has(m.model_key)) : models;
      if (!creators.children.length) {
        const names = [...new Set(models.map((m) => m.creator).filter(Boolean))].sort();
        creators.append(...names.map((c) => el("option", { value: c })));
      }
      count.textContent = `${shown.length} model${shown.length === 1 ? "" : "s"}` + (billing ? ` with ${billing} prices` : "");
      const limit = showAll ? shown.length : ROWS_SHOWN;
      const rows = shown.slice(0, limit).map((m) => {
        const ref = m.reference_price || {};
        const refCell = (part) => {
          const r = ref[part];
          return el("td", { className: "num", title: r ? `${r.basis}, ${r.sources} source(s), from ${r.source}` : null }, r ? price(r.usd_per_mtok) : DASH);
        };
        return el("tr", { "data-model": m.model_key, className: m.listed === false ? "unlisted" : null },
          el("td", {}, modelLink(m.model_key, m.name || m.model_key), el("div", { className: "key" }, m.model_key)),
          el("td", {}, m.creator || DASH),
          el("td", { className: "num" }, tokens(m.context_window)),
          el("td", {}, [...new Set([...(m.input_modalities || []), ...(m.output_modalities || [])])].join(", ") || DASH),
          el("td", { className: "num" }, m.providers_count ?? DASH),
          refCell("input"), refCell("output"),
          el("td", { className: "num" }, price(m.min_input_usd_per_mtok)),
          el("td", { className: "num" }, m.score === null || m.score === undefined ? DASH : numberFormat.format(m.score)),
          el("td", {}, badge(m.badge), m.status && m.status !== "active" ? el("span", { className: "badge badge-status" }, m.status) : null));
      });
      holder.replaceChildren(table(
        [header("Model", null), header("Creator"), header("Context", "context"), header("Modalities"), header("Providers"),
          header("Ref. input", null), header("Ref. output"), header("Lowest input", "price"), header("Score", "score"), header("Badge")],
        rows, { id: "models-table" }),
        shown.length > limit ? el("button", { type: "button", className: "more", onclick: () => { showAll = true; run(load, state.token); } },
          `Show all ${shown.length} (${shown.length - limit} more)`) : null);
    }
    return load;
  }

  // -- one model ----------------------------------------------------------------------------

  const BENCH_LIMIT = 100;

  VIEWS.model = (route, alive) => {
    const spelling = route.rest;
    async function load() {
      const [model, compare, history] = await Promise.all([
        getJSON(`/models/${encodeURIComponent(spelling)}`),
        getJSON("/pricing/compare", { model: spelling }),
        getJSON("/pricing/history", { model: spelling }),
      ]);
      if (!alive()) return;
      destroyCharts();
      const facts = [
        ["Model key", model.model_key], ["Creator", model.creator], ["Family", model.family],
        ["Context window", tokens(model.context_window)], ["Max output", tokens(model.max_output)],
        ["Input", (model.input_modalities || []).join(", ")], ["Output", (model.output_modalities || []).join(", ")],
        ["Released", model.release_date], ["Open weights", model.open_weights === null ? null : model.open_weights ? "yes" : "no"],
        ["Status", model.status], ["Deprecation", model.deprecation_date],
        ["Source", el("span", {}, model.source_url ? el("a", { href: model.source_url, rel: "noreferrer" }, model.source) : model.source, " ", badge(model.badge))],
        ["Fetched", when(model.fetched_at)],
      ];
      const resolved = model.resolved_from && model.resolved_from !== model.model_key
        ? el("p", { className: "note" }, `“${model.resolved_from}” resolves to ${model.model_key} (${model.resolution}).`) : null;

      const reference = Object.entries(model.reference_price || {}).map(([type, r]) => el("tr", {},
        el("td", {}, type), el("td", { className: "num" }, price(r.usd_per_mtok)), el("td", {}, r.basis),
        el("td", { className: "num" }, r.sources), el("td", {}, `${price(r.min_usd_per_mtok)} – ${price(r.max_usd_per_mtok)}`),
        el("td", {}, r.provider_id || DASH), el("td", {}, badge(r.badge))));

      const cheapest = compare.cheapest_metered;
      const offers = compare.items.map((o) => el("tr", { "data-provider": o.provider_id,
        className: cheapest && cheapest.provider_id === o.provider_id && cheapest.provider_model_id === o.provider_model_id ? "best" : null },
        el("td", {}, o.provider_id), el("td", { className: "key" }, o.provider_model_id), el("td", {}, o.billing || DASH),
        el("td", { className: "num" }, price(o.input_usd_per_mtok)), el("td", { className: "num" }, price(o.output_usd_per_mtok)),
        el("td", { className: "num" }, price(o.cached_input_usd_per_mtok)),
        el("td", { className: "num" }, o.input_vs_cheapest === null || o.input_vs_cheapest === undefined ? DASH : `×${numberFormat.format(o.input_vs_cheapest)}`),
        el("td", {}, badge(o.badge), o.has_long_context_tiers ? el("span", { className: "badge", title: "higher prices above a context length" }, "tiers") : null),
        el("td", {}, ago(o.fetched_at))));

      const chartHolder = el("div", { className: "chart", id: "history-chart" });
      const benchmarks = (model.benchmarks || []).slice(0, BENCH_LIMIT).map((b) => el("tr", {},
        el("td", {}, b.benchmark), el("td", {}, b.variant || ""), el("td", { className: "num" }, numberFormat.format(b.score)),
        el("td", {}, b.unit || ""), el("td", {}, b.source, " ", badge(b.badge)), el("td", {}, b.as_of || DASH)));

      view.replaceChildren(
        el("p", { className: "crumbs" }, el("a", { href: "#/models" }, "Models"), " / ", model.model_key),
        el("h1", {}, model.name || model.model_key, " ", badge(model.badge)),
        resolved,
        el("dl", { className: "facts" }, facts.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
        section("Reference price", reference.length
          ? table(["Price", "USD / 1M", "Basis", "Sources", "Range", "Provider", "Badge"], reference, { id: "reference-table" })
          : el("p", { className: "note" }, "No reference price.")),
        section("Prices across providers", offers.length
          ? table(["Provider", "Provider's id", "Billing", "Input", "Output", "Cached input", "vs cheapest", "Badge", "Fetched"], offers, { id: "compare-table" })
          : el("p", { className: "note" }, "No provider lists a price for this model.")),
        section("Price history", el("p", { className: "note" }, "Input and output prices per provider (USD per 1M tokens), as each was valid over time."), chartHolder),
        section("Benchmarks", benchmarks.length
          ? table(["Benchmark", "Variant", "Score", "Unit", "Source", "As of"], benchmarks, { id: "benchmarks-table" })
          : el("p", { className: "note" }, "No benchmark scores.")));
      drawHistory(chartHolder, history.items);
    }
    return load;
  };

  /** A stepped line per provider and price type (input, output) over the rows' validity. */
  function drawHistory(holder, rows) {
    const kept = rows.filter((r) => (r.above_tokens || 0) === 0 && (r.price_type === "input" || r.price_type === "output") && r.usd_per_mtok !== null);
    if (!kept.length) {
      holder.append(el("p", { className: "note" }, "No price history."));
      return;
    }
    const seconds = (iso) => new Date(iso).getTime() / 1000;
    const now = Date.now() / 1000;
    const times = new Set([now]);
    const groups = new Map();
    for (const row of kept) {
      times.add(seconds(row.valid_from));
      if (row.valid_to) times.add(seconds(row.valid_to));
      const label = `${row.provider_id} ${row.price_type}`;
      if (!groups.has(label)) groups.set(label, []);
      groups.get(label).push(row);
    }
    const xs = [...times].sort((a, b) => a - b);
    const data = [xs];
    const series = [{}];
    let i = 0;
    for (const [label, group] of [...groups.entries()].sort()) {
      data.push(xs.map((t) => {
        const row = group.find((r) => seconds(r.valid_from) <= t && (!r.valid_to || t < seconds(r.valid_to)));
        return row ? row.usd_per_mtok : null;
      }));
      series.push({ label, stroke: COLORS[i % COLORS.length], width: 2, dash: label.endsWith("output") ? [6, 4] : undefined,
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: true, size: 5 }, value: (u, v) => price(v) });
      i += 1;
    }
    chart(holder, { series, scales: { x: { time: true } },
      axes: [{}, { label: "USD / 1M tokens", size: 60, values: (u, vals) => vals.map((v) => "$" + numberFormat.format(v)) }] }, data);
  }

  const chartWidth = (holder) => Math.max(300, (holder.clientWidth || view.clientWidth || 800) - 20);

  function chart(holder, options, data) {
    const plot = new uPlot({ width: chartWidth(holder), height: 240, ...options }, data, holder);
    plot.holder = holder;
    state.charts.push(plot);
    return plot;
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const plot of state.charts) plot.setSize({ width: chartWidth(plot.holder), height: plot.height });
    }, 150);
  });

  // -- changes ------------------------------------------------------------------------------

  const KINDS = ["model_added", "model_removed", "price_changed", "context_changed", "status_changed", "source_disagreement"];

  VIEWS.changes = (route, alive) => {
    const query = route.query;
    const form = el("form", { className: "filters", onsubmit: (e) => e.preventDefault() },
      el("select", { name: "kind", "aria-label": "Kind" }, el("option", { value: "" }, "every kind"),
        KINDS.map((k) => el("option", { value: k, selected: k === query.get("kind") }, k.replace("_", " ")))),
      el("input", { type: "search", name: "model", placeholder: "model (any spelling)", value: query.get("model") || "", "aria-label": "Model" }));
    const holder = el("div", { className: "table-holder" });
    const count = el("p", { className: "count" });
    view.append(el("h1", {}, "Change feed"), form, count, holder);
    let timer = null;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const next = new URLSearchParams();
        for (const name of ["kind", "model"]) if (form.elements[name].value) next.set(name, form.elements[name].value);
        setQuery(next);
        run(load, state.token);
      }, 300);
    };
    form.addEventListener("input", changed);

    async function load() {
      const body = await getJSON("/changes", { kind: form.elements.kind.value, model: form.elements.model.value, limit: 200 });
      if (!alive()) return;
      count.textContent = `${body.total} change${body.total === 1 ? "" : "s"}${body.total > body.items.length ? `, newest ${body.items.length} shown` : ""}`;
      const rows = body.items.map((c) => el("tr", { className: `kind-${c.kind}` },
        el("td", {}, when(c.detected_at)), el("td", {}, el("span", { className: `badge kind` }, c.kind.replace("_", " "))),
        el("td", {}, modelLink(c.model_key)), el("td", {}, c.provider_id || DASH), el("td", {}, c.field || DASH),
        el("td", { className: "num" }, c.old ?? DASH), el("td", { className: "num" }, c.new ?? DASH),
        el("td", { className: "num" + (c.pct_change < 0 ? " down" : c.pct_change > 0 ? " up" : "") }, c.pct_change === null || c.pct_change === undefined ? DASH : `${c.pct_change > 0 ? "+" : ""}${numberFormat.format(c.pct_change)} %`),
        el("td", {}, c.source || DASH)));
      holder.replaceChildren(rows.length
        ? table(["Detected", "Kind", "Model", "Provider", "Field", "Old", "New", "Change", "Source"], rows, { id: "changes-table" })
        : el("p", { className: "note" }, "No changes recorded yet: the first publish is the baseline."));
    }
    return load;
  };

  // -- providers ----------------------------------------------------------------------------

  const WINDOWS = ["24h", "7d", "30d"];

  VIEWS.providers = (route, alive) => {
    const windowName = WINDOWS.includes(route.query.get("window")) ? route.query.get("window") : "24h";
    const tabs = el("div", { className: "tabs", role: "tablist" }, WINDOWS.map((w) => el("a", {
      href: `#/providers?window=${w}`, className: w === windowName ? "active" : null, role: "tab" }, w)));
    const holder = el("div", { className: "providers" });
    view.append(el("h1", {}, "Providers"), el("p", { className: "note" }, "Uptime of the monitor's probes and the providers' status pages."), tabs, holder);

    async function load() {
      const status = await getJSON("/status");
      const providers = status.providers || [];
      const details = await Promise.all(providers.map((p) =>
        getJSON(`/providers/${encodeURIComponent(p.provider_id)}/availability`, { window: windowName }).catch((error) => ({ error }))));
      if (!alive()) return;
      destroyCharts();
      holder.replaceChildren();
      if (!providers.length) holder.append(el("p", { className: "note" }, "No provider monitored yet (run `aisi monitor`)."));
      providers.forEach((p, index) => {
        const detail = details[index];
        const chartHolder = el("div", { className: "chart", "data-chart": `uptime-${p.provider_id}` });
        const uptime = WINDOWS.map((w) => el("span", { className: "uptime" }, el("b", {}, w), " ", pct(p.uptime && p.uptime[w], 2)));
        const card = el("article", { className: `provider state-${p.state}`, "data-provider": p.provider_id },
          el("h2", {}, p.name || p.provider_id, " ", el("span", { className: `pill state state-${p.state}` }, p.state),
            p.configured ? null : el("span", { className: "badge" }, "not configured")),
          el("p", { className: "reason" }, p.reason || "", p.since ? ` (since ${when(p.since)})` : ""),
          el("p", { className: "figures" }, uptime, el("span", {}, `latency 24 h: p50 ${ms(p.latency_24h && p.latency_24h.p50_ms)}, p95 ${ms(p.latency_24h && p.latency_24h.p95_ms)}`),
            el("span", {}, `last check ${ago(p.last_checked_at)}`)),
          chartHolder);
        holder.append(card);
        if (detail.error) {
          chartHolder.append(errorBox(detail.error));
          return;
        }
        if (!detail.uptime || !detail.uptime.checks) {
          chartHolder.append(el("p", { className: "note" }, `No probes in the last ${windowName}.`));
        } else {
          drawUptime(chartHolder, detail);
        }
        const incidents = (detail.incidents || []).map((i) => el("tr", {},
          el("td", {}, i.shortlink ? el("a", { href: i.shortlink, rel: "noreferrer" }, i.name) : i.name),
          el("td", {}, i.impact || DASH), el("td", {}, i.status || DASH), el("td", {}, when(i.started_at)), el("td", {}, when(i.resolved_at)),
          el("td", {}, i.seen_by_probes === null || i.seen_by_probes === undefined ? DASH : i.seen_by_probes ? `yes (${i.failed_checks}/${i.checks} failed)` : "no")));
        const outages = (detail.outages || []).map((o) => el("tr", {},
          el("td", {}, when(o.started_at)), el("td", {}, o.ended_at ? when(o.ended_at) : "ongoing"),
          el("td", {}, duration(((o.ended_at ? new Date(o.ended_at) : new Date()) - new Date(o.started_at)) / 1000)),
          el("td", { className: "num" }, o.failed_checks), el("td", {}, o.error_kind || DASH),
          el("td", {}, o.silent_degradation ? "not on the status page" : `${o.incidents} incident(s)`)));
        if (incidents.length) card.append(el("h3", {}, `Incidents (${windowName})`), table(["Incident", "Impact", "Status", "Started", "Resolved", "Seen by probes"], incidents, { className: "incidents" }));
        if (outages.length) card.append(el("h3", {}, `Outages (${windowName})`), table(["Started", "Ended", "Lasted", "Failed probes", "Error", "Status page"], outages, { className: "outages" }));
      });
    }
    return load;
  };

  /** Uptime % per bucket (bars) and the median latency (line, right axis). */
  function drawUptime(holder, detail) {
    const series = detail.series || [];
    const xs = series.map((b) => new Date(b.start).getTime() / 1000);
    const data = [xs, series.map((b) => b.uptime_pct), series.map((b) => b.p50_ms)];
    chart(holder, {
      height: 180,
      series: [{}, { label: "uptime %", stroke: "#059669", fill: "rgba(5,150,105,0.25)", paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false }, scale: "pct",
        value: (u, v) => pct(v, 1) },
      { label: "p50 latency", stroke: "#2563eb", width: 1.5, scale: "ms", spanGaps: false, points: { show: true, size: 3 }, value: (u, v) => ms(v) }],
      scales: { x: { time: true }, pct: { range: [0, 100] }, ms: { range: (u, min, max) => [0, Math.max(10, max || 0) * 1.1] } },
      axes: [{}, { scale: "pct", label: "uptime %", size: 50 }, { scale: "ms", side: 1, label: "ms", size: 60, grid: { show: false } }],
    }, data);
  }

  // -- sources ------------------------------------------------------------------------------

  VIEWS.sources = (route, alive) => {
    const holder = el("div");
    view.append(el("h1", {}, "Sources"), holder);
    async function load() {
      const status = await getJSON("/status");
      if (!alive()) return;
      const health = status.health || {};
      const sources = [...(status.sources || [])].sort((a, b) => (a.healthy === b.healthy ? a.source.localeCompare(b.source) : a.healthy ? 1 : -1));
      const summary = el("p", { className: `summary ${health.healthy ? "ok" : "bad"}`, id: "sources-summary" },
        health.healthy ? "All sources healthy. " : `Unhealthy: ${(health.unhealthy_sources || []).join(", ") || DASH}. `,
        ["sources", "failed", "cached", "stale", "held_back", "skipped"].map((k) => `${k.replace("_", " ")} ${health[k] ?? DASH}`).join(" · "));
      const snapshot = status.snapshot
        ? el("p", { className: "note" }, `Snapshot ${status.snapshot.snapshot_id}, published ${when(status.snapshot.published_at)}: `,
          `${status.snapshot.models} models, ${status.snapshot.offerings} offerings, ${status.snapshot.prices} prices.`)
        : el("p", { className: "note" }, status.note || "No snapshot published yet.");
      const rows = sources.map((s) => el("tr", { "data-source": s.source, className: s.healthy ? "ok" : "bad" },
        el("td", {}, s.source), el("td", {}, el("span", { className: `pill run-${s.status}` }, s.status)), el("td", {}, badge(s.badge)),
        el("td", { className: "health" }, s.health || DASH), el("td", { className: "when" }, ago(s.last_run_at)),
        el("td", { className: "when" }, s.payload_age_seconds === null || s.payload_age_seconds === undefined ? DASH : duration(s.payload_age_seconds)),
        el("td", { className: "key" }, s.cadence || DASH), el("td", { className: "num" }, s.rows ?? DASH), el("td", { className: "num" }, s.entries ?? DASH)));
      const quality = ((status.quality && status.quality.source_disagreements) || []).map((q) => el("tr", {},
        el("td", {}, q.source_a), el("td", {}, q.source_b), el("td", { className: "num" }, q.offerings_compared),
        el("td", { className: "num" }, q.disagreements), el("td", { className: "num" }, pct(q.share === null ? null : q.share * 100, 1))));
      holder.replaceChildren(summary, snapshot,
        table(["Source", "Last run", "Badge", "Health", "Ran", "Payload age", "Cadence", "Rows", "Entries"], rows, { id: "sources-table" }),
        quality.length ? section("Agreement between sources (prices)", table(["Source", "Other source", "Offerings compared", "Disagreements", "Share"], quality)) : null);
    }
    return load;
  };

  // -- header and live updates --------------------------------------------------------------

  async function updateHeader() {
    try {
      const status = await getJSON("/status");
      showSnapshot(status.snapshot);
      const health = document.getElementById("health");
      const h = status.health || {};
      health.textContent = !status.snapshot ? "no data" : h.healthy ? "sources ok" : `${(h.unhealthy_sources || []).length} source(s) unhealthy`;
      health.className = `pill ${h.healthy ? "ok" : "bad"}`;
      health.onclick = () => { location.hash = "#/sources"; };
    } catch (_) { /* the view shows the error */ }
  }

  function showSnapshot(snapshot) {
    const node = document.getElementById("snapshot");
    node.textContent = snapshot ? `snapshot ${snapshot.snapshot_id}` : "no snapshot";
    node.title = snapshot ? `published ${when(snapshot.published_at)}` : "";
    document.body.dataset.snapshot = snapshot ? snapshot.snapshot_id : "";
  }

  function notice(text) {
    const box = document.getElementById("notice");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  /** Follows /api/v1/events. The browser reconnects by itself after a dropped connection (sending
   * Last-Event-ID); a refused one (503: too many streams) closes the source, so a new one is
   * opened a little later, resuming after the last event seen (last_event_id). */
  function live() {
    if (!window.EventSource) return;
    const pill = document.getElementById("live");
    const set = (text, on) => { pill.textContent = text; pill.className = `pill ${on ? "ok" : "off"}`; };
    const url = live.lastId ? `${API}/events?last_event_id=${encodeURIComponent(live.lastId)}` : `${API}/events`;
    const source = new EventSource(url);
    const seen = (event) => { if (event.lastEventId) live.lastId = event.lastEventId; };
    source.addEventListener("open", () => set("live", true));
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) {
        set("reconnecting", false);
        return;
      }
      set("offline", false);
      setTimeout(() => { reloadSoon(); updateHeader(); live(); }, 10000);
    });
    source.addEventListener("ready", (event) => { seen(event); set("live", true); });
    source.addEventListener("snapshot", (event) => {
      seen(event);
      const data = JSON.parse(event.data);
      state.events += 1;
      showSnapshot(data);
      notice(`New snapshot ${data.snapshot_id}: ${data.models} models, ${data.changes} change(s).`);
      updateHeader();
      reloadSoon();
    });
    source.addEventListener("change", (event) => {
      seen(event);
      state.events += 1;
      if (["changes", "model"].includes(state.route && state.route.name)) reloadSoon();
    });
    source.addEventListener("availability", (event) => {
      seen(event);
      const data = JSON.parse(event.data);
      state.events += 1;
      notice(data.message || `${data.provider_id} is ${data.state}`);
      if (["providers", "sources"].includes(state.route && state.route.name)) reloadSoon();
    });
  }

  window.addEventListener("hashchange", render);
  window.addEventListener("DOMContentLoaded", () => {
    updateHeader();
    render();
    live();
  });
})();
