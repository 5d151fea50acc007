// Every script of the pages lives in files like this one: the Content-Security-Policy allows
// scripts from the site only (script-src 'self'), no inline <script> and no on* attributes.

// Send the CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});

// A refused reveal (400 no reason, 403 no permission) comes back as the form with its
// message: swap it in instead of htmx's default of ignoring error responses.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var elt = event.detail.elt;
  if ((status === 400 || status === 403) && elt.closest && elt.closest(".reveal")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Progress bars carry their width as data-width (percent): a style="" attribute would need
// 'unsafe-inline' in style-src, while setting the property from a script is allowed.
function lianxinBars(root) {
  var bars = (root.querySelectorAll ? root : document).querySelectorAll("[data-width]");
  for (var i = 0; i < bars.length; i++) {
    bars[i].style.width = (parseFloat(bars[i].getAttribute("data-width")) || 0) + "%";
  }
}
document.addEventListener("DOMContentLoaded", function () { lianxinBars(document); });
document.addEventListener("htmx:load", function (event) { lianxinBars(event.detail.elt); });

// A button with data-confirm asks once before its form is sent (ending, cancelling, revoking),
// naming what it ends. "{date}" in the question is the form's end date as chosen
// (the input marked data-end-date), with "（今天）" when it is the server's today
// (data-today: the county's day, not the browser's). "{choice}" is the option chosen in the
// form's select[data-confirm-choice], as its data-label names it (who takes over); with
// nothing chosen, or an option marked data-confirm-none (choosing it ends nothing), there is
// no question. Without scripts the form is sent as is: the server checks everything, so the
// question is a courtesy, never a safeguard.
function lianxinQuestion(message, form) {
  if (message.indexOf("{choice}") >= 0) {
    var select = form.querySelector("select[data-confirm-choice]");
    var option = select && select.options[select.selectedIndex];
    if (!option || !option.value || option.hasAttribute("data-confirm-none")) { return ""; }
    var label = option.getAttribute("data-label") || option.text;
    message = message.split("{choice}").join(label);
  }
  if (message.indexOf("{date}") < 0) { return message; }
  var input = form.querySelector("[data-end-date]");
  var value = input ? input.value : "";
  if (value && input.getAttribute("data-today") === value) { value += "（今天）"; }
  return message.split("{date}").join(value || "（未填）");
}
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) ||
    event.target.getAttribute("data-confirm");
  var question = message && lianxinQuestion(message, event.target);
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// The header: on one line where it fits, else (and always under 768 px) folded behind 菜单.
(function () {
  var bar = document.querySelector("[data-topbar]");
  var button = bar && bar.querySelector("[data-menu-button]");
  if (!button) { return; }
  var narrow = window.matchMedia("(max-width: 767.98px)");
  bar.classList.add("fits");  // without this script the header wraps instead
  function fit() {
    bar.classList.remove("compact");
    if (narrow.matches || bar.scrollWidth > bar.clientWidth) {
      bar.classList.add("compact");
    } else {
      close();
    }
  }
  function close() {
    bar.classList.remove("open");
    button.setAttribute("aria-expanded", "false");
  }
  button.addEventListener("click", function () {
    var open = bar.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("open")) { close(); button.focus(); }
  });
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fit(); });
  });
  fit();
})();

// Tables: under 640 px each row stacks into a card, every cell led by its column's name.
// The names come from the table's header row, so templates need no second copy of them.
function lianxinStack(root) {
  var tables = (root.querySelectorAll ? root : document).querySelectorAll(".table-wrap table");
  for (var t = 0; t < tables.length; t++) {
    var table = tables[t];
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) { continue; }
    var names = [];
    for (var h = 0; h < head.cells.length; h++) {
      for (var span = 0; span < (head.cells[h].colSpan || 1); span++) {
        names.push(head.cells[h].textContent.trim());
      }
    }
    for (var b = 0; b < table.tBodies.length; b++) {
      var rows = table.tBodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var column = 0;
        for (var c = 0; c < rows[r].cells.length; c++) {
          var cell = rows[r].cells[c];
          if (!cell.hasAttribute("data-label") && cell.colSpan < names.length) {
            cell.setAttribute("data-label", names[column] || "");
          }
          column += cell.colSpan || 1;
        }
      }
    }
    table.classList.add("stacks");
  }
}
document.addEventListener("DOMContentLoaded", function () { lianxinStack(document); });
document.addEventListener("htmx:load", function (event) { lianxinStack(event.detail.elt); });
