/* casework notifications: a websocket per signed-in page (ids and counts only), an unread
   badge, a toast with the task title and a link, the inbox list refreshed in place, reconnect
   with backoff, and on reconnect the missed notifications fetched from the API.
   No dependencies, no inline code (the Content-Security-Policy allows scripts from 'self' only). */
(function () {
  "use strict";
  var link = document.getElementById("nav-notifications");
  if (!link || !window.WebSocket) { return; }
  var badge = document.getElementById("notification-badge");
  var toasts = document.getElementById("toasts");
  var apiUrl = link.getAttribute("data-api");
  var wsPath = link.getAttribute("data-ws");
  var lastSeen = new Date().toISOString();
  var delay = 1000;
  var everConnected = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setUnread(count) {
    badge.textContent = String(count);
    badge.classList.toggle("empty", !count);
  }

  function toast(item) {
    var box = document.createElement("div");
    box.className = "toast";
    var anchor = document.createElement("a");
    anchor.href = item.url;
    anchor.textContent = item.title;
    anchor.addEventListener("click", function () {
      fetch(apiUrl + item.id + "/read/", {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": csrfToken()}});
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "close");
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(anchor);
    box.appendChild(close);
    toasts.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 15000);
  }

  function refreshInbox(kind) {
    var list = document.getElementById("inbox-list");
    if (!list || list.getAttribute("data-refresh-on").split(" ").indexOf(kind) < 0) { return; }
    fetch(window.location.href, {credentials: "same-origin"}).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-list");
      if (fresh) { list.replaceWith(fresh); }
    });
  }

  function fetchSince(since, show) {
    var url = apiUrl + "?unread=1&since=" + encodeURIComponent(since);
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (body) {
        var items = body.results || [];
        items.slice().reverse().forEach(function (item) {
          if (item.created_at > lastSeen) { lastSeen = item.created_at; }
          if (show) { toast(item); }
          refreshInbox(item.kind);
        });
        return items;
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.addEventListener("open", function () {
      delay = 1000;
      if (everConnected) { fetchSince(lastSeen, true); }  // catch up on what was missed
      everConnected = true;
    });
    socket.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (typeof message.unread === "number") { setUnread(message.unread); }
      if (message.type === "notification") {
        fetchSince(lastSeen, true);
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4401) { return; }  // not signed in (any more): do not hammer the server
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  connect();
}());
