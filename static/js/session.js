/* casework session: a bar warns a few minutes before the idle session ends (data-session-seconds and
   data-session-warning on <body>), with a button "Ingelogd blijven" that renews it (POST to
   data-keep-alive-url); typing in a form renews it too, at most once a minute. Once it has ended
   the bar says so and links to the login page; drafts.js has kept what was typed. Focus is never
   taken. The expiry is shared between the user's tabs (localStorage).
   No dependencies, no inline code (the Content-Security-Policy allows scripts from 'self' only). */
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-session-seconds"), 10);
  var url = body.getAttribute("data-keep-alive-url");
  if (!seconds || !url) { return; }
  var warning = 1000 * (parseInt(body.getAttribute("data-session-warning"), 10) || 300);
  var loginUrl = body.getAttribute("data-login-url") || "/login/";
  var text = document.getElementById("ui-text");
  var KEY = "casework-session-expires";
  var PING_EVERY = 60 * 1000;
  var expiresAt = 0;
  var lastPing = Date.now();
  var timer = null;
  var state = "fine";
  var returnFocus = null;

  var bar = document.createElement("div");
  bar.id = "session-bar";
  bar.className = "session-bar";
  bar.setAttribute("aria-live", "polite");
  body.appendChild(bar);

  function say(name, fallback) {
    return (text && text.getAttribute("data-" + name)) || fallback;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function clock(at) {
    return new Date(at).toLocaleTimeString(document.documentElement.lang || "nl", {hour: "2-digit", minute: "2-digit"});
  }

  function setExpiry(at, share) {
    expiresAt = at;
    if (share) {
      try { window.localStorage.setItem(KEY, String(at)); } catch (error) { /* one tab only */ }
    }
    schedule();
  }

  function show(message, action) {
    bar.textContent = "";
    var words = document.createElement("p");
    words.textContent = message;
    bar.appendChild(words);
    if (action) { bar.appendChild(action); }
    bar.classList.add("open");
  }

  function hide() {
    bar.classList.remove("open");
    bar.textContent = "";
  }

  function warn() {
    if (state === "warned") { return; }
    state = "warned";
    returnFocus = document.activeElement;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = say("session-keep", "Ingelogd blijven");
    button.addEventListener("click", function () { keepAlive(true); });
    show(say("session-warning", "Uw sessie verloopt om {time}, tenzij u ingelogd blijft.").replace("{time}", clock(expiresAt)),
         button);
  }

  function expire() {
    if (state === "expired") { return; }
    state = "expired";
    var link = document.createElement("a");
    link.href = loginUrl + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    link.textContent = say("session-login", "Opnieuw inloggen");
    show(say("session-expired", "Uw sessie is verlopen. Wat u typte is bewaard."), link);
  }

  function schedule() {
    window.clearTimeout(timer);
    if (state === "expired") { return; }
    var left = expiresAt - Date.now();
    if (left <= 0) { expire(); return; }
    if (left <= warning) {
      warn();
      timer = window.setTimeout(schedule, left);
    } else {
      if (state === "warned") { state = "fine"; hide(); }
      timer = window.setTimeout(schedule, left - warning);
    }
  }

  function keepAlive(fromButton) {
    if (state === "expired") { return; }
    lastPing = Date.now();
    fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401) { expire(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || answer.expired) { return; }
        var focusWasOnBar = bar.contains(document.activeElement);
        state = "fine";
        setExpiry(Date.now() + 1000 * answer.seconds, true);
        if (fromButton) {
          show(say("session-kept", "U bent nog ingelogd."));
          var back = returnFocus && document.body.contains(returnFocus) ? returnFocus : document.getElementById("main");
          if (focusWasOnBar && back) { back.focus(); }  // the button is gone: do not leave focus nowhere
          window.setTimeout(function () { if (state === "fine") { hide(); } }, 8000);
        }
      });
  }

  /* Typing is activity: renew the session, at most once a minute. */
  document.addEventListener("input", function (event) {
    if (event.target && event.target.form && Date.now() - lastPing >= PING_EVERY) { keepAlive(false); }
  });
  /* Another tab renewed the session, or this page's own requests did (notifications.js). */
  window.addEventListener("storage", function (event) {
    if (event.key === KEY && event.newValue) {
      if (state === "warned") { state = "fine"; hide(); }
      setExpiry(parseInt(event.newValue, 10), false);
    }
  });
  document.addEventListener("casework:session-renewed", function () {
    if (state === "expired") { return; }
    if (state === "warned") { state = "fine"; hide(); }
    setExpiry(Date.now() + 1000 * seconds, true);
  });

  setExpiry(Date.now() + 1000 * seconds, true);
}());
