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

// A button with data-confirm asks once before its form is sent (ending, cancelling, revoking).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) ||
    event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
}, true);
