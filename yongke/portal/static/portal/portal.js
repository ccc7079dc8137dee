/* 邕科 portal: small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // Money fields: show what the server will read from what is typed ("5000万" = 50,000,000 元),
  // so a missing zero is obvious. The same reading as yongke/core/money.py (exact, whole yuan,
  // at most 10^12); anything it would refuse shows nothing here and is explained on saving.
  var UNITS = { "千万": 10000000n, "百万": 1000000n, "亿": 100000000n, "万": 10000n, "千": 1000n };
  var AMOUNT = /^¥?\s*\+?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?\s*(千万|百万|亿|万|千)?\s*(?:元|圆)?$/;
  function parseYuan(text) {
    var raw = (text || "").normalize("NFKC").replace(/、/g, ",").trim();
    var m = AMOUNT.exec(raw);
    if (!raw || raw.length > 64 || !m || (m[1] === undefined && m[2] === undefined)) return null;
    var frac = m[2] || "";
    var scaled = BigInt((m[1] || "0").replace(/,/g, "") + frac) * (UNITS[m[3]] || 1n);
    var scale = 10n ** BigInt(frac.length);
    if (scaled % scale !== 0n) return null;
    var yuan = scaled / scale;
    return yuan > 1000000000000n ? null : yuan;
  }
  function group(n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function showWan(input) {
    var out = document.getElementById(input.id + "-wan");
    if (!out) return;
    var yuan = parseYuan(input.value);
    if (yuan === null) { out.textContent = ""; return; }
    var rest = (yuan % 10000n).toString().padStart(4, "0").replace(/0+$/, "");
    var wan = group(yuan / 10000n) + (rest ? "." + rest : "");
    var echo = out.dataset.echo || "= %(yuan)s 元（%(wan)s 万元）";
    out.textContent = echo.replace("%(yuan)s", group(yuan)).replace("%(wan)s", wan);
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

  // A step that cannot be undone (撤回, deleting a file) asks first: forms with data-confirm.
  // Delegated on the document, so forms swapped in later (the attachments list) ask too.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  }, true);

  // A passkey just added (django-otp-webauthn's script announces it): show it in the list.
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.setTimeout(function () { window.location.reload(); }, 800);
  });

  function bind(root) { bindMoney(root); bindUpload(root); bindSelectAll(root); }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSwap", function (e) { bind(e.target); });
})();
