/* Staff terminal enhancements. Everything works without this file: it adds the PIN keypad and
   the camera scanner (BarcodeDetector where the browser has it, the vendored jsQR otherwise). */
(function () {
  "use strict";

  // PIN keypads: big buttons that type into the PIN field of their own form.
  document.querySelectorAll("[data-keypad]").forEach(function (keypad) {
    var input = keypad.closest("fieldset").querySelector(".pin-input");
    if (!input) { return; }
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var key = event.target.closest("button") && event.target.closest("button").dataset.key;
      if (!key) { return; }
      if (key === "back") { input.value = input.value.slice(0, -1); }
      else if (key === "clear") { input.value = ""; }
      else if (input.value.length < 6) { input.value += key; }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

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
