/* Portfolio charts: ECharts (served from /static/vendor), drawn from the page's JSON — the same
   figures as the table beside each chart, which stays the reference. */
(function () {
  "use strict";
  if (!window.echarts) return;
  var data = JSON.parse(document.getElementById("portfolio-data").textContent);
  var L = data.labels;
  var palette = ["#0b4f9c", "#2e7d32", "#e07b00", "#c62828", "#8e24aa", "#00838f"];
  var wan = function (v) { return Math.round(v / 100) / 100; };
  var names = function (rows) { return rows.map(function (r) { return r.name; }); };
  var pick = function (rows, key, f) { return rows.map(function (r) { return f ? f(r[key]) : r[key]; }); };
  var grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
  var charts = [];

  function chart(id, option, rows) {
    var el = document.getElementById(id);
    if (!el) return;
    if (!rows.length) {
      el.style.height = "auto";
      el.innerHTML = '<p class="muted">' + data.empty_text + "</p>";
      return;
    }
    var c = echarts.init(el, null, { renderer: "canvas" });
    option.color = palette;
    option.textStyle = { fontFamily: "Noto Sans CJK SC, sans-serif" };
    option.animation = false;
    (option.series || []).forEach(function (s) { if (s.type === "bar") s.barMaxWidth = 36; });
    c.setOption(option);
    charts.push(c);
  }

  function category(rows) {
    return { type: "category", data: names(rows), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } };
  }

  function completion(id, rows) {
    chart(id, {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
      xAxis: category(rows),
      yAxis: [{ type: "value", name: L.count, minInterval: 1 }, { type: "value", name: "%", min: 0, max: 100 }],
      series: [
        { type: "bar", name: L.contracted, data: pick(rows, "contracted") },
        { type: "bar", name: L.completed, data: pick(rows, "completed") },
        { type: "line", name: L.rate, yAxisIndex: 1, data: pick(rows, "rate") }
      ]
    }, rows);
  }
  completion("chart-programme", data.programme);
  completion("chart-direction", data.direction);

  chart("chart-money", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
    xAxis: category(data.year),
    yAxis: { type: "value", name: L.wan },
    series: [
      { type: "bar", name: L.granted, data: pick(data.year, "granted", wan) },
      { type: "bar", name: L.paid, data: pick(data.year, "paid", wan) },
      { type: "bar", name: L.recovered, data: pick(data.year, "recovered", wan) }
    ]
  }, data.year);

  chart("chart-district", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
    xAxis: category(data.district),
    yAxis: { type: "value", name: L.count, minInterval: 1 },
    series: [
      { type: "bar", name: L.projects, data: pick(data.district, "projects") },
      { type: "bar", name: L.at_risk, data: pick(data.district, "at_risk") }
    ]
  }, data.district);

  chart("chart-facts", {
    tooltip: { trigger: "axis" }, grid: grid,
    xAxis: { type: "value", name: "%", min: 0 },
    yAxis: { type: "category", inverse: true, data: names(data.facts), axisLabel: { width: 220, overflow: "truncate" } },
    series: [{ type: "bar", name: L.fact_rate, data: pick(data.facts, "rate"), label: { show: true, position: "right" } }]
  }, data.facts);

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
