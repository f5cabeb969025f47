// Artifact upload with a progress bar. Without JavaScript the form posts normally.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    var progressBox = form.querySelector("[data-upload-progress]");
    var bar = progressBox.querySelector("progress");
    var percent = form.querySelector("[data-upload-percent]");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var value = Math.floor((e.loaded / e.total) * 100);
        bar.value = value;
        percent.textContent = value + "%";
      });
      request.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
        if (request.status === 201) {
          bar.value = 100;
          percent.textContent = "100%";
          status.textContent = "Uploaded " + body.name + " — SHA-256 " + body.sha256 + ". Reloading…";
          window.location.reload();
        } else {
          status.textContent = body.error || "The upload failed (" + request.status + "). Nothing was stored.";
          status.className = "usa-error-message";
          button.disabled = false;
        }
      });
      request.addEventListener("error", function () {
        status.textContent = "The upload was interrupted. Nothing was stored; try again.";
        status.className = "usa-error-message";
        button.disabled = false;
      });
      progressBox.hidden = false;
      button.disabled = true;
      status.textContent = "";
      request.send(new FormData(form));
    });
  });
})();
