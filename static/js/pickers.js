// The cascading region picker and the search picker (lianxin/geo/pickers.py,
// lianxin/core/pickers.py). No inline script, no style="" (CSP): state lives in classes and
// data-* attributes. Without this file both still submit as plain form fields.
(function () {
  "use strict";

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.onerror = function () { done(0, null); };
    xhr.send();
    return xhr;
  }

  // Cascading picker: changing a level reloads the one below and empties those further down.
  // An entry form (data-choose-only) takes a level's single option; a filter form leaves it at
  // 全部, since choosing it would narrow the list unasked.
  function fillSelect(select, items, empty, chooseOnly) {
    while (select.options.length) { select.remove(0); }
    select.add(new Option(empty, ""));
    for (var i = 0; i < items.length; i++) { select.add(new Option(items[i].label, items[i].id)); }
    if (chooseOnly && items.length === 1) { select.value = String(items[0].id); }
  }

  function cascade(picker, select) {
    var selects = picker.querySelectorAll("select");
    var index = Array.prototype.indexOf.call(selects, select);
    var next = selects[index + 1];
    if (!next) { return; }
    var empty = picker.getAttribute("data-empty") || "";
    var chooseOnly = picker.hasAttribute("data-choose-only");
    for (var j = index + 1; j < selects.length; j++) { fillSelect(selects[j], [], empty, false); }
    var value = select.value;
    var level = next.getAttribute("data-level");
    if (!value && !(level === "village" && picker.hasAttribute("data-every-village"))) { return; }
    var url = picker.getAttribute("data-url") + "?level=" + encodeURIComponent(level) +
      "&parent=" + encodeURIComponent(value);
    next.disabled = true;
    getJSON(url, function (status, body) {
      next.disabled = false;
      if (status === 200 && body) {
        fillSelect(next, body.items, empty, chooseOnly);
        if (chooseOnly && body.items.length === 1) { cascade(picker, next); }
      }
    });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    var picker = select.closest && select.closest("[data-region-picker]");
    if (picker && select.tagName === "SELECT") { cascade(picker, select); }
  });

  // Search picker: type, arrow keys to move, Enter to choose, Escape to close.
  function setup(picker) {
    if (picker.getAttribute("data-ready")) { return; }
    picker.setAttribute("data-ready", "1");
    var input = picker.querySelector(".picker-input");
    var list = picker.querySelector(".picker-results");
    var chips = picker.querySelector(".picker-chips");
    var status = picker.querySelector(".picker-status");
    var name = picker.getAttribute("data-name");
    var multiple = picker.hasAttribute("data-multiple");
    var timer = null, pending = null, items = [], active = -1;
    // The input keeps its name (<name>_text): text typed and not chosen from the results is
    // sent, and the server resolves it by exact name or number or says what it did not find,
    // rather than the form saving without it. Choosing a row empties it.

    function close() {
      list.hidden = true; list.innerHTML = ""; items = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      var rows = list.querySelectorAll("li[role=option]");
      for (var k = 0; k < rows.length; k++) {
        rows[k].classList.toggle("active", k === i);
        rows[k].setAttribute("aria-selected", k === i ? "true" : "false");
      }
      active = i;
      if (rows[i]) {
        input.setAttribute("aria-activedescendant", rows[i].id);
        rows[i].scrollIntoView({ block: "nearest" });
      }
    }
    function note(text) {
      var li = document.createElement("li");
      li.className = "picker-note"; li.textContent = text; list.appendChild(li);
    }
    function show(body) {
      list.innerHTML = ""; items = body.items || []; active = -1;
      for (var i = 0; i < items.length; i++) {
        var li = document.createElement("li");
        li.id = input.id + "_opt" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-index", String(i));
        li.textContent = items[i].label;
        if (items[i].detail) {
          var small = document.createElement("small"); small.textContent = items[i].detail; li.appendChild(small);
        }
        list.appendChild(li);
      }
      if (!items.length) { note("没有找到"); }
      if (body.more) { note("结果较多，只显示前 " + items.length + " 条，请输入更多字"); }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (items.length) { mark(0); }
    }
    function search() {
      var q = input.value.trim();
      if (pending) { pending.abort(); pending = null; }
      if (!q) { close(); return; }
      var base = picker.getAttribute("data-url");
      var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      pending = getJSON(url, function (code, body) {
        pending = null;
        if (code === 200 && body) { status.textContent = ""; show(body); }
        else { close(); status.textContent = (body && body.detail) || "查找失败，请稍后再试"; }
      });
    }
    function choose(i) {
      var item = items[i];
      if (!item) { return; }
      var existing = chips.querySelector('input[value="' + String(item.id) + '"]');
      if (!multiple) { chips.innerHTML = ""; existing = null; }
      if (!existing) {
        var li = document.createElement("li"); li.className = "picker-chip";
        var span = document.createElement("span");
        span.textContent = item.label + (item.detail ? "（" + item.detail + "）" : "");
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = name; hidden.value = String(item.id);
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "picker-remove"; remove.textContent = "×";
        remove.setAttribute("aria-label", "移除 " + item.label);
        li.appendChild(span); li.appendChild(hidden); li.appendChild(remove);
        chips.appendChild(li);
      }
      status.textContent = "已选：" + item.label;
      input.value = ""; close(); input.focus();
    }

    input.addEventListener("input", function () {
      clearTimeout(timer); timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        if (!items.length) { return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + items.length) % items.length);
      } else if (event.key === "Enter") {
        // Enter chooses the marked row instead of sending the form half filled.
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
        else if (input.value.trim()) { event.preventDefault(); clearTimeout(timer); search(); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    list.addEventListener("mousedown", function (event) {
      var li = event.target.closest("li[role=option]");
      if (li) { event.preventDefault(); choose(parseInt(li.getAttribute("data-index"), 10)); }
    });
    chips.addEventListener("click", function (event) {
      var button = event.target.closest(".picker-remove");
      if (button) {
        var chip = button.closest(".picker-chip");
        status.textContent = "已移除：" + chip.querySelector("span").textContent;
        chip.parentNode.removeChild(chip);
        input.focus();
      }
    });
  }

  function setupAll(root) {
    var pickers = (root.querySelectorAll ? root : document).querySelectorAll("[data-search-picker]");
    for (var i = 0; i < pickers.length; i++) { setup(pickers[i]); }
  }
  document.addEventListener("DOMContentLoaded", function () { setupAll(document); });
  document.addEventListener("htmx:load", function (event) { setupAll(event.detail.elt); });
})();
