/* Dashboard charts: ECharts (served from /static/vendor), data from the page's JSON. */
(function () {
  "use strict";
  if (!window.echarts) return;
  var data = JSON.parse(document.getElementById("dash-data").textContent);
  var palette = ["#0b4f9c", "#e07b00", "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#6d4c41", "#546e7a"];
  var wan = function (v) { return Math.round(v / 100) / 100; };
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
    (option.series || []).forEach(function (sr) { if (sr.type === "bar") sr.barMaxWidth = 36; });
    c.setOption(option);
    charts.push(c);
  }
  var grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };

  chart("chart-state", {
    tooltip: { trigger: "axis" }, grid: grid,
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.by_state.map(function (r) { return r.name; }) },
    series: [{ type: "bar", name: "申报数", data: data.by_state.map(function (r) { return r.n; }), label: { show: true, position: "right" } }]
  }, data.by_state);

  function countAndMoney(id, rows) {
    chart(id, {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
      yAxis: [{ type: "value", name: "项", minInterval: 1 }, { type: "value", name: "万元" }],
      series: [
        { type: "bar", name: "申报数", data: rows.map(function (r) { return r.n; }) },
        { type: "bar", name: "申请金额（万元）", yAxisIndex: 1, data: rows.map(function (r) { return wan(r.requested); }) },
        { type: "bar", name: "立项金额（万元）", yAxisIndex: 1, data: rows.map(function (r) { return wan(r.decided); }) }
      ]
    }, rows);
  }
  countAndMoney("chart-programme", data.by_programme);
  countAndMoney("chart-unit", data.by_unit);

  chart("chart-industry", {
    tooltip: { trigger: "item" }, legend: { type: "scroll", bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "65%"], data: data.by_industry.map(function (r) { return { name: r.name, value: r.n }; }) }]
  }, data.by_industry);

  chart("chart-budget", {
    tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
    xAxis: { type: "category", data: data.budgets.map(function (r) { return r.name; }) },
    yAxis: { type: "value", name: "万元" },
    series: [
      { type: "bar", name: "预算（万元）", data: data.budgets.map(function (r) { return wan(r.budget); }) },
      { type: "bar", name: "立项（万元）", data: data.budgets.map(function (r) { return wan(r.decided); }) }
    ]
  }, data.budgets);

  // Every day from the first submission to the last deadline (at most 120), so the run-up shows.
  var known = data.submissions.map(function (r) { return r.day; }).concat(data.deadlines.map(function (d) { return d.day; })).sort();
  var days = [];
  if (known.length) {
    var d0 = new Date(known[0] + "T00:00:00Z"), d1 = new Date(known[known.length - 1] + "T00:00:00Z");
    for (var t = d0; t <= d1 && days.length < 120; t = new Date(t.getTime() + 86400000)) days.push(t.toISOString().slice(0, 10));
  }
  var byDay = {};
  data.submissions.forEach(function (r) { byDay[r.day] = r.n; });
  chart("chart-time", {
    tooltip: { trigger: "axis" }, grid: grid,
    xAxis: { type: "category", data: days },
    yAxis: { type: "value", name: "提交数", minInterval: 1 },
    series: [{
      type: "bar", name: "每日提交", data: days.map(function (d) { return byDay[d] || 0; }),
      markLine: { symbol: "none", label: { formatter: "截止" }, lineStyle: { color: "#c62828", type: "dashed" },
        data: data.deadlines.filter(function (d) { return days.indexOf(d.day) >= 0; }).map(function (d) { return { xAxis: d.day }; }) }
    }]
  }, data.submissions);

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
