// dresskit web: report jobs and account admin. Every page works without this file.
"use strict";
(function () {
  // A finished job says so in the tab's title, for someone who switched tabs while it ran.
  document.addEventListener("htmx:afterSettle", function () {
    var panel = document.getElementById("job-progress");
    if (!panel) {
      return;
    }
    var state = panel.getAttribute("data-state");
    if (state === "done") {
      document.title = "Report ready · dresskit";
    } else if (state === "failed") {
      document.title = "Report failed · dresskit";
    }
  });
  // Forms marked data-confirm ask before they are sent (deactivating an account).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    }
  });
})();
