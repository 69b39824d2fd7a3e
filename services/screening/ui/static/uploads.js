// The spreadsheet upload page: send the form with an upload progress bar and swap in the
// server's outcome, so the chosen file stays chosen for "Store". Without this script the
// form posts as usual.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("upload-form");
    var box = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-status");
    if (!form || !box || !bar || !status || !window.XMLHttpRequest || !window.FormData) {
      return;
    }
    var busy = false;

    function show(text, percent) {
      box.hidden = false;
      status.textContent = text;
      if (percent === null) {
        bar.removeAttribute("value"); // indeterminate: the server's work has no byte count
      } else {
        bar.value = percent;
      }
    }

    function swapOutcome(html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var fresh = page.getElementById("upload-outcome");
      var old = document.getElementById("upload-outcome");
      if (fresh && old) {
        old.replaceWith(fresh);
        var heading = fresh.querySelector("h2");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
        return true;
      }
      return false;
    }

    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]");
      if (busy || !file || !file.files || !file.files.length) {
        return; // no file: let the server say so, as without the script
      }
      event.preventDefault();
      if (file.files[0].size > 10 * 1024 * 1024) {
        show(form.dataset.tooLarge, 0); // the server would refuse it (413) after the upload
        return;
      }
      busy = true;
      var action = event.submitter && event.submitter.value === "store" ? "store" : "check";
      var data = new FormData(form);
      data.set("action", action);
      var request = new XMLHttpRequest();
      // getAttribute: form.action would name the button called "action"
      request.open("POST", form.getAttribute("action"));
      request.setRequestHeader("Accept", "text/html");
      show(form.dataset.sending + " 0%", 0);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total > 0) {
          var percent = Math.round((e.loaded / e.total) * 100);
          show(form.dataset.sending + " " + percent + "%", percent);
        }
      });
      request.upload.addEventListener("load", function () {
        show(action === "store" ? form.dataset.storing : form.dataset.working, null);
      });
      request.addEventListener("load", function () {
        busy = false;
        box.hidden = true;
        var type = request.getResponseHeader("Content-Type") || "";
        if (request.status === 413) {
          show(form.dataset.tooLarge, 0);
        } else if (type.indexOf("text/html") !== 0) {
          show(form.dataset.failed, 0);
        } else if (!swapOutcome(request.responseText)) {
          document.open();
          document.write(request.responseText);
          document.close();
        }
      });
      request.addEventListener("error", function () {
        busy = false;
        show(form.dataset.failed, 0);
      });
      request.send(data);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
