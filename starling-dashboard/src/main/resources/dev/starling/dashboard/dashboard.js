(function () {
  "use strict";
  var MAX_ROUNDS = 10000;
  var state = null;
  var charts = {};
  var CHARTS = [
    { id: "chart-accuracy", series: [["test_accuracy", "test accuracy", "#1f77b4"], ["test_auc", "test AUC", "#2ca02c"],
      ["test_r2", "test R\u00b2", "#9467bd"]] },
    { id: "chart-loss", series: [["train_loss", "train loss", "#d62728"], ["test_loss", "test loss", "#1f77b4"]] },
    { id: "chart-bytes", series: [["bytes_up", "up", "#ff7f0e"], ["bytes_down", "down", "#17becf"]], bytes: true },
    { id: "chart-clients", series: [["clients_selected", "selected", "#7f7f7f"], ["clients_succeeded", "succeeded", "#2ca02c"],
      ["clients_failed", "failed", "#d62728"], ["clients_flagged", "flagged", "#9467bd"]] },
    { id: "chart-epsilon", series: [["epsilon", "epsilon spent", "#8c564b"], ["@target", "target", "#d62728"]] }
  ];

  function $(id) { return document.getElementById(id); }
  function text(id, v) { $(id).textContent = v; }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return "-";
    return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en") : Number(v.toPrecision(digits || 4)).toString();
  }
  function fmtBytes(v) {
    if (v == null || !isFinite(v)) return "-";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toPrecision(3)) + " " + u[i];
  }

  function column(key) {
    return state.rounds.map(function (r) {
      if (key === "@target") return state.target_epsilon;
      var v = r[key];
      return v == null ? null : v;
    });
  }

  function chartData(c) {
    var d = [state.rounds.map(function (r) { return r.round; })];
    c.series.forEach(function (s) { d.push(column(s[0])); });
    return d;
  }

  function makeChart(c) {
    var el = $(c.id);
    var width = Math.max(300, el.clientWidth - 20);
    var opts = {
      width: width, height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "round", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, c.bytes ? { values: function (u, vs) { return vs.map(fmtBytes); }, size: 70 } : {}],
      series: [{ label: "round" }].concat(c.series.map(function (s) {
        return { label: s[1], stroke: s[2], width: 2, spanGaps: true, dash: s[0] === "@target" ? [6, 4] : undefined,
          points: { size: 4 } };
      }))
    };
    var data = chartData(c);
    charts[c.id] = new uPlot(opts, data, el);
    el.setAttribute("data-points", String(data[0].length));
  }

  function updateChart(c) {
    var data = chartData(c);
    charts[c.id].setData(data);
    // the chart's own data: what the browser test waits on
    $(c.id).setAttribute("data-points", String(charts[c.id].data[0].length));
  }

  function renderCharts() {
    CHARTS.forEach(function (c) { if (charts[c.id]) updateChart(c); else makeChart(c); });
  }

  function renderCurrent() {
    var c = state.current;
    text("current-round", c.round > 0 ? String(c.round) : "-");
    text("round-budget", state.round_budget > 0 ? " of " + state.round_budget : "");
    var p = $("round-progress");
    p.max = Math.max(1, c.selected);
    p.value = Math.min(c.done, Math.max(1, c.selected));
    text("round-done", String(c.done));
    text("round-selected", String(c.selected));
    text("round-failed", String(c.failed));
    text("connected", state.connected == null ? "-" : String(state.connected));
    text("status", state.status);
  }

  function renderSummary() {
    var rs = state.rounds, last = rs.length ? rs[rs.length - 1] : null;
    text("rounds-done", String(rs.length));
    text("rounds-failed", String(rs.filter(function (r) { return !r.committed; }).length));
    text("last-selected", last ? String(last.clients_selected) : "-");
    text("last-succeeded", last ? String(last.clients_succeeded) : "-");
    text("accuracy", last ? num(last.test_accuracy) : "-");
    text("test-loss", last ? num(last.test_loss) : "-");
    var up = 0, down = 0;
    rs.forEach(function (r) { up += r.bytes_up; down += r.bytes_down; });
    text("bytes-total", rs.length ? fmtBytes(up + down) : "-");
    text("bytes-up", fmtBytes(up));
    text("bytes-down", fmtBytes(down));
    var eps = last && last.epsilon != null ? last.epsilon : null;
    text("epsilon", eps == null ? "-" : "\u03b5 " + num(eps, 3));
    var note = state.target_epsilon != null ? "of a target of " + num(state.target_epsilon, 3)
        + (last && last.delta != null ? ", \u03b4 = " + last.delta : "")
        : (eps != null ? "no target set" : "no differential privacy");
    text("epsilon-note", note);
    $("epsilon").classList.toggle("over", eps != null && state.target_epsilon != null && eps > state.target_epsilon);
    $("ledger-card").hidden = !state.ledger_on;
    text("ledger-head", state.ledger_head || "no block yet");
  }

  function row(tbody, cells, lastWide) {
    var tr = document.createElement("tr");
    cells.forEach(function (v, i) {
      var td = document.createElement("td");
      td.textContent = v;
      if (lastWide && i === cells.length - 1) td.className = "reason";
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }

  function renderTables() {
    var fb = $("failures").tBodies[0];
    fb.textContent = "";
    state.failures.forEach(function (f) { row(fb, [String(f.round), f.client, f.code, f.reason], true); });
    $("failures-empty").hidden = state.failures.length > 0;
    var counts = Object.keys(state.failure_counts).map(function (k) { return k + " " + state.failure_counts[k]; });
    text("failure-counts", counts.length ? "(" + counts.join(", ") + ")" : "");
    var gb = $("flagged").tBodies[0];
    gb.textContent = "";
    state.flagged.forEach(function (f) { row(gb, [f.client, String(f.count), f.action, f.rule, String(f.round)], false); });
    $("flagged-empty").hidden = state.flagged.length > 0;
    text("flagged-count", state.flagged_clients ? "(" + state.flagged_clients + " clients"
        + (state.flagged_clients > state.flagged.length ? ", top " + state.flagged.length + " shown" : "") + ")" : "");
  }

  function renderAll() {
    renderCurrent();
    renderSummary();
    renderTables();
    renderCharts();
  }

  function copyTables(d) {
    state.failures = d.failures;
    state.failure_counts = d.failure_counts;
    state.flagged = d.flagged;
    state.flagged_clients = d.flagged_clients;
  }

  var token = new URLSearchParams(window.location.search).get("token");
  var source = new EventSource("events" + (token ? "?token=" + encodeURIComponent(token) : ""));
  source.onopen = function () { text("link", "live"); };
  source.onerror = function () { text("link", "disconnected, retrying"); };
  source.addEventListener("snapshot", function (e) {
    state = JSON.parse(e.data);
    document.title = state.title + " - Starling live";
    renderAll();
  });
  source.addEventListener("round-start", function (e) {
    if (!state) return;
    var d = JSON.parse(e.data);
    state.current = d.current; state.connected = d.connected; state.status = d.status;
    renderCurrent();
  });
  source.addEventListener("progress", function (e) {
    if (!state) return;
    state.current = JSON.parse(e.data).current;
    renderCurrent();
  });
  source.addEventListener("round", function (e) {
    if (!state) return;
    var d = JSON.parse(e.data);
    state.rounds.push(d.row);
    if (state.rounds.length > MAX_ROUNDS) state.rounds.shift();
    state.current = d.current; state.connected = d.connected; state.status = d.status;
    state.ledger_head = d.ledger_head;
    copyTables(d);
    renderAll();
  });
  source.addEventListener("ledger", function (e) {
    if (!state) return;
    state.ledger_head = JSON.parse(e.data).ledger_head;
    renderSummary();
  });
  source.addEventListener("finished", function (e) {
    if (!state) return;
    var d = JSON.parse(e.data);
    state.status = d.status; state.connected = d.connected;
    renderCurrent();
    source.close();
    text("link", "run over; the page keeps its last state");
  });
})();
