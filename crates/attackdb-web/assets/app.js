// attackdb web UI: interaction on top of pages that read without it. No inline script, no
// other host; everything from a layer is set as text or checked colour, never as HTML.
"use strict";

(function () {
  const HEX = /^#[0-9a-fA-F]{6}$/;

  function paintSwatches(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      const c = el.getAttribute("data-color");
      if (HEX.test(c)) el.style.background = c;
    });
  }

  function matrixPage() {
    const form = document.getElementById("matrix-form");
    const matrix = document.getElementById("matrix");
    if (!form || !matrix) return;
    const platform = document.getElementById("platform");
    const ids = document.getElementById("show-ids");
    const subs = document.getElementById("subs-open");
    const find = document.getElementById("find");
    const count = document.getElementById("find-count");
    platform.addEventListener("change", function () { form.submit(); });
    ids.addEventListener("change", function () {
      matrix.classList.toggle("show-ids", ids.checked);
    });
    subs.addEventListener("change", function () {
      matrix.querySelectorAll("details").forEach(function (d) { d.open = subs.checked; });
    });
    find.addEventListener("input", function () {
      const q = find.value.trim().toLowerCase();
      let hits = 0;
      matrix.querySelectorAll(".hit, .has-hit").forEach(function (el) {
        el.classList.remove("hit", "has-hit");
      });
      matrix.classList.toggle("finding", q.length > 0);
      if (!q) { count.textContent = ""; return; }
      matrix.querySelectorAll("li.tech, li.sub").forEach(function (li) {
        const cell = li.querySelector(":scope > .cell");
        const text = (li.getAttribute("data-t") + " " + cell.textContent).toLowerCase();
        if (text.indexOf(q) >= 0) {
          li.classList.add("hit");
          hits += 1;
          if (li.classList.contains("sub")) {
            const parent = li.closest("li.tech");
            parent.classList.add("has-hit");
            const details = parent.querySelector("details");
            if (details) details.open = true;
          }
        }
      });
      count.textContent = hits + (hits === 1 ? " match" : " matches");
    });
    layers(form, matrix);
  }

  function layers(form, matrix) {
    const domain = form.getAttribute("data-domain");
    const release = form.getAttribute("data-release");
    const fileInput = document.getElementById("layer-file");
    const drop = document.getElementById("drop");
    const tabs = document.getElementById("layer-tabs");
    const status = document.getElementById("layer-status");
    const legend = document.getElementById("legend");
    const combineBox = document.getElementById("combine-box");
    const downloads = document.getElementById("downloads");
    const sideBox = document.getElementById("side-box");
    const side = document.getElementById("side-by-side");
    const wsSave = document.getElementById("ws-save");
    const saved = document.getElementById("saved-layer");
    const open = [];
    let current = -1;
    const query = "domain=" + encodeURIComponent(domain) + "&release=" + encodeURIComponent(release);

    function say(text) { status.textContent = text; }

    function fail(response) {
      return response.text().then(function (text) {
        let message = text;
        try { const body = JSON.parse(text); message = (body.error && body.error.message) || body.message || text; } catch (e) { /* plain text */ }
        throw new Error(message);
      });
    }

    function paintLayers(text, label) {
      return fetch("/ui/paint?" + query, { method: "POST", headers: { "Content-Type": "application/json" }, body: text })
        .then(function (r) { return r.ok ? r.json() : fail(r); })
        .then(function (answer) {
          answer.layers.forEach(function (layer, i) {
            open.push({ label: label, layer: layer, painted: answer.painted[i] });
          });
          renderTabs();
          select(open.length - 1);
          say(answer.layers.length + " layer" + (answer.layers.length === 1 ? "" : "s") + " opened from " + label + ".");
        });
    }

    function readFiles(files) {
      Array.prototype.forEach.call(files, function (file) {
        file.text().then(function (text) { return paintLayers(text, file.name); })
          .catch(function (e) { say(file.name + ": " + e.message); });
      });
    }

    function variable(i) { return String.fromCharCode(97 + i); }

    function renderTabs() {
      tabs.textContent = "";
      open.forEach(function (entry, i) {
        const b = document.createElement("button");
        b.type = "button";
        b.setAttribute("role", "tab");
        b.setAttribute("aria-selected", i === current ? "true" : "false");
        b.textContent = variable(i) + ": " + (entry.painted.name || entry.label);
        b.addEventListener("click", function () { select(i); });
        tabs.appendChild(b);
      });
      combineBox.hidden = open.length < 1;
      sideBox.hidden = open.length < 2;
      downloads.hidden = open.length < 1 && !downloads.querySelector(".server-dl");
      downloads.querySelectorAll(".client-dl").forEach(function (b) { b.hidden = open.length < 1; });
      if (wsSave) wsSave.hidden = open.length < 1;
    }

    function clear() {
      matrix.querySelectorAll(".cell[data-painted]").forEach(function (cell) {
        cell.style.background = "";
        cell.style.color = "";
        cell.style.opacity = "";
        cell.title = cell.getAttribute("data-base-title") || cell.title;
        cell.removeAttribute("data-painted");
      });
    }

    function apply(painted) {
      clear();
      // The server's stylesheet of a server-made layer gives way to the chosen layer.
      document.querySelectorAll("link[href^='/ui/paint.css']").forEach(function (l) { l.disabled = true; });
      painted.cells.forEach(function (c) {
        const column = matrix.querySelector("[data-tactic='" + CSS.escape(c.tactic) + "']");
        if (!column) return;
        column.querySelectorAll("[data-t='" + CSS.escape(c.id) + "'] > .cell").forEach(function (cell) {
          if (!cell.hasAttribute("data-base-title")) cell.setAttribute("data-base-title", cell.title);
          cell.setAttribute("data-painted", "1");
          if (c.color && HEX.test(c.color)) {
            cell.style.background = c.color;
            cell.style.color = HEX.test(c.text_color || "") ? c.text_color : "#000";
          }
          if (c.disabled) cell.style.opacity = "0.35";
          let title = cell.getAttribute("data-base-title");
          if (c.score !== null && c.score !== undefined) title += "\nscore: " + c.score;
          if (c.comment) title += "\ncomment: " + c.comment;
          cell.title = title;
        });
      });
      showLegend(painted);
    }

    function showLegend(painted) {
      legend.hidden = false;
      legend.textContent = "";
      const name = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = painted.name;
      name.appendChild(strong);
      if (painted.description) name.appendChild(document.createTextNode(": " + painted.description));
      legend.appendChild(name);
      if (painted.legend.length) {
        const ul = document.createElement("ul");
        painted.legend.forEach(function (item) {
          const li = document.createElement("li");
          const sw = document.createElement("span");
          sw.className = "swatch";
          sw.setAttribute("data-color", item[1]);
          li.appendChild(sw);
          li.appendChild(document.createTextNode(item[0]));
          ul.appendChild(li);
        });
        legend.appendChild(ul);
      }
      const g = document.createElement("p");
      g.textContent = "Scores " + painted.min_score + " to " + painted.max_score + ": ";
      painted.gradient.forEach(function (c) {
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.setAttribute("data-color", c);
        g.appendChild(sw);
      });
      legend.appendChild(g);
      if (painted.not_in_matrix.length) {
        const n = document.createElement("p");
        n.className = "note";
        n.textContent = "Not in this matrix: " + painted.not_in_matrix.join(", ");
        legend.appendChild(n);
      }
      paintSwatches(legend);
    }

    function select(i) {
      current = i;
      renderTabs();
      if (side.checked && open.length > 1) {
        applySideBySide();
      } else {
        apply(open[i].painted);
      }
    }

    // Every open layer at once: each cell split in equal stripes, one per layer (a, b, ...),
    // its title listing each layer's score and comment.
    function applySideBySide() {
      clear();
      document.querySelectorAll("link[href^='/ui/paint.css']").forEach(function (l) { l.disabled = true; });
      const cells = new Map();
      open.forEach(function (entry, i) {
        entry.painted.cells.forEach(function (c) {
          const key = c.tactic + "\u0000" + c.id;
          if (!cells.has(key)) cells.set(key, { tactic: c.tactic, id: c.id, layers: [] });
          cells.get(key).layers[i] = c;
        });
      });
      const n = open.length;
      cells.forEach(function (entry) {
        const column = matrix.querySelector("[data-tactic='" + CSS.escape(entry.tactic) + "']");
        if (!column) return;
        column.querySelectorAll("[data-t='" + CSS.escape(entry.id) + "'] > .cell").forEach(function (cell) {
          if (!cell.hasAttribute("data-base-title")) cell.setAttribute("data-base-title", cell.title);
          cell.setAttribute("data-painted", "1");
          const stops = [];
          let title = cell.getAttribute("data-base-title");
          for (let i = 0; i < n; i++) {
            const c = entry.layers[i];
            const color = c && c.color && HEX.test(c.color) ? c.color : "#ffffff";
            stops.push(color + " " + (100 * i / n) + "% " + (100 * (i + 1) / n) + "%");
            if (c) {
              title += "\n" + variable(i) + ":";
              if (c.score !== null && c.score !== undefined) title += " score " + c.score;
              if (c.comment) title += " " + c.comment;
            }
          }
          cell.style.background = "linear-gradient(90deg, " + stops.join(", ") + ")";
          cell.title = title;
        });
      });
      legend.hidden = false;
      legend.textContent = "";
      const p = document.createElement("p");
      p.textContent = "Side by side, left to right: " + open.map(function (o, i) {
        return variable(i) + " " + (o.painted.name || o.label);
      }).join(" | ");
      legend.appendChild(p);
    }

    function download(format) {
      if (current < 0) return;
      const entry = open[current];
      const text = JSON.stringify(entry.layer, null, 2);
      const base = (entry.painted.name || "layer").replace(/[^A-Za-z0-9._-]+/g, "_");
      if (format === "json") {
        save(new Blob([text], { type: "application/json" }), base + ".json");
        return;
      }
      fetch("/api/v1/layers/export?format=" + format + "&" + query, { method: "POST", headers: { "Content-Type": "application/json" }, body: text })
        .then(function (r) { return r.ok ? r.blob() : fail(r); })
        .then(function (blob) { save(blob, base + "." + format); })
        .catch(function (e) { say("export: " + e.message); });
    }

    function save(blob, name) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }

    fileInput.addEventListener("change", function () { readFiles(fileInput.files); fileInput.value = ""; });
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) readFiles(e.dataTransfer.files);
    });
    drop.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileInput.click(); }
    });
    side.addEventListener("change", function () { if (current >= 0) select(current); });
    document.getElementById("combine").addEventListener("click", function () {
      const expr = document.getElementById("combine-expr").value.trim();
      if (!expr) { say("Write an expression over the layers, e.g. a + b."); return; }
      const body = JSON.stringify({ layers: open.map(function (o) { return o.layer; }), expr: expr, name: expr });
      fetch("/api/v1/layers/combine?" + query, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
        .then(function (r) { return r.ok ? r.text() : fail(r); })
        .then(function (text) { return paintLayers(text, expr); })
        .catch(function (e) { say("combine: " + e.message); });
    });
    downloads.querySelectorAll(".client-dl").forEach(function (b) {
      b.addEventListener("click", function () { download(b.getAttribute("data-format")); });
    });
    // The shown layer into the team's workspace: on a saved layer's page, the layer it shows
    // becomes its next revision (naming the version the page was made from: a change by
    // someone else since is refused, not overwritten); any other layer is saved as a new one.
    if (wsSave) wsSave.addEventListener("click", function () {
      if (current < 0) return;
      const entry = open[current];
      const body = JSON.stringify(entry.layer);
      const headers = { "Content-Type": "application/json" };
      let url = "/api/v1/workspace/layers";
      let method = "POST";
      if (saved && entry.label.indexOf("saved:") === 0) {
        url += "/" + saved.getAttribute("data-layer");
        method = "PUT";
        headers["If-Match"] = '"' + saved.getAttribute("data-version") + '"';
      }
      fetch(url, { method: method, headers: headers, body: body })
        .then(function (r) { return r.ok ? r.json() : fail(r); })
        .then(function (layer) { window.location.assign(layer.url); })
        .catch(function (e) { say("not saved: " + e.message); });
    });
    // A layer the server made for this page joins the open layers, so it can be combined.
    const spec = document.getElementById("layer-spec").value.trim();
    if (spec && document.querySelector("link[href^='/ui/paint.css']")) {
      fetch("/ui/layer.json?layer=" + encodeURIComponent(spec) + "&" + query)
        .then(function (r) { return r.ok ? r.json() : fail(r); })
        .then(function (layer) {
          return fetch("/ui/paint?" + query, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(layer) })
            .then(function (r) { return r.ok ? r.json() : fail(r); })
            .then(function (answer) {
              open.push({ label: spec, layer: answer.layers[0], painted: answer.painted[0] });
              current = 0;
              renderTabs();
            });
        })
        .catch(function (e) { say(spec + ": " + e.message); });
    }
    window.attackdbLayers = { open: open, select: select };
  }

  // The mapped report: the accepted techniques (ticked) go into every action's form.
  function mapPage() {
    const actions = document.getElementById("map-actions");
    if (!actions) return;
    const boxes = Array.prototype.slice.call(document.querySelectorAll("#map-techniques .accept"));
    const count = document.getElementById("accepted-count");
    function update() {
      const accepted = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      actions.querySelectorAll("input[data-list]").forEach(function (input) {
        input.value = input.getAttribute("data-list") + accepted.join(",");
      });
      actions.querySelectorAll("button").forEach(function (b) { b.disabled = accepted.length === 0; });
      actions.setAttribute("data-accepted", accepted.join(","));
      count.textContent = accepted.length + " accepted";
      boxes.forEach(function (b) {
        b.closest("tr").classList.toggle("rejected", !b.checked);
      });
      document.querySelectorAll("#map-text mark.mapped").forEach(function (m) {
        const ids = (m.getAttribute("data-ts") || "").split(" ").filter(Boolean);
        m.classList.toggle("rejected", !ids.some(function (id) { return accepted.indexOf(id) >= 0; }));
      });
    }
    // The accepted set as a saved layer of the team's workspace, then its page.
    const save = document.getElementById("map-save");
    if (save) save.addEventListener("click", function () {
      update();
      const accepted = actions.getAttribute("data-accepted");
      const query = "domain=" + encodeURIComponent(save.getAttribute("data-domain")) +
        "&release=" + encodeURIComponent(save.getAttribute("data-release"));
      fetch("/ui/layer.json?layer=" + encodeURIComponent("techniques:" + accepted) + "&" + query)
        .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.json(); })
        .then(function (layer) {
          layer.name = "mapped: " + save.getAttribute("data-name");
          return fetch("/api/v1/workspace/layers?tags=mapped", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(layer) });
        })
        .then(function (r) { return r.json().then(function (body) { if (!r.ok) throw new Error(body.message || r.statusText); return body; }); })
        .then(function (saved) { window.location.assign(saved.url); })
        .catch(function (e) { count.textContent = "not saved: " + e.message; });
    });
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    // The choices as the boxes say them now: also after the browser gives the page back from
    // its history with the boxes restored, and just before any action is sent.
    actions.querySelectorAll("form").forEach(function (f) { f.addEventListener("submit", update); });
    window.addEventListener("pageshow", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintSwatches(document);
    matrixPage();
    mapPage();
  });
})();
