/* casework drafts: typed work is never lost. Every POST form keeps a draft of its text, select,
   checkbox and radio fields in localStorage, per user (data-user-key on <body>), per page path and
   per form; the draft comes back on the next visit with a notice and a button to discard it. Never
   kept: passwords, hidden inputs (the CSRF token), files, and forms marked data-no-draft.
   A submitted form is "pending" (sessionStorage) until the next page shows no errors: then its draft
   is deleted. A page with form[data-draft-hold] (the login page after an expired session) keeps it,
   and sends the user back to the page where the form was.
   No dependencies, no inline code (the Content-Security-Policy allows scripts from 'self' only). */
(function () {
  "use strict";
  var PREFIX = "casework-draft:";
  var PENDING = "casework-draft-pending";
  var MAX_AGE = 3 * 24 * 60 * 60 * 1000;  // a forgotten draft does not linger on a shared computer
  var SKIPPED = ["hidden", "password", "file", "submit", "button", "reset", "image"];
  var local = storageOf("localStorage");
  var session = storageOf("sessionStorage");
  if (!local || !session) { return; }
  var user = document.body.getAttribute("data-user-key");
  var text = document.getElementById("ui-text");

  function storageOf(name) {
    try {
      var store = window[name];
      store.getItem(PREFIX);
      return store;
    } catch (error) { return null; }
  }

  function say(name, fallback) {
    return (text && text.getAttribute("data-" + name)) || fallback;
  }

  function read(store, key) {
    try { return JSON.parse(store.getItem(key)); } catch (error) { return null; }
  }

  function write(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (error) { /* full or refused: no draft */ }
  }

  function pathOf(url) {
    try { return new URL(url, window.location.href).pathname; } catch (error) { return ""; }
  }

  function draftable(form) {
    return !!form && form.tagName === "FORM" && !!user && !form.hasAttribute("data-no-draft") &&
      (form.getAttribute("method") || "get").toLowerCase() === "post";
  }

  function kept(field) {
    if (!field.name || field.disabled || field.name === "csrfmiddlewaretoken") { return false; }
    if (field.tagName === "TEXTAREA" || field.tagName === "SELECT") { return true; }
    return field.tagName === "INPUT" && SKIPPED.indexOf((field.type || "text").toLowerCase()) < 0;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function formKey(form) {
    var action = form.getAttribute("action") || "";
    var name = form.id;
    if (!name) {
      var twins = Array.prototype.filter.call(document.forms, function (other) {
        return !other.id && (other.getAttribute("action") || "") === action;
      });
      name = action + "#" + twins.indexOf(form);
    }
    return PREFIX + user + ":" + window.location.pathname + ":" + name;
  }

  /* name -> list of values: the checked boxes and radio, the selected options, the typed texts.
     With `defaults`, the form as the server rendered it. */
  function snapshot(form, defaults) {
    var values = {};
    fields(form).forEach(function (field) {
      var list = values[field.name] || (values[field.name] = []);
      var type = (field.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        if (defaults ? field.defaultChecked : field.checked) { list.push(field.value); }
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option, index) {
          if (defaults ? shownSelected(field, option, index) : option.selected) { list.push(option.value); }
        });
      } else {
        list.push(defaults ? field.defaultValue : field.value);
      }
    });
    return values;
  }

  /* As the server rendered it: a single select without a selected option shows its first one. */
  function shownSelected(select, option, index) {
    if (option.defaultSelected || select.multiple) { return option.defaultSelected; }
    var none = !Array.prototype.some.call(select.options, function (other) { return other.defaultSelected; });
    return none && index === 0;
  }

  function changed(field) {
    field.dispatchEvent(new Event("input", {bubbles: true}));
    field.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function apply(form, values) {
    var any = false;
    var position = {};
    fields(form).forEach(function (field) {
      if (!Object.prototype.hasOwnProperty.call(values, field.name)) { return; }
      var wanted = values[field.name];
      var type = (field.type || "").toLowerCase();
      var differs = false;
      if (type === "checkbox" || type === "radio") {
        var on = wanted.indexOf(field.value) >= 0;
        differs = field.checked !== on;
        field.checked = on;
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          var selected = wanted.indexOf(option.value) >= 0 && (field.multiple || option.value === wanted[0]);
          if (option.selected !== selected) { differs = true; option.selected = selected; }
        });
      } else {
        var index = position[field.name] || 0;
        position[field.name] = index + 1;
        if (index < wanted.length && field.value !== wanted[index]) {
          field.value = wanted[index];
          differs = true;
        }
      }
      if (differs) { any = true; changed(field); }
    });
    return any;
  }

  function save(form) {
    var key = formKey(form);
    var now = snapshot(form, false);
    if (JSON.stringify(now) === JSON.stringify(snapshot(form, true))) {
      local.removeItem(key);  // back to what the server showed: nothing to keep
    } else {
      write(local, key, {saved: Date.now(), values: now});
    }
  }

  function when(saved) {
    var date = new Date(saved);
    var lang = document.documentElement.lang || "nl";
    var today = new Date().toDateString() === date.toDateString();
    var options = today ? {hour: "2-digit", minute: "2-digit"} :
      {day: "numeric", month: "long", hour: "2-digit", minute: "2-digit"};
    return date.toLocaleString(lang, options);
  }

  function notice(form, key, draft) {
    var box = document.createElement("div");
    box.className = "notice draft-notice";
    box.setAttribute("role", "status");
    var message = document.createElement("span");
    message.textContent = say("draft-restored", "Uw concept van {time} is teruggezet.").replace("{time}", when(draft.saved));
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = say("draft-discard", "Concept weggooien");
    discard.addEventListener("click", function () {
      apply(form, snapshot(form, true));
      local.removeItem(key);
      box.remove();
      var first = fields(form)[0];
      if (first) { first.focus(); }
    });
    box.appendChild(message);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(discard);
    form.parentNode.insertBefore(box, form);
  }

  function hasErrors() {
    return !!document.querySelector("main .errors, main .error-summary, form .error, [aria-invalid=true]");
  }

  function forget(mineToo) {
    for (var index = local.length - 1; index >= 0; index -= 1) {
      var key = local.key(index);
      if (key && key.indexOf(PREFIX) === 0) {
        var draft = read(local, key);
        var mine = key.indexOf(PREFIX + user + ":") === 0;
        if (!draft || Date.now() - draft.saved > MAX_AGE || (mine && mineToo)) { local.removeItem(key); }
      }
    }
  }

  /* What happened to the form submitted on the previous page? */
  var skip = null;
  var pending = read(session, PENDING);
  var hold = document.querySelector("form[data-draft-hold]");
  if (pending && Date.now() - pending.at > MAX_AGE) { pending = null; }
  if (!pending) {
    session.removeItem(PENDING);
  } else if (hold) {
    pending.held = true;  // signing in again: keep the draft, and come back to the form's page
    write(session, PENDING, pending);
    var next = hold.querySelector("input[name=next]");
    // only when this login interrupted that very submit (login_required sent it here with ?next=)
    if (next && next.value && pathOf(next.value) === pending.action) { next.value = pending.page; }
  } else if (pending.held) {
    session.removeItem(PENDING);  // back after signing in: the draft is restored below
  } else if (hasErrors()) {
    skip = pending.key;  // the server shows the form again with what was typed; keep the draft
  } else {
    local.removeItem(pending.key);  // saved: the draft has done its work
    session.removeItem(PENDING);
  }

  forget(false);
  if (!user) { return; }

  Array.prototype.forEach.call(document.forms, function (form) {
    if (!draftable(form)) { return; }
    var key = formKey(form);
    var draft = read(local, key);
    if (!draft || !draft.values || key === skip) { return; }
    if (apply(form, draft.values)) { notice(form, key, draft); }
  });

  function remember(event) {
    var field = event.target;
    if (field && field.form && draftable(field.form) && kept(field)) { save(field.form); }
  }
  document.addEventListener("input", remember);
  document.addEventListener("change", remember);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-clear-drafts")) {  // signing out on purpose: nothing stays behind
      forget(true);
      session.removeItem(PENDING);
      return;
    }
    if (!draftable(form)) { return; }
    save(form);
    write(session, PENDING, {key: formKey(form), page: window.location.pathname + window.location.search,
                             action: pathOf(form.getAttribute("action") || window.location.href), at: Date.now()});
  });
}());
