// The offline worker of the cadre's phone pages, served as /sw.js (lianxin/visits/views.py puts
// LIANXIN_VERSION, LIANXIN_SHELL, LIANXIN_LOGIN and LIANXIN_LOGOUT above this text).
//
// - The app shell (the site's CSS and scripts) is kept in a cache named by its version and
//   answered from there, refreshed in the background.
// - Two kinds of page are kept, and only these: 我联系的户 ("/") and the visit form of each of
//   the cadre's households ("/visits/new/<id>/"). They are fetched from the network first and
//   answered from the cache when there is no signal. The page asks the worker to fetch the
//   forms ahead ("warm"), so that every household's form opens offline.
// - Signing out (or the login page) empties the page cache: the next person on this phone
//   does not find someone else's households. The outbox (IndexedDB, static/js/visits.js) is
//   never emptied here: an unsent visit is never dropped silently.
/* global LIANXIN_VERSION, LIANXIN_SHELL, LIANXIN_LOGIN, LIANXIN_LOGOUT */
"use strict";

var SHELL_CACHE = "lianxin-shell-" + LIANXIN_VERSION;
var PAGE_CACHE = "lianxin-pages";
var KEPT_PAGES = [/^\/$/, /^\/visits\/new\/\d+\/$/];

function kept(path) {
  return KEPT_PAGES.some(function (re) { return re.test(path); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(LIANXIN_SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("lianxin-shell-") === 0 && n !== SHELL_CACHE;
      }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  var html = "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>没有网络 · 连心</title></head><body>" +
    "<h1>没有网络</h1><p>这个页面没有离线保存。<a href=\"/\">返回我联系的户</a>" +
    "（离线也能打开，并登记走访）。</p></body></html>";
  return new Response(html, {
    status: 503,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": "default-src 'self'"
    }
  });
}

// A page worth keeping: one the server marked for offline use (the cadre's own pages, not
// another role's home on the same phone), not a redirect to the login page.
function keepable(response, path) {
  if (!response || !response.ok || response.type !== "basic") { return false; }
  if (response.headers.get("X-Lianxin-Offline") !== "1") { return false; }
  return new URL(response.url).pathname === path;
}

function page(request, path) {
  return fetch(request).then(function (response) {
    if (keepable(response, path)) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGE_CACHE).then(function (cache) { return cache.match(path); })
      .then(function (found) { return found || offlinePage(); });
  });
}

function shell(request) {
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (found) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (found) {
        fresh.catch(function () { return null; });
        return found;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === LIANXIN_LOGOUT || url.pathname === LIANXIN_LOGIN) {
    event.waitUntil(caches.delete(PAGE_CACHE));
    return;
  }
  if (request.method !== "GET") { return; }
  if (LIANXIN_SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(shell(request));
    return;
  }
  if (request.mode === "navigate") {
    if (kept(url.pathname)) {
      event.respondWith(page(request, url.pathname));
    } else {
      event.respondWith(fetch(request).catch(offlinePage));
    }
  }
});

// {type: "warm", urls: [...], force: bool}: fetch the kept pages not yet cached (all of them
// with force), then tell the page how many are kept.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "warm") { return; }
  var source = event.source;
  var urls = (data.urls || []).filter(kept);
  event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (path) {
      return cache.match(path).then(function (found) {
        if (found && !data.force) { return true; }
        return fetch(path, { credentials: "same-origin" }).then(function (response) {
          if (!keepable(response, path)) { return false; }
          return cache.put(path, response).then(function () { return true; });
        }).catch(function () { return !!found; });
      });
    }));
  }).then(function (done) {
    var kept_ = done.filter(Boolean).length;
    if (source) { source.postMessage({ type: "warmed", kept: kept_, asked: urls.length }); }
  }));
});
