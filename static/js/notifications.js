/* casework notifications: a websocket per signed-in page (ids and counts only), an unread
   badge, a toast with the task title and a link, the live regions refreshed with care, reconnect
   with backoff, and on reconnect the missed notifications fetched from the API.
   No dependencies, no inline code (the Content-Security-Policy allows scripts from 'self' only). */
(function () {
  "use strict";
  var link = document.getElementById("nav-notifications");
  if (!link || !window.WebSocket) { return; }
  var badge = document.getElementById("notification-badge");
  var toasts = document.getElementById("toasts");
  var spoken = document.getElementById("notification-count");
  var text = document.getElementById("ui-text");
  var apiUrl = link.getAttribute("data-api");
  var wsPath = link.getAttribute("data-ws");
  var lastSeen = new Date().toISOString();
  var delay = 1000;
  var everConnected = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function say(name, fallback) {
    return (text && text.getAttribute("data-" + name)) || fallback;
  }

  function renewed() {  // any signed-in request renews the idle session (session.js counts on)
    document.dispatchEvent(new CustomEvent("casework:session-renewed"));
  }

  function setUnread(count) {
    badge.textContent = String(count);
    badge.classList.toggle("empty", !count);
    if (spoken) {
      spoken.textContent = (spoken.getAttribute(count === 1 ? "data-one" : "data-other") || "{count}")
        .replace("{count}", String(count));
    }
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
    close.setAttribute("aria-label", say("toast-close", "Melding sluiten"));
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(anchor);
    box.appendChild(close);
    toasts.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 15000);
  }

  /* Live regions: every element with data-refresh-on="<kinds>" (and an id) is fetched again when a
     notification of such a kind arrives. It is replaced in place (scroll kept, focus never moved)
     only while the user is not working in it; otherwise a bar offers "N nieuwe taken — tonen".
     Items carry data-task-id; the ones not seen before get the class "new" and a hidden "nieuw". */
  var regions = {};

  function ids(root) {
    return Array.prototype.map.call(root.querySelectorAll("[data-task-id]"), function (item) {
      return item.getAttribute("data-task-id");
    });
  }

  function setUp(element) {
    if (!element.id || regions[element.id]) { return regions[element.id]; }
    var bar = document.createElement("div");
    bar.className = "live-bar";
    bar.setAttribute("aria-live", "polite");
    element.parentNode.insertBefore(bar, element);
    var seen = {};
    ids(element).forEach(function (id) { seen[id] = true; });
    regions[element.id] = {bar: bar, seen: seen, marked: {}, fresh: null};
    return regions[element.id];
  }

  /* The forms whose fields live in the region or are tied to its fields (form="..."). */
  function controls(element) {
    var found = Array.prototype.slice.call(element.querySelectorAll("input, select, textarea"));
    found.slice().forEach(function (field) {
      if (field.form && !element.contains(field.form)) {
        found = found.concat(Array.prototype.slice.call(field.form.elements));
      }
    });
    Array.prototype.forEach.call(element.querySelectorAll("form"), function (form) {
      found = found.concat(Array.prototype.slice.call(form.elements));
    });
    return found;
  }

  function dirty(field) {
    var type = (field.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button") { return false; }
    if (type === "checkbox" || type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.tagName === "SELECT") {
      var none = !Array.prototype.some.call(field.options, function (option) { return option.defaultSelected; });
      return Array.prototype.some.call(field.options, function (option, index) {
        var shown = option.defaultSelected || (none && !field.multiple && index === 0);
        return option.selected !== shown;
      });
    }
    return field.value !== field.defaultValue;
  }

  function busy(element) {
    var active = document.activeElement;
    var fields = controls(element);
    if (active && active !== document.body && (element.contains(active) || fields.indexOf(active) >= 0)) { return true; }
    return fields.some(function (field) {
      return dirty(field) || (field.type === "checkbox" && field.name === "tasks" && field.checked);
    });
  }

  function mark(region, fresh) {
    var marker = say("new-marker", "nieuw");
    Array.prototype.forEach.call(fresh.querySelectorAll("[data-task-id]"), function (item) {
      var id = item.getAttribute("data-task-id");
      if (!region.seen[id]) { region.marked[id] = true; }
      if (!region.marked[id]) { return; }
      item.classList.add("new", "live-new");  // "live-new": arrived while this page was open
      var label = document.createElement("span");
      label.className = "visually-hidden new-marker";
      label.textContent = " (" + marker + ")";
      var cells = item.querySelectorAll("td, th");
      var host = item.querySelector("a") || (cells.length ? cells[cells.length - 1] : item);
      host.appendChild(label);
    });
    ids(fresh).forEach(function (id) { region.seen[id] = true; });
  }

  function swap(element, region, fresh) {
    var x = window.scrollX;
    var y = window.scrollY;
    mark(region, fresh);
    element.replaceWith(fresh);
    window.scrollTo(x, y);
    region.fresh = null;
    region.bar.textContent = "";
    return fresh;
  }

  function offer(element, region, fresh) {
    var count = ids(fresh).filter(function (id) { return !region.seen[id]; }).length;
    region.fresh = fresh;
    region.bar.textContent = "";
    if (!count) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    var words = element.getAttribute(count === 1 ? "data-new-one" : "data-new-other") ||
      say(count === 1 ? "new-one" : "new-other", "{count} nieuwe taken — tonen");
    button.textContent = words.replace("{count}", String(count));
    button.addEventListener("click", function () {
      var current = document.getElementById(element.id);
      if (!current || !region.fresh) { return; }
      keepWork(current, region.fresh);
      var shown = swap(current, region, region.fresh);
      var first = shown.querySelector("[data-task-id].live-new");
      var target = first ? (first.querySelector("a") || first) : shown;
      if (target === shown || target === first) { target.setAttribute("tabindex", "-1"); }
      target.focus();  // the button that was clicked is gone: focus goes to what it brought in
    });
    region.bar.appendChild(button);
  }

  /* Bringing new items in on request keeps what the user ticked and typed in the region. */
  function keepWork(element, fresh) {
    Array.prototype.forEach.call(element.querySelectorAll("input, select, textarea"), function (field) {
      if (!field.name || !dirty(field) && !(field.type === "checkbox" && field.checked)) { return; }
      var type = (field.type || "").toLowerCase();
      var matches = Array.prototype.filter.call(fresh.querySelectorAll("[name]"), function (other) {
        return other.name === field.name && (type !== "checkbox" && type !== "radio" || other.value === field.value);
      });
      if (!matches.length) { return; }
      if (type === "checkbox" || type === "radio") { matches[0].checked = field.checked; } else { matches[0].value = field.value; }
    });
  }

  function refreshRegions(kind) {
    var elements = Array.prototype.filter.call(document.querySelectorAll("[data-refresh-on]"), function (element) {
      return element.id && element.getAttribute("data-refresh-on").split(/\s+/).indexOf(kind) >= 0;
    });
    if (!elements.length) { return; }
    elements.forEach(setUp);
    fetch(window.location.href, {credentials: "same-origin"}).then(function (response) {
      return response.ok && !response.redirected ? response.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      renewed();
      var page = new DOMParser().parseFromString(html, "text/html");
      elements.forEach(function (element) {
        var current = document.getElementById(element.id);
        var fresh = page.getElementById(element.id);
        if (!current || !fresh) { return; }
        var region = regions[element.id];
        if (busy(current)) { offer(current, region, fresh); } else { swap(current, region, fresh); }
      });
    });
  }

  function fetchSince(since, show) {
    var url = apiUrl + "?unread=1&since=" + encodeURIComponent(since);
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.ok) { renewed(); }
        return response.ok ? response.json() : {results: []};
      })
      .then(function (body) {
        var items = body.results || [];
        items.slice().reverse().forEach(function (item) {
          if (item.created_at > lastSeen) { lastSeen = item.created_at; }
          if (show) { toast(item); }
          refreshRegions(item.kind);
        });
        return items;
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + wsPath);
    socket.addEventListener("open", function () {
      link.setAttribute("data-ws-state", "open");  // for the browser tests: the socket listens now
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
      link.setAttribute("data-ws-state", "closed");
      if (event.code === 4401) { return; }  // not signed in (any more): do not hammer the server
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  connect();
}());
