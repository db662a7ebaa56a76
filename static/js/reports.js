/* cadre_exit: statistics charts (small SVG bar charts) and the import progress bar.
   No inline script and no style attributes (CSP): the data comes from a
   <script type="application/json"> element, colours from classes in reports.css. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function text(parent, x, y, content, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }

  function locale() {
    return document.documentElement.lang || "vi";
  }

  function fmt(value) {
    return Number(value).toLocaleString(locale(), { maximumFractionDigits: 2 });
  }

  // A "nice" axis maximum and step: 1, 2 or 5 times a power of ten.
  function niceScale(max, ticks, integer) {
    if (!(max > 0)) { return { max: 1, step: 1 }; }
    var raw = max / ticks;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    if (integer) { step = Math.max(1, Math.round(step)); }  // counts: no half cases on the axis
    return { max: Math.ceil(max / step) * step, step: step };
  }

  function clip(label, max) {
    label = String(label);
    return label.length > max ? label.slice(0, max - 1) + "…" : label;
  }

  function totals(chart) {
    return chart.labels.map(function (_label, i) {
      return chart.series.reduce(function (sum, s) { return sum + (chart.stacked ? s.values[i] : 0); }, 0);
    });
  }

  function dataMax(chart) {
    if (chart.max) { return chart.max; }
    if (chart.stacked) { return Math.max.apply(null, totals(chart).concat([0])); }
    var values = [0];
    chart.series.forEach(function (s) { values = values.concat(s.values); });
    return Math.max.apply(null, values);
  }

  function legend(container, chart) {
    if (chart.series.length < 2) { return; }
    var list = document.createElement("ul");
    list.className = "chart-legend";
    chart.series.forEach(function (s, i) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch series-" + (i % 6);
      swatch.setAttribute("aria-hidden", "true");
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      list.appendChild(item);
    });
    container.appendChild(list);
  }

  function bar(svg, x, y, w, h, seriesIndex, title) {
    var rect = el("rect", {
      x: x.toFixed(1), y: y.toFixed(1), width: Math.max(w, 0).toFixed(1), height: Math.max(h, 0).toFixed(1),
      "class": "bar series-" + (seriesIndex % 6)
    }, svg);
    el("title", {}, rect).textContent = title;
    return rect;
  }

  // Horizontal bars: one row per label, stacked or grouped series.
  function horizontal(container, chart) {
    var width = Math.max(container.clientWidth || 640, 320);
    var labelWidth = Math.min(Math.round(width * 0.32), 220);
    var groups = chart.stacked ? 1 : chart.series.length;
    var barH = groups > 1 ? 12 : 18;
    var rowH = barH * groups + 10;
    var top = 8, bottom = 26, right = 16;
    var height = top + rowH * chart.labels.length + bottom;
    var plotW = width - labelWidth - right;
    var scale = niceScale(dataMax(chart), 5, chart.integer);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "chart-svg" });
    for (var t = 0; t <= scale.max + 1e-9; t += scale.step) {
      var gx = labelWidth + plotW * t / scale.max;
      el("line", { x1: gx, x2: gx, y1: top, y2: height - bottom, "class": "grid" }, svg);
      text(svg, gx, height - bottom + 16, fmt(t) + (chart.unit === "%" ? " %" : ""), { "class": "tick", "text-anchor": "middle" });
    }
    chart.labels.forEach(function (label, i) {
      var y0 = top + i * rowH + 5;
      var labelNode = text(svg, labelWidth - 8, y0 + (barH * groups) / 2 + 4, clip(label, 30), { "class": "label", "text-anchor": "end" });
      el("title", {}, labelNode).textContent = label;
      var offset = 0;
      chart.series.forEach(function (s, k) {
        var value = s.values[i] || 0;
        var w = plotW * value / scale.max;
        var title = label + " · " + s.name + ": " + fmt(value) + " " + chart.unit;
        if (chart.stacked) {
          if (value > 0) { bar(svg, labelWidth + offset, y0, w, barH, k, title); }
          offset += w;
        } else {
          bar(svg, labelWidth, y0 + k * barH, w, barH - 2, k, title);
          if (value > 0) {
            text(svg, labelWidth + w + 4, y0 + k * barH + barH - 5, fmt(value), { "class": "value" });
          }
        }
      });
      if (chart.stacked) {
        var total = totals(chart)[i];
        text(svg, labelWidth + offset + 4, y0 + barH - 4, fmt(total), { "class": "value" });
      }
    });
    el("line", { x1: labelWidth, x2: labelWidth, y1: top, y2: height - bottom, "class": "axis" }, svg);
    container.appendChild(svg);
  }

  // Vertical bars: one column per label (years), stacked or grouped series.
  function vertical(container, chart) {
    var width = Math.max(container.clientWidth || 640, 320);
    var height = 260, top = 14, bottom = 30, left = 44, right = 10;
    var plotW = width - left - right, plotH = height - top - bottom;
    var scale = niceScale(dataMax(chart), 5, chart.integer);
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", height: height, "class": "chart-svg" });
    for (var t = 0; t <= scale.max + 1e-9; t += scale.step) {
      var gy = top + plotH - plotH * t / scale.max;
      el("line", { x1: left, x2: width - right, y1: gy, y2: gy, "class": "grid" }, svg);
      text(svg, left - 6, gy + 4, fmt(t), { "class": "tick", "text-anchor": "end" });
    }
    var slot = plotW / Math.max(chart.labels.length, 1);
    var groups = chart.stacked ? 1 : chart.series.length;
    var barW = Math.min(40, slot * 0.7) / groups;
    var every = Math.ceil(chart.labels.length / Math.max(Math.floor(plotW / 44), 1));
    chart.labels.forEach(function (label, i) {
      var x0 = left + slot * i + (slot - barW * groups) / 2;
      var offset = 0;
      chart.series.forEach(function (s, k) {
        var value = s.values[i] || 0;
        var h = plotH * value / scale.max;
        var title = label + " · " + s.name + ": " + fmt(value) + " " + chart.unit;
        if (chart.stacked) {
          if (value > 0) { bar(svg, x0, top + plotH - offset - h, barW, h, k, title); }
          offset += h;
        } else {
          bar(svg, x0 + k * barW, top + plotH - h, barW - 1, h, k, title);
        }
      });
      if (i % every === 0) {
        text(svg, left + slot * i + slot / 2, height - bottom + 16, label, { "class": "tick", "text-anchor": "middle" });
      }
    });
    el("line", { x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, "class": "axis" }, svg);
    container.appendChild(svg);
  }

  function drawCharts() {
    var source = document.getElementById("report-charts");
    if (!source) { return; }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (container) {
      var chart = charts[container.getAttribute("data-chart")];
      container.textContent = "";
      if (!chart || !chart.labels || !chart.labels.length) {
        var empty = document.createElement("p");
        empty.className = "empty";
        empty.textContent = container.getAttribute("data-empty") || "";
        container.appendChild(empty);
        return;
      }
      legend(container, chart);
      if (chart.kind === "vertical") { vertical(container, chart); } else { horizontal(container, chart); }
      container.setAttribute("data-drawn", "true");
    });
  }

  // The import page: poll the job's status and move the <progress> bar; reload when done.
  function importProgress() {
    var box = document.querySelector("[data-import-job]");
    if (!box || box.getAttribute("data-finished") === "true") { return; }
    box.querySelectorAll(".js-hide").forEach(function (node) { node.hidden = true; });
    var bar = box.querySelector("[data-bar]");
    var phase = box.querySelector("[data-phase]");
    var status = box.querySelector("[data-status]");
    var counts = box.querySelector("[data-counts]");
    var url = box.getAttribute("data-status-url");
    var delay = 700;
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (job) {
          if (job.percent === null || job.percent === undefined) {
            bar.removeAttribute("value");
          } else {
            bar.value = job.percent;
            bar.textContent = job.percent + " %";
          }
          phase.textContent = job.phase_label;
          status.textContent = job.status_label;
          if (job.rows) { counts.textContent = job.checked + " / " + job.rows; }
          if (job.finished) {
            window.location.reload();
            return;
          }
          delay = Math.min(delay * 1.2, 3000);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, delay);
  }

  ready(function () {
    drawCharts();
    importProgress();
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(drawCharts, 200);
    });
  });
})();
