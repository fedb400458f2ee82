// dresskit data entry: the observations grid (keyboard moves, pasted spreadsheet rows, more
// rows) and unit lists that follow the row's code or treatment kind. Every form works
// without this file: it only makes entry faster. No values are converted here: the server
// converts units with the bundle's own rules.
"use strict";

(function () {
  // --- unit lists that follow the code (or the treatment kind) ---------------------------

  function controllerOf(select) {
    const scope = select.closest("tr") || select.closest("form");
    if (!scope) return null;
    return scope.querySelector("[data-code]") || scope.querySelector("[data-kind]");
  }

  // Show only the units of the controller's group (and the group of the chosen unit, so a
  // chosen value is never hidden). Hidden options still submit; none is ever disabled, so
  // every row of the grid sends one unit and the columns stay aligned.
  // The grid renders each stored row with its own code's units only (pages stay small); the
  // row template holds every group, copied in when a row's code changes.
  function masterGroup(select, wanted) {
    const form = select.closest("form");
    const template = form && form.querySelector("#grid-row-template");
    const master = template && template.content.querySelector("select[data-unit-groups]");
    if (!master) return null;
    const group = Array.from(master.querySelectorAll("optgroup")).find((g) => g.dataset.group === wanted);
    return group ? select.appendChild(group.cloneNode(true)) : null;
  }

  function filterUnits(select, adjust) {
    const controller = controllerOf(select);
    if (!controller) return;
    const wanted = controller.value.trim();
    let groups = Array.from(select.querySelectorAll("optgroup"));
    let match = groups.find((group) => group.dataset.group === wanted);
    if (!match && wanted && masterGroup(select, wanted)) {
      groups = Array.from(select.querySelectorAll("optgroup"));
      match = groups.find((group) => group.dataset.group === wanted);
    }
    const chosen = select.selectedOptions[0];
    const chosenGroup = chosen && chosen.parentElement.tagName === "OPTGROUP" ? chosen.parentElement : null;
    if (adjust && match && (!chosen || !chosen.value || chosenGroup !== match)) {
      const first = match.querySelector("option");
      if (first) select.value = first.value;
    }
    const now = select.selectedOptions[0];
    const nowGroup = now && now.parentElement.tagName === "OPTGROUP" ? now.parentElement : null;
    for (const group of groups) {
      group.hidden = Boolean(match) && group !== match && group !== nowGroup;
    }
  }

  function filterScope(scope, adjust) {
    for (const select of scope.querySelectorAll("select[data-unit-groups]")) {
      filterUnits(select, adjust);
    }
  }

  function watchControllers(root) {
    const follow = (event) => {
      const target = event.target;
      if (target.matches && target.matches("[data-code], [data-kind]")) {
        filterScope(target.closest("tr") || target.closest("form"), true);
      }
    };
    root.addEventListener("change", follow);
    root.addEventListener("input", follow);
  }

  // --- the grid -----------------------------------------------------------------------------

  function gridOf(form) {
    return form.querySelector("table.grid tbody");
  }

  function rowsOf(body) {
    return Array.from(body.querySelectorAll("tr[data-row]"));
  }

  function cellsOf(row) {
    return Array.from(row.querySelectorAll("input, select"));
  }

  function addRows(form, count) {
    const body = gridOf(form);
    const template = form.querySelector("#grid-row-template");
    if (!body || !template) return;
    let index = rowsOf(body).length;
    for (let made = 0; made < count; made += 1, index += 1) {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.row = String(index);
      const number = row.querySelector(".row-number");
      if (number) number.textContent = String(index + 1);
      for (const element of row.querySelectorAll("[id], [aria-label], [aria-describedby]")) {
        if (element.id) element.id = element.id.replace("999999", String(index));
        const label = element.getAttribute("aria-label");
        if (label) element.setAttribute("aria-label", label.replace(/^Row \d+/, "Row " + (index + 1)));
        element.removeAttribute("aria-describedby");
        element.removeAttribute("aria-invalid");
      }
      for (const error of row.querySelectorAll(".field-error")) error.remove();
      body.appendChild(row);
      filterScope(row, false);
    }
  }

  function focusCell(form, rowIndex, columnIndex) {
    const body = gridOf(form);
    let rows = rowsOf(body);
    if (rowIndex < 0) return;
    if (rowIndex >= rows.length) {
      addRows(form, 10);
      rows = rowsOf(body);
    }
    const cells = cellsOf(rows[rowIndex]);
    const target = cells[Math.max(0, Math.min(columnIndex, cells.length - 1))];
    if (target) {
      target.focus();
      if (target.select && target.tagName === "INPUT") target.select();
    }
  }

  function position(form, control) {
    const row = control.closest("tr[data-row]");
    if (!row) return null;
    return { row: rowsOf(gridOf(form)).indexOf(row), column: cellsOf(row).indexOf(control) };
  }

  function atStart(control) {
    return control.tagName !== "INPUT" || (control.selectionStart === 0 && control.selectionEnd === 0);
  }

  function atEnd(control) {
    return control.tagName !== "INPUT" ||
      (control.selectionStart === control.value.length && control.selectionEnd === control.value.length);
  }

  function onKey(form, event) {
    const control = event.target;
    if (!control.matches || !control.matches("table.grid input, table.grid select")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const at = position(form, control);
    if (!at) return;
    let move = null;
    if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) move = [1, 0];
    else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) move = [-1, 0];
    else if (event.key === "ArrowLeft" && atStart(control)) move = [0, -1];
    else if (event.key === "ArrowRight" && atEnd(control)) move = [0, 1];
    if (!move) return;
    event.preventDefault();
    let row = at.row + move[0];
    let column = at.column + move[1];
    const width = cellsOf(control.closest("tr")).length;
    if (column < 0 && row >= 0) { row -= 1; column = width - 1; }
    if (column >= width) { row += 1; column = 0; }
    focusCell(form, row, column);
  }

  function setControl(control, text) {
    const value = text.trim();
    if (control.tagName !== "SELECT") {
      control.value = value;
      return;
    }
    const options = Array.from(control.options);
    const found = options.find((option) => option.value === value) ||
      options.find((option) => option.textContent.trim() === value) ||
      options.find((option) => option.textContent.trim().startsWith(value + " ("));
    if (found) {
      control.value = found.value;
      return;
    }
    // Not on the list: kept as written, so that the server names it and lists what it accepts.
    const extra = document.createElement("option");
    extra.value = value;
    extra.textContent = value + " (not on the list)";
    control.appendChild(extra);
    control.value = value;
  }

  const HEADERS = ["date", "time", "code", "value", "unit", "text"];

  function parsePasted(text) {
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    let table = lines.map((line) => line.split("\t"));
    // A header row copied with the data: left out; an episode_id column in front: dropped.
    if (table.length && table[0][0].trim().toLowerCase() === "episode_id") {
      table = table.map((cells) => cells.slice(1));
    }
    if (table.length && HEADERS.includes((table[0][0] || "").trim().toLowerCase()) &&
        table[0].every((cell) => HEADERS.includes(cell.trim().toLowerCase()))) {
      table = table.slice(1);
    }
    return table;
  }

  function onPaste(form, event) {
    const control = event.target;
    if (!control.matches || !control.matches("table.grid input, table.grid select")) return;
    const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
    if (!text || (text.indexOf("\t") < 0 && text.indexOf("\n") < 0)) return;
    event.preventDefault();
    const at = position(form, control);
    if (!at) return;
    const table = parsePasted(text);
    const body = gridOf(form);
    const needed = at.row + table.length - rowsOf(body).length;
    if (needed > 0) addRows(form, needed);
    const rows = rowsOf(body);
    table.forEach((cells, offset) => {
      const row = rows[at.row + offset];
      const controls = cellsOf(row);
      cells.forEach((cell, shift) => {
        const target = controls[at.column + shift];
        if (target) setControl(target, cell);
      });
      filterScope(row, false);
      row.classList.add("pasted");
    });
    const status = form.querySelector("[data-paste-status]");
    if (status) status.textContent = table.length + " rows pasted: check them, then save.";
  }

  function enhanceGrid(form) {
    form.addEventListener("keydown", (event) => onKey(form, event));
    form.addEventListener("paste", (event) => onPaste(form, event));
    for (const button of form.querySelectorAll("[data-add-rows]")) {
      button.hidden = false;
      button.addEventListener("click", () => addRows(form, Number(button.dataset.addRows) || 10));
    }
    const status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");
    status.dataset.pasteStatus = "";
    form.appendChild(status);
  }

  function start() {
    for (const form of document.querySelectorAll("form[data-grid]")) enhanceGrid(form);
    for (const form of document.querySelectorAll("form[data-grid], form[data-row-form]")) {
      filterScope(form, false);
      watchControllers(form);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
