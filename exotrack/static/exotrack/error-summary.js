// GOV.UK's error summary: after a refused submit, focus moves to the list of problems.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
