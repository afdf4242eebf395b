// Visit form: add and remove dose rows (keeping the formset's numbering whole), fill a
// site's usual route, show its usual dose and its injection-map diagram when the site is
// chosen, and let a barcode scanner's Enter read the vial instead of submitting the whole
// visit.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }
  var rows = document.getElementById("dose-rows");
  var template = document.getElementById("dose-row-template");
  var total = form.querySelector('input[name="doses-TOTAL_FORMS"]');
  var addButton = document.getElementById("add-dose");
  var routes = JSON.parse(document.getElementById("site-routes").textContent);
  var usualDoses = JSON.parse(document.getElementById("site-usual-doses").textContent);
  var siteDiagrams = JSON.parse(document.getElementById("site-diagrams").textContent);
  // The empty row says what the hint says before a site is chosen.
  var noSiteHint = template.content.querySelector("[id$='-billions_helptext']").textContent;
  var ROW_PREFIX = /doses-\d+/g;
  var NUMBERED = ["id", "name", "for", "aria-describedby", "hx-vals"];

  function doseRows() { return rows.querySelectorAll(".dose-row"); }

  // Django reads rows 0 to TOTAL_FORMS - 1: a row's names follow its place on the page.
  function number(row, index) {
    [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (el) {
      NUMBERED.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(ROW_PREFIX, "doses-" + index)); }
      });
    });
    row.querySelectorAll(".dose-number").forEach(function (span) {
      span.textContent = String(index + 1);
    });
  }

  // A visit records at least one site: the only row has nothing to be removed for.
  function showRemoveButtons() {
    var all = doseRows();
    all.forEach(function (row) {
      row.querySelector(".remove-dose").hidden = all.length < 2;
    });
  }

  addButton.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    number(row, index);
    rows.appendChild(row);
    total.value = String(index + 1);
    if (window.htmx) { window.htmx.process(row); }
    showRemoveButtons();
    var site = row.querySelector("select[name$='-site']");
    if (site) { site.focus(); }
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-dose");
    if (!button) { return; }
    var row = button.closest(".dose-row");
    var next = row.nextElementSibling;
    row.remove();
    doseRows().forEach(number);
    total.value = String(doseRows().length);
    showRemoveButtons();
    // The row that took its place, or the button to add one back.
    var focus = next ? next.querySelector("select[name$='-site']") : addButton;
    focus.focus();
  });

  // A scanned vial comes back as the whole row: it may need its Remove button and map.
  document.body.addEventListener("htmx:load", function () {
    showRemoveButtons();
    doseRows().forEach(mountMap);
  });

  // Another visit day can change which lots are usable: reload every lot picker,
  // keeping each row's choice when that lot is still on the list.
  function reloadLots(day) {
    fetch(form.dataset.lotOptions + "?on=" + encodeURIComponent(day), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        document.querySelectorAll("select[name$='-lot']").forEach(function (select) {
          var chosen = select.value;
          select.innerHTML = html;
          select.value = chosen;
          if (select.value !== chosen) { select.value = ""; }
        });
        // New rows are copied from the empty row: give it the same list.
        var blank = template.content.querySelector("select[name$='-lot']");
        if (blank) { blank.innerHTML = html; }
      });
  }

  // The row's injection map: the chosen site's diagram, with the points its hidden
  // field holds (kept when the form comes back). Another diagram starts empty: points
  // tapped on a knee mean nothing on a face.
  function mountMap(row) {
    var slot = row.querySelector("[data-map-slot]");
    var site = row.querySelector("select[name$='-site']");
    var field = row.querySelector("input[name$='-injection_points']");
    if (!slot || !site || !field || !window.injectionMapEditor) { return; }
    var key = siteDiagrams[site.value] || "";
    if (slot.dataset.diagram === key) { return; }
    if (slot.dataset.diagram) { field.value = ""; }
    slot.dataset.diagram = key;
    var shown = document.getElementById("diagram-" + key);
    if (!key || !shown) {
      slot.innerHTML = '<p class="muted">Choose the site to see its diagram.</p>';
      return;
    }
    slot.innerHTML = "";
    slot.appendChild(shown.content.cloneNode(true));
    window.injectionMapEditor(slot, field);
  }

  function siteChosen(select) {
    var row = select.name.replace(/-site$/, "");
    var route = form.querySelector('select[name="' + row + '-route"]');
    if (route && routes[select.value]) { route.value = routes[select.value]; }
    var hint = document.getElementById("id_" + row + "-billions_helptext");
    if (hint) { hint.textContent = usualDoses[select.value] || noSiteHint; }
    mountMap(select.closest(".dose-row"));
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "visited_at" && target.value) {
      reloadLots(target.value.slice(0, 10));
      return;
    }
    if (target.name && /^doses-\d+-site$/.test(target.name)) { siteChosen(target); }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.classList || !target.classList.contains("scan")) { return; }
    event.preventDefault();
    target.dispatchEvent(new Event("change", { bubbles: true }));
  });

  showRemoveButtons();
  doseRows().forEach(mountMap);
})();
