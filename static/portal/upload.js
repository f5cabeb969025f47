// Artifact upload with a progress bar.
// With tus-js-client (static/tus, from npm) the file goes to the resumable
// (tus) endpoint in pieces: it can be paused and resumed, and after a reload
// choosing the same file carries on where it stopped (the upload's URL is kept
// in localStorage under a fingerprint of the file, the kind and the case).
// Without tus, one XMLHttpRequest posts the form; without JavaScript the form
// posts normally.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    var progressBox = form.querySelector("[data-upload-progress]");
    var bar = progressBox.querySelector("progress");
    var percent = form.querySelector("[data-upload-percent]");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");
    var pauseButton = form.querySelector("[data-upload-pause]");
    var resumeButton = form.querySelector("[data-upload-resume]");
    var current = null;

    function showProgress(loaded, total) {
      var value = total ? Math.floor((loaded / total) * 100) : 0;
      bar.value = value;
      percent.textContent = value + "%";
    }

    function fail(message) {
      status.textContent = message;
      status.className = "usa-error-message";
      button.disabled = false;
      pauseButton.hidden = true;
      resumeButton.hidden = true;
      current = null;
    }

    function done(name, sha256) {
      showProgress(1, 1);
      status.className = "";
      status.textContent = "Uploaded " + name + " — SHA-256 " + sha256 + ". Reloading…";
      pauseButton.hidden = true;
      resumeButton.hidden = true;
      window.location.reload();
    }

    function errorMessage(error) {
      var response = error && error.originalResponse;
      if (response) {
        try {
          var body = JSON.parse(response.getBody());
          if (body.error) { return body.error; }
        } catch (ignored) { /* not JSON */ }
        return "The upload failed (" + response.getStatus() + ").";
      }
      return "The upload was interrupted. Choose the same file and upload again to carry on.";
    }

    function uploadWithTus(file) {
      var kind = form.elements.kind.value;
      var supersedes = form.elements.supersedes ? form.elements.supersedes.value : "";
      var endpoint = form.getAttribute("data-tus-endpoint");
      var path = form.elements.relative_path ? form.elements.relative_path.value.trim() : "";
      var metadata = { filename: file.name, kind: kind };
      if (supersedes) { metadata.supersedes = supersedes; }
      if (path) { metadata.path = path; }
      var upload = new window.tus.Upload(file, {
        endpoint: endpoint,
        chunkSize: parseInt(form.getAttribute("data-tus-chunk-bytes"), 10) || 16 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        metadata: metadata,
        headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
        removeFingerprintOnSuccess: true,
        fingerprint: function (f) {
          return Promise.resolve(
            ["portal-artifact", endpoint, kind, path, f.name, f.size, f.lastModified].join("|")
          );
        },
        onProgress: showProgress,
        onSuccess: function (payload) {
          var response = payload && payload.lastResponse;
          done(file.name, response ? response.getHeader("Artifact-SHA256") : "");
        },
        onError: function (error) { fail(errorMessage(error)); }
      });
      current = upload;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          status.textContent = "Carrying on with the upload of " + file.name + " where it stopped.";
          upload.resumeFromPreviousUpload(previous[0]);
        }
        upload.start();
      });
    }

    function uploadWithForm() {
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { showProgress(e.loaded, e.total); }
      });
      request.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = {}; }
        if (request.status === 201) {
          done(body.name, body.sha256);
        } else {
          fail(body.error || "The upload failed (" + request.status + "). Nothing was stored.");
        }
      });
      request.addEventListener("error", function () {
        fail("The upload was interrupted. Nothing was stored; try again.");
      });
      request.send(new FormData(form));
    }

    pauseButton.addEventListener("click", function () {
      if (!current) { return; }
      current.abort();
      pauseButton.hidden = true;
      resumeButton.hidden = false;
      status.className = "";
      status.textContent = "Paused at " + percent.textContent + ". Resume to carry on.";
    });

    resumeButton.addEventListener("click", function () {
      if (!current) { return; }
      resumeButton.hidden = true;
      pauseButton.hidden = false;
      status.textContent = "";
      current.start();
    });

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      var file = form.elements.file.files[0];
      // Resumable uploads are for drafts: a submitted case's form has no tus endpoint.
      var tusReady = window.tus && window.tus.isSupported && file && form.elements.kind.value &&
        form.getAttribute("data-tus-endpoint");
      event.preventDefault();
      progressBox.hidden = false;
      button.disabled = true;
      status.textContent = "";
      status.className = "";
      showProgress(0, 1);
      if (tusReady) {
        pauseButton.hidden = false;
        uploadWithTus(file);
      } else {
        uploadWithForm();  // the form says what is missing, as before
      }
    });
  });
})();
