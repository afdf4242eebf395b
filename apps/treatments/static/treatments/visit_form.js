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

  form.addEventListener("change", function (event) {
    var target = event.target;
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
