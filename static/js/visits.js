// The cadre's phone pages (我联系的户 and the visit form): the offline outbox, the service
// worker's registration, and the form's small helpers. Loaded only on those pages.
//
// Every visit saved from the form goes through the outbox, with or without signal: it is put in
// IndexedDB with a UUID made here, then POSTed to /api/visits with that UUID as
// Idempotency-Key (and the session's CSRF token) until the server answers. A resend after a
// lost answer gets the same record back (200), never a second one. An answer the server will
// never accept (a refused date, a household no longer paired) leaves the visit in the outbox
// marked failed, with the server's reason, until the cadre retries or deletes it: nothing is
// dropped silently. Without scripts (or IndexedDB) the form posts as a plain page form.
(function () {
  "use strict";

  var app = document.querySelector("[data-phone-app]");
  if (!app) { return; }
  var USER = app.getAttribute("data-user") || "";
  var DB_NAME = "lianxin";
  var STORE = "outbox";
  var SENT_KEY = "lianxin-sent";
  var FLASH_KEY = "lianxin-flash";

  // --- small helpers ---------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // The CSRF cookie is current even when this page came from the offline cache (the token in
  // a cached page's <meta> may predate a new login); the meta tag is the fallback.
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function localDay() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
      String(d.getDate()).padStart(2, "0");
  }

  function sessionList(key) {
    try { return JSON.parse(window.sessionStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }

  // --- the outbox (IndexedDB) ------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = window.indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          open.result.createObjectStore(STORE, { keyPath: "key" });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function putItem(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function deleteItem(key) { return tx("readwrite", function (s) { return s.delete(key); }); }
  function allItems() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }

  // --- sending ---------------------------------------------------------------------------------

  function reasonOf(response) {
    return response.json().then(function (body) { return (body && body.detail) || ""; })
      .catch(function () { return ""; });
  }

  // One item: "sent", "failed" (kept, with the server's reason), or "later" (kept, retried).
  function send(item) {
    return fetch("/api/visits", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().catch(function () { return {}; }).then(function (visit) {
          var sent = sessionList(SENT_KEY);
          sent.push({ key: item.key, label: item.label, day: item.body.occurred_on, id: visit.id });
          window.sessionStorage.setItem(SENT_KEY, JSON.stringify(sent.slice(-20)));
          return deleteItem(item.key).then(function () { return "sent"; });
        });
      }
      return reasonOf(response).then(function (detail) {
        item.tries = (item.tries || 0) + 1;
        if (response.status === 401 || (response.status === 403 && /CSRF/.test(detail))) {
          item.state = "pending";
          item.error = "登录已过期：请重新登录，登录后自动发送";
          return putItem(item).then(function () { return "stop"; });
        }
        if (response.status >= 500 || response.status === 429) {
          item.state = "pending";
          item.error = "服务器暂时无法保存（" + response.status + "），稍后自动重试";
          return putItem(item).then(function () { return "later"; });
        }
        item.state = "failed";
        item.error = detail || "服务器未接受（" + response.status + "）";
        return putItem(item).then(function () { return "failed"; });
      });
    }, function () {
      item.state = "pending";
      item.error = "";
      return putItem(item).then(function () { return "stop"; });
    });
  }

  var flushing = null;
  // Send this account's pending items one by one, oldest first; stop at the first sign of no
  // signal or an expired login. Failed items wait for the cadre's 重试.
  function flush() {
    if (flushing) { return flushing; }
    flushing = allItems().then(function (items) {
      var mine = items.filter(function (i) { return i.user === USER && i.state !== "failed"; });
      var chain = Promise.resolve("go");
      mine.forEach(function (item) {
        chain = chain.then(function (last) { return last === "stop" ? "stop" : send(item); });
      });
      return chain;
    }).catch(function () { return "stop"; }).then(function () {
      flushing = null;
      return render();
    });
    return flushing;
  }

  // --- showing the outbox ----------------------------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }

  function render() {
    var box = document.querySelector("[data-outbox]");
    return allItems().then(function (items) {
      var mine = items.filter(function (i) { return i.user === USER; });
      var others = items.length - mine.length;
      var pendingFor = {};
      mine.forEach(function (i) { pendingFor[i.household] = (pendingFor[i.household] || 0) + 1; });
      document.querySelectorAll("[data-pending-for]").forEach(function (p) {
        var n = pendingFor[p.getAttribute("data-pending-for")] || 0;
        p.hidden = n === 0;
        p.textContent = n ? "有 " + n + " 条走访待发送（已登记在本机）" : "";
      });
      if (!box) { return; }
      var sent = sessionList(SENT_KEY);
      var sentLine = box.querySelector("[data-outbox-sent]");
      sentLine.hidden = sent.length === 0;
      sentLine.textContent = sent.length ? "已发送 " + sent.length + " 条：" +
        sent.map(function (s) { return s.label + "（" + s.day + "）"; }).join("、") : "";
      box.hidden = mine.length === 0 && others === 0 && sent.length === 0;
      box.querySelector("[data-outbox-count]").textContent = String(mine.length);
      box.querySelector(".outbox-count").hidden = mine.length === 0;
      box.querySelector("[data-outbox-state]").textContent = mine.length
        ? (navigator.onLine ? "，正在发送…" : "，当前没有网络，有信号后自动发送") +
          (others ? "；另有 " + others + " 条由其他账号登记，待其登录后发送" : "")
        : "";
      var list = box.querySelector("[data-outbox-items]");
      list.textContent = "";
      mine.forEach(function (item) {
        var li = el("li", "outbox-item " + item.state);
        li.setAttribute("data-outbox-item", item.state);
        li.appendChild(el("span", "", item.label + " · " + item.body.occurred_on + " · " +
          (item.state === "failed" ? "发送失败" : "待发送")));
        if (item.error) { li.appendChild(el("span", "reason", "：" + item.error)); }
        if (item.state === "failed") {
          var retry = el("button", "secondary", "重试");
          retry.type = "button";
          retry.addEventListener("click", function () {
            item.state = "pending";
            putItem(item).then(flush);
          });
          var drop = el("button", "secondary", "删除");
          drop.type = "button";
          drop.addEventListener("click", function () {
            if (window.confirm("删除后这条走访不会发送，确定删除？")) {
              deleteItem(item.key).then(render);
            }
          });
          li.appendChild(retry);
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
      box.setAttribute("data-outbox-ready", "1");
    });
  }

  // --- the visit form --------------------------------------------------------------------------

  function bodyOf(form) {
    var data = new FormData(form);
    var household = parseInt(form.getAttribute("data-household"), 10);
    var met = data.get("met") !== "0";
    var text = function (name) { return String(data.get(name) || "").trim(); };
    return {
      households: [{
        household_id: household,
        met: met,
        members: met ? data.getAll("members").map(Number) : []
      }],
      occurred_on: text("occurred_on") || localDay(),
      occurred_at: null,
      mode: text("mode") || "in_person",
      heard: text("heard"),
      notes: text("notes"),
      help_kind: text("help_kind") || null,
      help_text: text("help_text"),
      needs: data.getAll("need").map(function (t) { return String(t).trim(); })
        .filter(Boolean).map(function (t) { return { household_id: household, text: t, category: "" }; })
    };
  }

  function summarise(form) {
    var out = form.querySelector("[data-summary-text]");
    if (!out) { return; }
    var mode = form.querySelector("input[name=mode]:checked");
    var met = form.querySelector("input[name=met]:checked");
    var day = form.querySelector("input[name=occurred_on]");
    var who = [];
    form.querySelectorAll("input[name=members]:checked").forEach(function (box) {
      who.push(box.parentNode.textContent.trim().replace(/（.*）$/, ""));
    });
    var parts = [
      mode ? mode.parentNode.textContent.trim() : "上门走访",
      day && day.value && day.value !== localDay() ? day.value : "今天",
      met && met.value === "0" ? "家中无人" : (who.length ? "见到" + who.join("、") : "见到人")
    ];
    out.textContent = parts.join(" · ");
  }

  var form = document.querySelector("form[data-visit-form]");
  if (form) {
    var day = form.querySelector("input[name=occurred_on]");
    // A form kept offline was drawn on another day: today is the phone's today.
    if (day && day.value === form.getAttribute("data-today")) { day.value = localDay(); }
    if (day) { day.max = localDay(); }
    summarise(form);
    form.addEventListener("change", function (event) {
      // Nobody home: no member was met (the server refuses both together).
      if (event.target.name === "met" && event.target.value === "0") {
        form.querySelectorAll("input[name=members]").forEach(function (box) { box.checked = false; });
      }
      summarise(form);
    });
    var add = form.querySelector("[data-add-need]");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var input = document.createElement("input");
        input.name = "need";
        input.maxLength = 500;
        input.setAttribute("aria-label", "诉求");
        form.querySelector("[data-needs-list]").appendChild(input);
        input.focus();
      });
    }
    form.addEventListener("submit", function (event) {
      if (!window.indexedDB) { return; }  // the plain form post
      event.preventDefault();
      var buttons = form.querySelectorAll("button[type=submit]");
      buttons.forEach(function (b) { b.disabled = true; });
      var item = {
        key: uuid4(),
        user: USER,
        household: form.getAttribute("data-household"),
        label: form.getAttribute("data-label"),
        body: bodyOf(form),
        state: "pending",
        error: "",
        created: Date.now(),
        tries: 0
      };
      putItem(item).then(function () {
        window.sessionStorage.setItem(FLASH_KEY, navigator.onLine
          ? "已登记：" + item.label
          : "已登记在本机：" + item.label + "，有信号后自动发送");
        return navigator.onLine ? flush() : null;
      }).then(function () {
        window.location.assign("/");
      }, function () {
        // IndexedDB refused (private mode, full disk): fall back to the plain form post.
        buttons.forEach(function (b) { b.disabled = false; });
        form.submit();
      });
    });
  }

  // --- the page --------------------------------------------------------------------------------

  var flash = document.querySelector("[data-flash]");
  var flashText = window.sessionStorage.getItem(FLASH_KEY);
  if (flash && flashText) {
    flash.textContent = flashText;
    flash.hidden = false;
    window.sessionStorage.removeItem(FLASH_KEY);
  }

  if (window.indexedDB) {
    render().then(function () { if (navigator.onLine) { return flush(); } });
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", function () { render(); });
    window.setInterval(function () { if (navigator.onLine) { flush(); } }, 30000);
  }

  // --- the service worker ----------------------------------------------------------------------

  var sw = app.getAttribute("data-sw");
  if (sw && "serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "warmed" && data.kept === data.asked) {
        var ready = document.querySelector("[data-offline-ready]");
        if (ready) { ready.hidden = false; }
      }
    });
    navigator.serviceWorker.register(sw, { scope: "/" }).catch(function () { return null; });
    navigator.serviceWorker.ready.then(function (registration) {
      var urls = JSON.parse(app.getAttribute("data-warm") || "[]");
      if (!navigator.serviceWorker.controller) {
        urls.push(window.location.pathname);  // this page came from the network, not the worker
      }
      // The forms are fetched again once a day (members, the day's date); otherwise only those
      // not kept yet.
      var today = localDay();
      var force = window.localStorage.getItem("lianxin-warmed") !== today;
      if (registration.active && navigator.onLine) {
        registration.active.postMessage({ type: "warm", urls: urls, force: force });
        window.localStorage.setItem("lianxin-warmed", today);
      }
    });
  }
})();
