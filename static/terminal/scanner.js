/*
 * LoyaltyScanner: read a QR code from the device camera.
 *
 *   <script src="/static/vendor/jsqr/jsQR.js"></script>
 *   <script src="/static/terminal/scanner.js"></script>
 *
 *   LoyaltyScanner.start(videoEl, function (text) { ... })
 *     .then(function (stop) { ... })              // call stop() to cancel scanning
 *     .catch(function (err) { show(err.message) }); // err.code: see MESSAGES
 *
 * start(videoEl, onCode[, options]) -> Promise<stop>
 *   Opens the rear camera, plays it in videoEl and decodes a frame every ~150 ms, with the
 *   browser's BarcodeDetector when it reads QR codes, else with jsQR (vendored). On the first
 *   code it stops the camera and calls onCode(text) once, never before the promise has
 *   resolved. videoEl.dataset.decoder tells which decoder runs: "barcode-detector" or "jsqr".
 *   options.messages: {code: text} overrides the English error messages (pass translated ones).
 *   options.interval: milliseconds between two decoded frames (default 150).
 *   Rejects with an Error whose message can be shown as is and whose .code is one of the keys
 *   of MESSAGES.
 * supported() -> bool: this browser can open a camera and has a decoder.
 *
 * No dependency but jsQR, no build step.
 */
(function () {
  "use strict";

  var MESSAGES = {
    insecure: "The camera is only available on a secure (https) page.",
    unsupported: "This browser cannot scan QR codes. Type the card number instead.",
    denied: "Camera access was refused. Allow the camera for this site and try again.",
    no_camera: "No camera was found on this device.",
    busy: "The camera is in use by another application.",
    failed: "The camera could not be started.",
  };
  var MAX_WIDTH = 800; // larger frames are scaled down before jsQR reads them: faster, as good

  function hasCamera() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function supported() {
    return hasCamera() && ("BarcodeDetector" in window || typeof window.jsQR === "function");
  }

  function scanError(code, messages, cause) {
    var err = new Error((messages && messages[code]) || MESSAGES[code]);
    err.code = code;
    if (cause) err.cause = cause;
    return err;
  }

  function codeFor(domError) {
    switch (domError && domError.name) {
      case "NotAllowedError":
      case "PermissionDeniedError":
      case "SecurityError":
        return "denied";
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return "no_camera";
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return "busy";
      default:
        return "failed";
    }
  }

  // A decoder is a function(videoEl) -> Promise<string|null>.
  function nativeDecoder() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    var formats = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats()
      : Promise.resolve(["qr_code"]);
    return formats.then(
      function (list) {
        if (list.indexOf("qr_code") < 0) return null;
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      },
      function () {
        return null;
      }
    );
  }

  function jsqrDecoder() {
    if (typeof window.jsQR !== "function") return null;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      context.drawImage(video, 0, 0, w, h);
      var image = context.getImageData(0, 0, w, h);
      var code = window.jsQR(image.data, w, h, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code ? code.data : null);
    };
  }

  function pickDecoder() {
    return nativeDecoder().then(function (native) {
      if (native) return { name: "barcode-detector", decode: native };
      var fallback = jsqrDecoder();
      return fallback ? { name: "jsqr", decode: fallback } : null;
    });
  }

  function start(videoEl, onCode, options) {
    options = options || {};
    var messages = options.messages;
    var interval = options.interval || 150;
    if (!hasCamera()) {
      return Promise.reject(
        scanError(window.isSecureContext === false ? "insecure" : "unsupported", messages)
      );
    }
    return pickDecoder().then(function (decoder) {
      if (!decoder) throw scanError("unsupported", messages);
      return navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .catch(function (domError) {
          throw scanError(codeFor(domError), messages, domError);
        })
        .then(function (stream) {
          var stopped = false;
          var timer = null;

          function stop() {
            if (stopped) return;
            stopped = true;
            clearTimeout(timer);
            stream.getTracks().forEach(function (track) {
              track.stop();
            });
            videoEl.pause();
            videoEl.srcObject = null;
          }

          function tick() {
            if (stopped) return;
            // HAVE_CURRENT_DATA: a frame can be drawn.
            if (videoEl.readyState < 2 || !videoEl.videoWidth) {
              timer = setTimeout(tick, interval);
              return;
            }
            decoder
              .decode(videoEl)
              .catch(function () {
                return null; // a frame that cannot be read: try the next one
              })
              .then(function (text) {
                if (stopped) return;
                if (text) {
                  stop();
                  onCode(text);
                } else {
                  timer = setTimeout(tick, interval);
                }
              });
          }

          videoEl.dataset.decoder = decoder.name;
          videoEl.muted = true; // autoplay without a gesture, and no sound anyway
          videoEl.setAttribute("playsinline", ""); // iOS: not full screen
          videoEl.srcObject = stream;
          return Promise.resolve(videoEl.play()).then(
            function () {
              // A macrotask: whoever awaits start() holds stop before onCode can run.
              timer = setTimeout(tick, 0);
              return stop;
            },
            function (playError) {
              stop();
              throw scanError("failed", messages, playError);
            }
          );
        });
    });
  }

  window.LoyaltyScanner = { start: start, supported: supported };
})();
