// Draws the charts of a thaw report (src/profile/html_report.h) from the JSON in
// #thaw-report-data with Chart.js, which is inlined before this script. Nothing is fetched.
// window.thawCharts maps each chart id to its Chart object, for tests; body[data-charts] says
// "ready" once every chart is drawn.
(function () {
  'use strict';
  const colors = ['#2f6fb0', '#d9622b', '#3a9b5c', '#8a55b0', '#b8912f', '#c0416b'];
  const report = JSON.parse(document.getElementById('thaw-report-data').textContent);

  function axis(spec, extra) {
    return Object.assign({
      type: spec.scale,
      title: {display: spec.label !== '', text: spec.label},
    }, extra);
  }

  function config(chart) {
    const datasets = chart.series.map((series, i) => ({
      label: series.name,
      data: series.points.map((p) => ({x: p[0], y: p[1]})),
      yAxisID: series.axis,
      backgroundColor: colors[i % colors.length] + (chart.kind === 'bar' ? 'cc' : '33'),
      borderColor: colors[i % colors.length],
      borderWidth: chart.kind === 'bar' ? 0 : 2,
      pointRadius: chart.stepped ? 0 : 3,
      stepped: chart.stepped,
      fill: false,
    }));
    const scales = {x: axis(chart.x), y: axis(chart.y)};
    if (chart.kind === 'bar') scales.x.offset = true;
    if (chart.y2) scales.y2 = axis(chart.y2, {position: 'right', grid: {drawOnChartArea: false}});
    const data = {datasets};
    if (chart.categories) data.labels = chart.categories;
    return {
      type: chart.kind,
      data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: {mode: 'nearest', intersect: false},
        plugins: {title: {display: true, text: chart.title}, legend: {position: 'bottom'}},
        scales,
      },
    };
  }

  window.thawCharts = {};
  for (const section of report.sections) {
    for (const chart of section.charts) {
      const canvas = document.getElementById(chart.id);
      window.thawCharts[chart.id] = new Chart(canvas, config(chart));
    }
  }
  document.body.dataset.charts = 'ready';
})();
