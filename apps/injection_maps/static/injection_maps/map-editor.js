// Injection-map editor: a tap on a diagram adds a point in the diagram's own units
// (its viewBox), listed below it with an optional share of the dose. The points travel
// to the server as JSON in the editor's hidden field.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  // `field` is the hidden input holding the points: inside the editor on the map page,
  // passed in by the visit form, whose rows keep it among their other fields.
  function setUp(editor, field) {
    var svg = editor.querySelector("svg.diagram");
    field = field || editor.querySelector('input[name="' + editor.dataset.field + '"]');
    var list = editor.querySelector("[data-point-list]");
    var layer = svg.querySelector("[data-points]");
    var points = JSON.parse(field.value || "[]");

    function save() {
      field.value = JSON.stringify(points);
    }

    function draw() {
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      list.innerHTML = "";
      points.forEach(function (point, index) {
        var dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", point.x);
        dot.setAttribute("cy", point.y);
        dot.setAttribute("r", "4.5");
        layer.appendChild(dot);
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("x", point.x);
        label.setAttribute("y", point.y);
        label.setAttribute("dx", "6");
        label.setAttribute("dy", "-5");
        label.textContent = String(index + 1) + (point.share_percent ? " · " + point.share_percent + "%" : "");
        layer.appendChild(label);

        var item = document.createElement("li");
        var share = document.createElement("input");
        share.type = "number";
        share.min = "1";
        share.max = "100";
        share.inputMode = "numeric";
        share.value = point.share_percent || "";
        share.setAttribute("aria-label", "Share of the dose at point " + (index + 1) + " (%)");
        share.addEventListener("change", function () {
          point.share_percent = share.value ? parseInt(share.value, 10) : null;
          save();
          draw();
        });
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove point " + (index + 1));
        remove.addEventListener("click", function () {
          points.splice(index, 1);
          save();
          draw();
        });
        item.append("Point " + (index + 1) + ", share ", share, " % ", remove);
        list.appendChild(item);
      });
    }

    svg.addEventListener("click", function (event) {
      var spot = svg.createSVGPoint();
      spot.x = event.clientX;
      spot.y = event.clientY;
      var inDiagram = spot.matrixTransform(svg.getScreenCTM().inverse());
      points.push({
        x: Math.round(inDiagram.x * 10) / 10,
        y: Math.round(inDiagram.y * 10) / 10,
        share_percent: null
      });
      save();
      draw();
    });
    editor.querySelector("[data-clear-points]").addEventListener("click", function () {
      points = [];
      save();
      draw();
    });
    draw();
  }

  document.querySelectorAll("[data-map-editor]").forEach(function (editor) { setUp(editor); });
  window.injectionMapEditor = setUp;
})();
