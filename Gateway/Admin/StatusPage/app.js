// LbProxy status page: polls ui/state and redraws. Plain browser JavaScript, no build step, nothing from a CDN.
"use strict";

const POLL_MS = 500;
const $ = (id) => document.getElementById(id);

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function num(value, digits = 1, suffix = "") {
  return value === null || value === undefined ? "–" : `${Number(value).toFixed(digits)}${suffix}`;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "";
}

// An SVG sparkline of the values (null = no data: a gap), scaled to the window's largest value.
function sparkline(values, kind, unit) {
  const width = 150, height = 26, pad = 2;
  const finite = values.filter((v) => v !== null);
  const max = Math.max(1e-9, ...finite);
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const segments = [];
  let current = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) segments.push(current);
      current = [];
      return;
    }
    const x = pad + i * step, y = height - pad - (v / max) * (height - 2 * pad);
    current.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  if (current.length) segments.push(current);
  const last = finite.length ? finite[finite.length - 1] : null;
  const title = finite.length ? `last ${num(last, 1, unit)}, max ${num(max, 1, unit)}` : "no data yet";
  const lines = segments.map((s) => `<polyline points="${s.join(" ")}"/>`).join("");
  return `<svg class="spark ${kind}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(kind)} ${esc(title)}"><title>${esc(title)}</title>${lines}</svg>`;
}

function counts(map) {
  const entries = Object.entries(map || {});
  return entries.length ? entries.map(([k, v]) => `${esc(k)} ${v}`).join(", ") : "none";
}

function destinationRow(cluster, d) {
  const slow = d.slowStart.ramping ? percent(d.slowStart.share) : "–";
  return `<tr data-cluster="${esc(cluster.id)}" data-destination="${esc(d.id)}" data-state="${esc(d.state)}">
    <td><span class="badge ${esc(d.state)}">${esc(d.state.toUpperCase())}</span>${d.reason ? `<span class="reason" title="${esc(d.reason)}">${esc(d.reason)}</span>` : ""}</td>
    <td class="dest"><b>${esc(d.id)}</b><br><span class="muted">${esc(d.address)}</span></td>
    <td>${esc(d.health.active)} / ${esc(d.health.passive)}${d.health.draining ? " · draining" : ""}</td>
    <td class="circuit-${esc(d.circuit.state)}">${esc(d.circuit.state)}${d.circuit.opened ? ` <span class="muted">(${d.circuit.opened}×)</span>` : ""}</td>
    <td class="num">${d.inFlight}</td>
    <td class="num">${num(d.latencyEstimateMs, 1, " ms")}</td>
    <td class="num">${num(d.p95Ms, 1, " ms")}</td>
    <td class="num">${num(d.rps, 1)}</td>
    <td class="num">${percent(d.errorRate)}</td>
    <td class="num">${percent(d.share)}</td>
    <td class="num">${slow}</td>
    <td>${sparkline(d.history.rps, "rps", " req/s")}</td>
    <td>${sparkline(d.history.p95Ms, "p95", " ms")}</td>
  </tr>`;
}

function renderClusters(clusters) {
  $("clusters").innerHTML = clusters.map((c) => `
    <h2>Cluster ${esc(c.id)} <small>policy ${esc(c.policy)} · ${num(c.rps, 1)} req/s · retries: ${counts(c.retries)} · rejections: ${counts(c.rejections)}</small></h2>
    <table class="destinations" data-cluster="${esc(c.id)}">
      <thead><tr><th>state</th><th>destination</th><th>health active / passive</th><th>circuit</th><th class="num">in flight</th>
        <th class="num">latency est.</th><th class="num">p95</th><th class="num">req/s</th><th class="num">errors</th><th class="num">share</th>
        <th class="num">slow start</th><th>req/s, 3 min</th><th>p95, 3 min</th></tr></thead>
      <tbody>${c.destinations.map((d) => destinationRow(c, d)).join("")}</tbody>
    </table>`).join("") || `<p class="muted">No clusters.</p>`;
}

function renderFleet(fleet) {
  const section = $("fleet");
  section.hidden = !fleet;
  if (!fleet) return;
  const workers = fleet.workers.map((w) => `<tr data-worker="${esc(w.id)}" data-state="${esc(w.state)}">
      <td><b>${esc(w.id)}</b></td><td class="num">${w.pid}</td><td class="num">${w.port}</td><td>${esc(w.device)}</td><td>${esc(w.state)}</td></tr>`).join("");
  const decisions = fleet.decisions.map((d) => `<li>${esc(time(d.at))} ${esc(d.text)}</li>`).join("") || `<li class="muted">none yet</li>`;
  section.innerHTML = `
    <h2>Local fleet <small>cluster ${esc(fleet.cluster)} · wanted ${fleet.desired} · ready ${fleet.ready} · autoscale ${fleet.autoscale ? "on" : "off"}</small></h2>
    <div class="cards">
      <table class="workers" style="width:auto"><thead><tr><th>worker</th><th class="num">pid</th><th class="num">port</th><th>device</th><th>state</th></tr></thead>
        <tbody>${workers}</tbody></table>
      <div><b>Autoscaler decisions</b> <span class="muted">(newest first)</span><ul class="decisions">${decisions}</ul></div>
    </div>`;
}

function renderEvents(events) {
  $("events").innerHTML = events.map((e) => `<tr data-kind="${esc(e.kind)}">
      <td>${esc(time(e.at))}</td><td class="kind"><span class="kind-${esc(e.kind)}">${esc(e.kind)}</span></td>
      <td>${esc(e.subject)}</td><td class="message">${esc(e.message)}</td></tr>`).join("")
    || `<tr><td colspan="4" class="muted">No events yet.</td></tr>`;
}

function render(state) {
  const c = state.config;
  $("config").textContent = `config ${c.source ?? "?"} · generation ${c.generation} · applied ${time(c.appliedAt)} · ${time(state.now)}`;
  const banner = $("reload-error");
  banner.hidden = !c.lastReloadError;
  if (c.lastReloadError) {
    banner.textContent = `Last reload rejected at ${time(c.lastReloadError.at)}; the running config stays:\n${c.lastReloadError.errors.join("\n")}`;
  }
  renderClusters(state.clusters);
  renderFleet(state.fleet);
  renderEvents(state.events);
}

async function poll() {
  const connection = $("connection");
  try {
    const response = await fetch("ui/state", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    connection.dataset.connected = "true";
    connection.textContent = "live";
  } catch (error) {
    connection.dataset.connected = "false";
    connection.textContent = `disconnected (${error.message})`;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
