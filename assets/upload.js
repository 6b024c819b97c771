/* Data page: send a dropped or chosen file to POST /data/upload with a real progress bar.
 * The raw bytes go as the body (no base64, no form parsing), the display name in a header; the
 * custom X-Mauzo-Upload header is what a cross-site form cannot send. Results reach Dash through
 * dash_clientside.set_props: the upload id lands in the data-upload store, which runs the preview. */
(function () {
  "use strict";

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function status(text, failed) {
    setProps("data-upload-status", {children: text, className: "small mt-1" + (failed ? " text-danger fw-semibold" : "")});
  }

  function megabytes(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)).toLocaleString() + " KB";
    }
    return (bytes / (1024 * 1024)).toLocaleString(undefined, {maximumFractionDigits: 1}) + " MB";
  }

  function send(file) {
    var zone = document.getElementById("data-drop");
    if (!zone || !file) { return; }
    var limit = parseInt(zone.getAttribute("data-max-bytes") || "0", 10);
    setProps("data-upload-progress", {value: 0, label: "", color: "primary"});
    if (limit && file.size > limit) {
      status("Refused: " + file.name + " (" + megabytes(file.size) + ") is larger than the upload limit of " +
             zone.getAttribute("data-limit-label") + " (MAUZO_MAX_UPLOAD_MB); split it, or load it with " +
             "`mauzo ingest` on the server.", true);
      setProps("data-upload-progress", {value: 100, label: "refused", color: "danger"});
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/data/upload");
    xhr.setRequestHeader("X-Mauzo-Upload", "1");
    xhr.setRequestHeader("X-Upload-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) { return; }
      var percent = Math.round(100 * event.loaded / event.total);
      setProps("data-upload-progress", {value: percent, label: percent + " %"});
      status("Uploading " + file.name + ": " + megabytes(event.loaded) + " of " + megabytes(event.total), false);
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {error: xhr.statusText || "no answer"}; }
      if (xhr.status === 200 && body.id) {
        setProps("data-upload-progress", {value: 100, label: "uploaded", color: "success"});
        status("Uploaded " + body.name + " (" + megabytes(body.size) + ").", false);
        setProps("data-upload", {data: body});
      } else {
        setProps("data-upload-progress", {value: 100, label: "refused", color: "danger"});
        status("Refused: " + (body.error || ("the server answered " + xhr.status)), true);
      }
    };
    xhr.onerror = function () {
      setProps("data-upload-progress", {value: 100, label: "failed", color: "danger"});
      status("The upload failed (connection lost, or refused by the server before it ended).", true);
    };
    status("Uploading " + file.name + "…", false);
    xhr.send(file);
  }

  // The file chooser is made here: Dash has no file input component of its own.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#data-choose");
    if (!button) { return; }
    var input = document.createElement("input");
    input.type = "file";
    input.id = "data-file-input";
    input.accept = ".csv,.txt,.tsv,.xlsx,.xlsm,.parquet,.pq";
    input.style.display = "none";
    input.addEventListener("change", function () {
      if (input.files.length) { send(input.files[0]); }
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest("#data-drop");
      if (zone) { event.preventDefault(); zone.classList.add("mauzo-upload-over"); }
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("#data-drop");
    if (zone) { zone.classList.remove("mauzo-upload-over"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("#data-drop");
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("mauzo-upload-over");
    if (event.dataTransfer && event.dataTransfer.files.length) { send(event.dataTransfer.files[0]); }
  });
})();
