/* Judge workbench: upload a file DIRECTLY from the browser to object storage.
   1. POST /api/v1/lots/{id}/media/ {kind, filename, content_type, size, title} -> {media, upload: {url, fields, method}}
   2. XHR multipart POST of upload.fields + the file to upload.url (presigned S3 POST, or the local endpoint), with progress
   3. POST /api/v1/media/{id}/complete/ -> the server checks size and type, marks the file ready (or rejects it). */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var bar = document.getElementById("up-progress");
  var status = document.getElementById("up-status");
  var en = (document.documentElement.lang || "").indexOf("en") === 0;
  var T = en ? { asking: "Requesting upload…", uploading: "Uploading…", checking: "Checking the file…", done: "Uploaded.", failed: "Upload failed: " }
             : { asking: "正在申请上传…", uploading: "正在上传…", checking: "正在校验文件…", done: "上传完成。", failed: "上传失败：" };

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function api(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || ("HTTP " + r.status)); }
        return j;
      });
    });
  }
  function put(target, file) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      Object.keys(target.fields || {}).forEach(function (k) { data.append(k, target.fields[k]); });
      data.append("file", file);  // S3 requires the file to be the last field
      var xhr = new XMLHttpRequest();
      xhr.open(target.method || "POST", target.url);
      if (target.url.charAt(0) === "/") { xhr.setRequestHeader("X-CSRFToken", csrf()); }
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); }
      };
      xhr.onload = function () { (xhr.status >= 200 && xhr.status < 300) ? resolve() : reject(new Error("HTTP " + xhr.status)); };
      xhr.onerror = function () { reject(new Error(en ? "network error" : "网络错误")); };
      xhr.send(data);
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) { return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    status.className = "small";
    status.textContent = T.asking;
    var lot = form.getAttribute("data-lot");
    var body = { kind: form.kind.value, filename: file.name, content_type: file.type || "application/octet-stream", size: file.size, title: form.title.value };
    var mediaId = null;
    api("/api/v1/lots/" + lot + "/media/", body).then(function (j) {
      mediaId = j.media.id;
      status.textContent = T.uploading;
      return put(j.upload, file);
    }).then(function () {
      status.textContent = T.checking;
      bar.value = 100;
      return api("/api/v1/media/" + mediaId + "/complete/");
    }).then(function (m) {
      if (m.status && m.status !== "ready") { throw new Error(m.rejection || m.status); }
      status.textContent = T.done;
      status.className = "small ok";
      setTimeout(function () { window.location.reload(); }, 600);
    }).catch(function (err) {
      status.textContent = T.failed + err.message;
      status.className = "small error";
      button.disabled = false;
    });
  });
})();
