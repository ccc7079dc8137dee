/* 邕科 portal: small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // Money fields: show the amount in 万元 beside what is typed, so a missing zero is obvious.
  function showWan(input) {
    var out = document.getElementById(input.id + "-wan");
    if (!out) return;
    var raw = (input.value || "").replace(/[,，\s]/g, "");
    if (!/^\d+$/.test(raw)) { out.textContent = ""; return; }
    var wan = Number(raw) / 10000;
    out.textContent = "≈ " + wan.toLocaleString("zh-CN", { maximumFractionDigits: 4 }) + " 万元";
  }
  function bindMoney(root) {
    root.querySelectorAll('input[data-unit="元"]').forEach(function (input) {
      if (input.dataset.bound) return;
      input.dataset.bound = "1";
      input.addEventListener("input", function () { showWan(input); });
      showWan(input);
    });
  }

  // Attachments: upload with a progress bar (XMLHttpRequest reports upload progress; fetch does not).
  function bindUpload(root) {
    root.querySelectorAll("form[data-upload]").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var bar = form.querySelector("progress");
        var status = form.querySelector("[data-upload-status]");
        var button = form.querySelector("button[type=submit]");
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("HX-Request", "true");
        xhr.upload.addEventListener("progress", function (e) {
          if (!e.lengthComputable) return;
          var pct = Math.round((e.loaded / e.total) * 100);
          bar.value = pct;
          status.textContent = form.dataset.uploading.replace("%s", pct);
        });
        xhr.addEventListener("load", function () {
          button.disabled = false;
          var target = document.querySelector(form.dataset.upload);
          if (xhr.status >= 200 && xhr.status < 300 && target) {
            target.outerHTML = xhr.responseText;
            bar.value = 100;
            status.textContent = form.dataset.done;
            form.reset();
          } else {
            bar.value = 0;
            status.textContent = xhr.responseText || form.dataset.failed;
          }
        });
        xhr.addEventListener("error", function () {
          button.disabled = false;
          status.textContent = form.dataset.failed;
        });
        bar.hidden = false;
        bar.value = 0;
        button.disabled = true;
        xhr.send(new FormData(form));
      });
    });
  }

  // Batch tables: a "select all" box.
  function bindSelectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      if (box.dataset.bound) return;
      box.dataset.bound = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll('input[name="' + box.dataset.selectAll + '"]').forEach(function (b) { b.checked = box.checked; });
      });
    });
  }

  function bind(root) { bindMoney(root); bindUpload(root); bindSelectAll(root); }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSwap", function (e) { bind(e.target); });
})();
