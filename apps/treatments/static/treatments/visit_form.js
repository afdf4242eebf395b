// Visit form: add dose rows from the empty-row template, fill a site's usual route when
// the site is chosen, and let a barcode scanner's Enter read the vial instead of
// submitting the whole visit.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }
  var rows = document.getElementById("dose-rows");
  var template = document.getElementById("dose-row-template");
  var total = form.querySelector('input[name="doses-TOTAL_FORMS"]');
  var routes = JSON.parse(document.getElementById("site-routes").textContent);

  document.getElementById("add-dose").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    if (window.htmx) { window.htmx.process(row); }
    var site = row.querySelector("select[name$='-site']");
    if (site) { site.focus(); }
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

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "visited_at" && target.value) {
      reloadLots(target.value.slice(0, 10));
      return;
    }
    if (!target.name || !/^doses-\d+-site$/.test(target.name)) { return; }
    var route = form.querySelector('select[name="' + target.name.replace(/-site$/, "-route") + '"]');
    if (route && routes[target.value]) { route.value = routes[target.value]; }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target.classList || !target.classList.contains("scan")) { return; }
    event.preventDefault();
    target.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
