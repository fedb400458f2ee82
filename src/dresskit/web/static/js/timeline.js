// dresskit: the episode page's timeline, drawn with the vendored uPlot from timeline.json.
// Every chart shares one day axis: the cursor moves in all of them at once, and dragging
// across one zooms every chart (double-click zooms out). A value never measured is not
// drawn (never as 0). Without JavaScript the page shows the same values as a table.
"use strict";
(function () {
  const root = document.getElementById("timeline-charts");
  if (!root || typeof uPlot === "undefined") {
    return;
  }
  const SYNC_KEY = "dresskit-timeline";
  // Okabe-Ito colours (colour-blind safe), as the report's figures use.
  const PALETTE = ["#E69F00", "#0072B2", "#CC79A7", "#009E73", "#D55E00", "#56B4E9"];
  const KIND_COLOURS = {
    drug: "#6b6b6b",
    steroid: "#0072B2",
    ivig: "#009E73",
    biologic: "#CC79A7",
    other: "#E69F00",
  };
  const FLARE_COLOUR = "#D55E00";
  const LEFT_AXIS = 150;
  // Scales that have a natural range (as the report's figure draws them).
  const FIXED_RANGES = { itch_nrs: [0, 10.5], rash_bsa: [0, 105] };

  // A y range from every value of the series (not only those in view), so that zooming in
  // never empties an axis or shifts a chart against the others.
  function valueRange(series) {
    if (FIXED_RANGES[series.code]) {
      return FIXED_RANGES[series.code];
    }
    const values = series.values.filter((v) => v !== null && v !== undefined);
    let low = Math.min(...values);
    let high = Math.max(...values);
    if (series.step || series.bars) {
      low = Math.min(0, low);
    }
    const pad = high > low ? (high - low) * 0.08 : Math.max(1, Math.abs(high) * 0.1);
    return [low === 0 ? 0 : low - pad, high + pad];
  }
  const RIGHT_AXIS = 70;

  function number(value) {
    if (value === null || value === undefined) {
      return "–";
    }
    return String(Math.round(value * 1000) / 1000);
  }

  function dayText(day) {
    if (day === null || day === undefined) {
      return "";
    }
    const whole = Math.floor(day);
    const minutes = Math.round((day - whole) * 24 * 60);
    if (minutes === 0) {
      return "day " + whole;
    }
    const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
    const mm = String(minutes % 60).padStart(2, "0");
    return "day " + whole + ", " + hh + ":" + mm;
  }

  function cursorDay(u) {
    const left = u.cursor.left;
    if (left === null || left === undefined || left < 0) {
      return "";
    }
    return dayText(Math.round(u.posToVal(left, "x") * 24) / 24);
  }

  function withUnit(value, symbol) {
    if (value === null || value === undefined) {
      return "–";
    }
    if (!symbol) {
      return number(value);
    }
    return symbol === "%" ? number(value) + "%" : number(value) + " " + symbol;
  }

  function message(text) {
    root.replaceChildren();
    const paragraph = document.createElement("p");
    paragraph.className = "hint";
    paragraph.textContent = text;
    root.appendChild(paragraph);
  }

  function width() {
    return Math.max(320, root.clientWidth - 4);
  }

  function draw(data) {
    root.replaceChildren();
    const charts = [];
    const first = Math.floor(data.first_day) - 1;
    const last = Math.ceil(data.last_day) + 1;
    let syncing = false;
    const days = new Set([first, last]);
    for (const panelData of data.panels) {
      for (const series of panelData.series) {
        series.days.forEach((day) => days.add(day));
      }
    }
    const grid = Array.from(days).sort((a, b) => a - b);

    function zoomAll(u, key) {
      if (key !== "x" || syncing) {
        return;
      }
      syncing = true;
      const min = u.scales.x.min;
      const max = u.scales.x.max;
      for (const other of charts) {
        if (other !== u) {
          other.setScale("x", { min: min, max: max });
        }
      }
      syncing = false;
    }

    // Day 0 and the flares, as vertical lines across the plot.
    function marks(u) {
      const ctx = u.ctx;
      const box = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(box.left, box.top, box.width, box.height);
      ctx.clip();
      ctx.lineWidth = Math.max(1, devicePixelRatio);
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      const lines = [[0, "#555555"]].concat(data.flares.map((f) => [f.day, FLARE_COLOUR]));
      for (const [day, colour] of lines) {
        const x = Math.round(u.valToPos(day, "x", true));
        ctx.strokeStyle = colour;
        ctx.beginPath();
        ctx.moveTo(x, box.top);
        ctx.lineTo(x, box.top + box.height);
        ctx.stroke();
      }
      ctx.restore();
    }

    function xAxis(show) {
      return {
        scale: "x",
        label: show ? data.axis : "",
        values: (u, splits) => splits.map((v) => (show ? String(v) : "")),
        size: show ? 50 : 8,
        labelSize: show ? 20 : 0,
      };
    }

    function container(title, description) {
      const panel = document.createElement("div");
      panel.className = "panel";
      const heading = document.createElement("h3");
      heading.textContent = title;
      panel.appendChild(heading);
      const chart = document.createElement("div");
      chart.setAttribute("role", "img");
      chart.setAttribute("aria-label", description);
      panel.appendChild(chart);
      root.appendChild(panel);
      return [panel, chart];
    }

    function common(height, extra) {
      return Object.assign(
        {
          width: width(),
          height: height,
          scales: { x: { time: false } },
          cursor: {
            sync: { key: SYNC_KEY, setSeries: false },
            drag: { x: true, y: false, setScale: true },
            // Hovering shows each series' value measured within 0.6 day of the cursor (at
            // least 6 px away), else "–": never a gap as 0, never a value of another day.
            hover: { skip: [null, undefined], prox: (u) => Math.max(6, u.valToPos(0.6, "x") - u.valToPos(0, "x")) },
          },
          hooks: { setScale: [zoomAll], draw: [marks] },
        },
        extra
      );
    }

    // Treatment and drug lanes: bars drawn on the canvas, on the shared day axis.
    const lanes = data.lanes;
    if (lanes.length) {
      const n = lanes.length;
      const [panel, target] = container(
        "Drugs and treatments",
        n + " lanes of drugs and treatments; the same periods are listed in the table below"
      );
      const info = document.createElement("p");
      info.className = "lane-info";
      panel.appendChild(info);
      const opts = common(Math.max(90, 24 * n + 40), {
        legend: { show: false },
        scales: { x: { time: false }, lanes: { auto: false, range: [0, n] } },
        series: [
          { label: "Day" },
          { label: "lanes", scale: "lanes", stroke: "transparent", points: { show: false } },
        ],
        axes: [
          xAxis(false),
          {
            scale: "lanes",
            size: LEFT_AXIS,
            label: " ",
            labelSize: 24,
            grid: { show: false },
            splits: () => lanes.map((_, i) => n - i - 0.5),
            values: () =>
              lanes.map((lane) => (lane.lane.length > 22 ? lane.lane.slice(0, 21) + "…" : lane.lane)),
          },
          {
            scale: "lanes",
            side: 1,
            size: RIGHT_AXIS,
            label: " ",
            labelSize: 24,
            grid: { show: false },
            values: () => [],
          },
        ],
      });
      opts.hooks.draw = [
        (u) => {
          const ctx = u.ctx;
          const box = u.bbox;
          ctx.save();
          ctx.beginPath();
          ctx.rect(box.left, box.top, box.width, box.height);
          ctx.clip();
          lanes.forEach((lane, i) => {
            const top = u.valToPos(n - i, "lanes", true);
            const bottom = u.valToPos(n - i - 1, "lanes", true);
            const y = top + (bottom - top) * 0.2;
            const h = (bottom - top) * 0.6;
            for (const bar of lane.bars) {
              const x0 = u.valToPos(bar.start, "x", true);
              const x1 = u.valToPos(bar.end + 1, "x", true);
              ctx.fillStyle = KIND_COLOURS[lane.kind] || "#6b6b6b";
              ctx.globalAlpha = bar.running ? 0.45 : 0.9;
              ctx.fillRect(x0, y, Math.max(1, x1 - x0), h);
            }
          });
          ctx.restore();
        },
        marks,
      ];
      opts.hooks.setCursor = [
        (u) => {
          const left = u.cursor.left;
          if (left === null || left === undefined || left < 0) {
            info.textContent = "";
            return;
          }
          const day = Math.floor(u.posToVal(left, "x"));
          const given = [];
          for (const lane of lanes) {
            for (const bar of lane.bars) {
              if (bar.start <= day && day <= bar.end) {
                given.push(bar.text);
              }
            }
          }
          info.textContent = "Day " + day + ": " + (given.length ? given.join("; ") : "nothing given");
        },
      ];
      charts.push(new uPlot(opts, [grid, grid.map(() => null)], target));
    }

    // The panels of values: one or two series each, left and right axes, on one grid of days
    // shared by every chart (so the cursor points at the same day in all of them).
    for (const panelData of data.panels) {
      const columns = [grid];
      for (const series of panelData.series) {
        const byDay = new Map();
        series.days.forEach((day, j) => byDay.set(day, series.values[j]));
        columns.push(grid.map((day) => (byDay.has(day) ? byDay.get(day) : null)));
      }
      const described = panelData.series
        .map((s) => s.label + " (" + s.values.length + " values" + (s.symbol ? ", " + s.symbol : "") + ")")
        .join(" and ");
      const target = container(panelData.title, panelData.title + ": " + described)[1];
      // The day under the cursor (not the nearest day with data), written after each move:
      // uPlot renders the legend before it stores the new cursor position.
      const series = [{ label: "Day", value: () => "" }];
      const axes = [xAxis(panelData === data.panels[data.panels.length - 1])];
      const scales = { x: { time: false } };
      panelData.series.forEach((s, i) => {
        const scale = s.code;
        scales[scale] = { auto: false, range: valueRange(s) };
        const colour = PALETTE[(data.panels.indexOf(panelData) * 2 + i) % PALETTE.length];
        const entry = {
          label: s.label + (s.symbol ? " (" + s.symbol + ")" : ""),
          scale: scale,
          stroke: colour,
          width: 2,
          spanGaps: true,
          value: (u, v) => withUnit(v, s.symbol),
          points: { show: true, size: 5, fill: colour },
        };
        if (s.step) {
          entry.paths = uPlot.paths.stepped({ align: 1 });
          entry.points = { show: false };
          entry.fill = "rgba(0, 114, 178, 0.12)";
        }
        if (s.bars) {
          entry.paths = () => null;
          entry.points = { show: true, size: 9, fill: colour };
        }
        series.push(entry);
        if (i < 2) {
          axes.push({
            scale: scale,
            side: i === 0 ? 3 : 1,
            size: i === 0 ? LEFT_AXIS : RIGHT_AXIS,
            label: s.symbol || s.label,
            labelSize: 24,
            stroke: colour,
            grid: { show: i === 0 },
          });
        }
      });
      if (panelData.series.length === 1) {
        axes.push({
          scale: panelData.series[0].code,
          side: 1,
          size: RIGHT_AXIS,
          label: " ",
          labelSize: 24,
          grid: { show: false },
          values: () => [],
        });
      }
      const opts = common(170, { scales: scales, series: series, axes: axes });
      opts.hooks.setCursor = [
        (u) => {
          const cell = u.root.querySelector(".u-legend .u-series:first-child .u-value");
          // Change uPlot's own text node (it keeps a reference to it).
          if (cell && cell.firstChild) {
            cell.firstChild.nodeValue = cursorDay(u);
          }
        },
      ];
      charts.push(new uPlot(opts, columns, target));
    }

    if (data.undated.length) {
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = "Not drawn: " + data.undated.join("; ") + ".";
      root.appendChild(note);
    }
    if (!charts.length) {
      message("Nothing to chart: no treatment or measurement has been recorded.");
      return;
    }
    window.addEventListener("resize", () => {
      for (const chart of charts) {
        chart.setSize({ width: width(), height: chart.height });
      }
    });
  }

  fetch(root.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((answer) => {
      if (!answer.ok) {
        throw new Error("HTTP " + answer.status);
      }
      return answer.json();
    })
    .then(draw)
    .catch((error) => {
      message("The charts could not be drawn (" + error.message + "); every value is in the table below.");
    });
})();
