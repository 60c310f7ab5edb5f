/* Staff terminal enhancements. Everything works without this file: it adds the PIN keypad and
   the camera scanner (BarcodeDetector where the browser has it, the vendored jsQR otherwise). */
(function () {
  "use strict";

  // The PIN keypad types into the PIN field of its form. The field is read-only while the keypad
  // runs, so the phone's own keyboard never opens over the keypad.
  document.querySelectorAll("[data-keypad]").forEach(function (keypad) {
    var input = keypad.closest("fieldset").querySelector(".pin-input");
    if (!input) { return; }
    var max = parseInt(input.getAttribute("maxlength"), 10) || 6;
    input.readOnly = true;
    input.setAttribute("inputmode", "none");
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      var key = button && button.dataset.key;
      if (!key) { return; }
      if (key === "back") { input.value = input.value.slice(0, -1); }
      else if (key === "clear") { input.value = ""; }
      else if (input.value.length < max) { input.value += key; }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // With a mouse or a keyboard-wedge scanner (a counter PC), the lookup field takes the input
  // straight away; on a touch screen that would open the keyboard over the scan button.
  var lookupField = document.getElementById("card-number");
  if (lookupField && window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
    lookupField.focus();
  }

  // Camera scanning on the lookup screen.
  var scanner = document.querySelector("[data-scanner]");
  if (!scanner || !window.LoyaltyScanner || !window.LoyaltyScanner.supported()) { return; }
  scanner.hidden = false;
  var button = document.getElementById("scan");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var field = document.getElementById("card-number");
  var form = document.getElementById("lookup-form");
  var stop = null;
  button.addEventListener("click", function () {
    if (stop) { stop(); stop = null; video.hidden = true; return; }
    video.hidden = false;
    status.textContent = scanner.dataset.looking || "";
    var messages = {};
    ["denied", "no_camera", "busy", "insecure", "unsupported", "failed"].forEach(function (code) {
      // data-msg-no_camera is dataset.msgNo_camera: only the letter after a dash changes case.
      messages[code] = scanner.dataset["msg" + code.charAt(0).toUpperCase() + code.slice(1)];
    });
    window.LoyaltyScanner.start(video, function (code) {
      stop = null;
      video.hidden = true;
      field.value = code;
      form.submit();
    }, { messages: messages }).then(function (stopFn) { stop = stopFn; }).catch(function (error) {
      video.hidden = true;
      status.textContent = error.message;
    });
  });
})();
