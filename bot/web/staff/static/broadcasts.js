// Thông báo: the live recipient count, the phone previews and the delivery counts that refresh themselves.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (form) {
    var audience = document.getElementById("audience"), tdpBox = document.getElementById("tdp-box"),
        ageBox = document.getElementById("age-box"), wardBox = document.getElementById("ward-box"), count = document.getElementById("count"),
        text = document.getElementById("text"), tg = document.getElementById("preview-telegram"),
        zalo = document.getElementById("preview-zalo"), footer = tg.getAttribute("data-footer");
    var pending = null;
    function boxes() {
      tdpBox.hidden = audience.value !== "tdp";
      ageBox.hidden = audience.value !== "age";
      if (wardBox) { wardBox.hidden = audience.value !== "ward"; }
    }
    function recount() {
      var query = new URLSearchParams({audience: audience.value, tdp: form.tdp.value, age: form.age.value,
                                       ward: form.ward ? form.ward.value : ""});
      fetch(form.getAttribute("data-count") + "?" + query.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) { count.textContent = data.text || data.message || ""; })
        .catch(function () { count.textContent = ""; });
    }
    function preview() {
      var body = text.value.trim();
      var shown = body ? body + "\n\n" + footer : footer;
      tg.textContent = shown;
      zalo.textContent = shown;
    }
    function changed() { boxes(); clearTimeout(pending); pending = setTimeout(recount, 150); }
    audience.addEventListener("change", changed);
    form.tdp.addEventListener("change", changed);
    form.age.addEventListener("change", changed);
    if (form.ward) { form.ward.addEventListener("change", changed); }
    text.addEventListener("input", preview);
    boxes(); preview(); recount();
  }
  var table = document.getElementById("deliveries");
  if (table) {
    var refresh = function () {
      fetch(table.getAttribute("data-status"), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (data) {
          Object.keys(data).forEach(function (id) {
            var row = table.querySelector('tr[data-id="' + id + '"]');
            if (!row) { return; }
            ["queued", "sent", "failed", "unreachable"].forEach(function (k) {
              var cell = row.querySelector('[data-k="' + k + '"]');
              if (cell) { cell.textContent = String(data[id][k]); }
            });
            var pct = row.querySelector('[data-k="percent"]');
            if (pct) { pct.textContent = data[id].percent + "%"; }
            var state = row.querySelector('[data-k="status"]');
            if (state) { state.textContent = data[id].status_text; }
          });
        })
        .catch(function () {});
    };
    setInterval(refresh, 2000);
  }
})();
