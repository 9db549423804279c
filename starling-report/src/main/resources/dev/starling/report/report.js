(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("starling-data").textContent);
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
  var DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3]];
  var multi = data.runs.length > 1;

  function fmtBytes(v) {
    if (v == null) return "";
    var a = Math.abs(v), u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (a >= 1024 && i < u.length - 1) { a /= 1024; v /= 1024; i++; }
    return (Math.abs(v) >= 100 || i === 0 ? v.toFixed(0) : v.toPrecision(3)) + " " + u[i];
  }
  function fmtNum(v) {
    if (v == null || !isFinite(v)) return "";
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
    if (Number.isInteger(v)) return String(v);
    return v.toPrecision(4).replace(/\.?0+$/, "");
  }
  function fmtFor(unit) { return unit === "bytes" ? fmtBytes : fmtNum; }

  function union(runs) {
    var set = {};
    runs.forEach(function (r) { r.rounds.forEach(function (x) { set[x] = true; }); });
    return Object.keys(set).map(Number).sort(function (a, b) { return a - b; });
  }

  function hasValues(arr) {
    if (!arr) return false;
    for (var i = 0; i < arr.length; i++) if (arr[i] != null) return true;
    return false;
  }

  function build(chart, container) {
    var xs = union(data.runs);
    var index = {};
    xs.forEach(function (x, i) { index[x] = i; });
    var cols = [xs], series = [{ label: "round" }];
    var fmt = fmtFor(chart.unit);
    data.runs.forEach(function (run, ri) {
      chart.series.forEach(function (s, si) {
        var vals = run.series[s.field];
        if (!hasValues(vals)) return;
        var col = new Array(xs.length).fill(null);
        run.rounds.forEach(function (x, k) { col[index[x]] = vals[k]; });
        var color = multi ? PALETTE[ri % PALETTE.length] : PALETTE[si % PALETTE.length];
        var label = multi ? (chart.series.length > 1 ? run.name + " \u00b7 " + s.label : run.name) : s.label;
        cols.push(col);
        series.push({
          label: label, key: s.label, run: run.name, dashIndex: si, stroke: color, width: 2, dash: multi ? DASHES[si % DASHES.length] : [],
          spanGaps: true, points: { size: 5, fill: color },
          value: function (u, v) { return v == null ? "\u2013" : fmt(v); }
        });
      });
    });
    if (series.length === 1) return false;
    var div = document.createElement("div");
    div.className = "chart";
    if (chart.id) div.id = chart.id;
    div.innerHTML = "<h3></h3>" + (chart.note ? "<p class='note'></p>" : "");
    div.querySelector("h3").textContent = chart.title;
    if (chart.note) div.querySelector(".note").textContent = chart.note;
    if (multi) {
      // runs are told apart by colour (see the header); the key names the line styles of this chart's series
      var used = {}, runsShown = {};
      series.slice(1).forEach(function (s) { used[s.key] = s.dashIndex; runsShown[s.run] = s.stroke; });
      var keys = Object.keys(used);
      var key = document.createElement("p");
      key.className = "key";
      Object.keys(runsShown).forEach(function (name) {
        var span = document.createElement("span");
        span.innerHTML = "<i class='swatch' style='background:" + runsShown[name] + "'></i>";
        span.appendChild(document.createTextNode(name));
        key.appendChild(span);
      });
      div.appendChild(key);
      if (keys.length > 1) {
        keys.forEach(function (k) {
          var span = document.createElement("span");
          var d = DASHES[used[k] % DASHES.length];
          span.innerHTML = "<svg width='26' height='8'><line x1='1' y1='4' x2='25' y2='4' stroke='#555' stroke-width='2'"
              + (d.length ? " stroke-dasharray='" + d.join(",") + "'" : "") + "/></svg>";
          span.appendChild(document.createTextNode(k));
          key.appendChild(span);
        });
      }
    }
    container.appendChild(div);
    var width = Math.max(280, div.clientWidth - 20);
    var opts = {
      width: width, height: chart.small ? 200 : 260,
      series: series,
      scales: { x: { time: false } },
      axes: [
        { label: "round", size: 40, values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? t : ""; }); } },
        { size: 64, values: function (u, ticks) { return ticks.map(fmt); } }
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { show: !multi, live: true }
    };
    var plot = new uPlot(opts, cols, div);
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(280, div.clientWidth - 20), height: opts.height }); });
    return true;
  }

  function render(section) {
    var grid = document.getElementById(section.id);
    if (!grid) return;
    var shown = 0;
    data.charts.forEach(function (c) { if (c.section === section.name && build(c, grid)) shown++; });
    if (shown === 0 && section.hideEmpty) {
      var box = document.getElementById(section.id + "-box");
      if (box) box.style.display = "none";
    }
  }

  if (typeof uPlot === "undefined") return;
  render({ id: "charts-main", name: "main" });
  render({ id: "charts-other", name: "other", hideEmpty: true });
})();
