// Signature pad for the consent pages: draws with finger, stylus or mouse (pointer
// events) and, on submit, puts the drawing into the form's hidden field as a PNG data URL.
// An untouched pad sends nothing, so the server can say the box is empty.
(function () {
  "use strict";

  function setUp(canvas) {
    var target = document.getElementById(canvas.dataset.target);
    var context = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    function fitToWidth() {
      // Backing store in device pixels at the canvas's shown size, for crisp strokes.
      var ratio = window.devicePixelRatio || 1;
      var width = canvas.clientWidth;
      var height = Math.round(width / 3);
      canvas.style.height = height + "px";
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      inked = false;
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, 1.2, 0, 2 * Math.PI);
      context.fillStyle = "#111";
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
      inked = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });

    var clear = document.querySelector('[data-signature-clear="' + canvas.id + '"]');
    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        target.value = "";
      });
    }
    canvas.closest("form").addEventListener("submit", function () {
      target.value = inked ? canvas.toDataURL("image/png") : "";
    });
    fitToWidth();
  }

  document.querySelectorAll("canvas[data-signature-pad]").forEach(setUp);
})();
