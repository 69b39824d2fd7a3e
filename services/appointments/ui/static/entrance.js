/* WardGate entrance desk: camera scanning (jsQR, served by WardGate) and keyboard-wedge
   scanners on top of plain forms. Without this script every form still works (POST, then the
   decision page). Nothing personal is logged. */
(function () {
  "use strict";

  var DECODED_AT = "wardgate.entrance.decodedAt";

  function clock() {
    return performance.timeOrigin + performance.now();
  }

  /* The decision page: scan-to-decision time, from the decode on the previous page to this
     decision painted (two animation frames: the first runs before the paint). */
  function measureDecision() {
    var decision = document.getElementById("decision");
    var at = sessionStorage.getItem(DECODED_AT);
    sessionStorage.removeItem(DECODED_AT); // only the page right after the scan counts
    if (!decision || !at) return;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        var ms = clock() - Number(at);
        decision.setAttribute("data-scan-to-decision-ms", ms.toFixed(0));
      });
    });
  }

  function plausible(input) {
    var text = input.value.trim().replace(",", ".");
    if (!text) return null;
    var value = Number(text);
    var low = Number(input.getAttribute("data-low"));
    var high = Number(input.getAttribute("data-high"));
    return isFinite(value) && value >= low && value <= high;
  }

  /* The temperature field: a reading outside the range a body can have is not sent. */
  function checkTemperature(form) {
    var input = form.querySelector("[data-temperature]");
    var prompt = document.getElementById("remeasure");
    if (!input || !prompt) return true;
    var ok = plausible(input);
    var wrong = ok === false;
    prompt.hidden = !wrong;
    if (wrong) {
      prompt.textContent = prompt.getAttribute("data-template").replace(
        "%(temperature)s", input.value.trim()
      );
      input.setAttribute("aria-invalid", "true");
      input.focus();
      input.select();
    } else {
      input.removeAttribute("aria-invalid");
    }
    return ok === true;
  }

  /* A health-code payload came in (camera or wedge + Enter) at `decodedAt`: send the form when
     the temperature is there (the scan-to-decision clock starts at the decode), else ask for
     the temperature first. */
  function payloadReady(form, decodedAt) {
    var input = form.querySelector("[data-temperature]");
    if (input && plausible(input) === null) {
      input.focus();
      return;
    }
    if (!checkTemperature(form)) return;
    sessionStorage.setItem(DECODED_AT, String(decodedAt));
    submit(form);
  }

  function submit(form) {
    var button = form.querySelector("button[type=submit]");
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }

  function setUpScreening(form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-sent") || !checkTemperature(form)) {
        event.preventDefault(); // a double press sends once; a wrong reading not at all
        if (!form.hasAttribute("data-sent")) sessionStorage.removeItem(DECODED_AT);
        return;
      }
      form.setAttribute("data-sent", "");
    });
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-sent"); // back from the decision page: the form works again
    });
    var payload = form.querySelector("[data-payload]");
    if (payload) {
      payload.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        if (payload.value.trim()) payloadReady(form, clock());
      });
    }
    var temperature = form.querySelector("[data-temperature]");
    if (temperature) {
      temperature.addEventListener("input", function () {
        var prompt = document.getElementById("remeasure");
        if (prompt) prompt.hidden = true;
      });
    }
  }

  /* The camera: frames drawn on a canvas and decoded in the page. */
  function Scanner(button) {
    this.button = button;
    this.target = document.getElementById(button.getAttribute("data-scan-for"));
    this.panel = document.getElementById(button.getAttribute("aria-controls"));
    this.video = this.panel.querySelector("video");
    this.status = this.panel.querySelector("[data-scan-status]");
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.stream = null;
  }

  Scanner.prototype.say = function (attribute) {
    if (this.status) this.status.textContent = this.status.getAttribute(attribute) || "";
  };

  Scanner.prototype.start = function () {
    var self = this;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.panel.hidden = false;
      this.say("data-no-camera");
      return;
    }
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.say("data-starting");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (stream) {
        self.stream = stream;
        self.video.srcObject = stream;
        self.video.setAttribute("playsinline", "");
        return self.video.play();
      })
      .then(function () {
        self.say("data-looking");
        requestAnimationFrame(function () { self.frame(); });
      })
      .catch(function () {
        self.stop();
        self.panel.hidden = false;
        self.say("data-no-camera");
      });
  };

  Scanner.prototype.stop = function () {
    if (this.stream) {
      this.stream.getTracks().forEach(function (track) { track.stop(); });
    }
    this.stream = null;
    this.video.srcObject = null;
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  };

  Scanner.prototype.frame = function () {
    var self = this;
    if (!this.stream) return;
    var video = this.video;
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      var scale = Math.min(1, 800 / video.videoWidth);
      var width = Math.round(video.videoWidth * scale);
      var height = Math.round(video.videoHeight * scale);
      this.canvas.width = width;
      this.canvas.height = height;
      this.context.drawImage(video, 0, 0, width, height);
      var image = this.context.getImageData(0, 0, width, height);
      var code = window.jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
      if (code && code.data) {
        var decodedAt = clock();
        this.stop();
        this.decoded(code.data, decodedAt);
        return;
      }
    }
    requestAnimationFrame(function () { self.frame(); });
  };

  Scanner.prototype.decoded = function (text, decodedAt) {
    var target = this.target;
    target.value = text.trim();
    var form = target.form;
    if (form && form.hasAttribute("data-screening")) payloadReady(form, decodedAt);
    else if (form) submit(form);
  };

  function setUpScanners() {
    if (typeof window.jsQR !== "function") return;
    var buttons = document.querySelectorAll("[data-scan-for]");
    Array.prototype.forEach.call(buttons, function (button) {
      var scanner = new Scanner(button);
      button.hidden = false;
      button.addEventListener("click", function () {
        if (scanner.stream) scanner.stop();
        else scanner.start();
      });
      var close = scanner.panel.querySelector("[data-scan-close]");
      if (close) {
        close.addEventListener("click", function () {
          scanner.stop();
          scanner.target.focus();
        });
      }
    });
  }

  /* Choosing the walk-in's department shows its free slot at once (the button stays for
     pages without this script). */
  function setUpAutoSubmit() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () {
        if (select.value && select.form) submit(select.form);
      });
    });
  }

  function setUp() {
    measureDecision();
    setUpAutoSubmit();
    var forms = document.querySelectorAll("form[data-screening]");
    Array.prototype.forEach.call(forms, setUpScreening);
    setUpScanners();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
