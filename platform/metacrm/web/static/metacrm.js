// metacrm's browser glue. No rule of the metadata is evaluated here: the server decides what a
// form shows (the metacrm:formstate event, see docs/ui.md) and whether a card may move.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // -- form state: apply what the server computed ---------------------------------------------
  document.body.addEventListener("metacrm:formstate", function (event) {
    var state = event.detail || {};
    var form = document.getElementById("record-form");
    if (!form) return;
    Object.keys(state.fields || {}).forEach(function (name) {
      var s = state.fields[name];
      var box = form.querySelector('[data-field="' + name + '"]');
      if (!box) return;
      box.hidden = !s.visible;
      box.classList.toggle("crm-required", !!s.required);
      box.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (input.closest("[data-field]") !== box) return;
        if (input.type !== "hidden" || input.name === name) input.disabled = !!s.read_only;
        if (input.type !== "hidden") {
          if (s.required) input.setAttribute("aria-required", "true");
          else input.removeAttribute("aria-required");
        }
      });
    });
    Object.keys(state.sections || {}).forEach(function (key) {
      var section = form.querySelector('[data-section="' + key + '"]');
      if (section) section.hidden = !state.sections[key];
    });
    Object.keys(state.values || {}).forEach(function (name) {
      var out = form.querySelector('[data-output="' + name + '"]');
      if (out) out.innerHTML = state.values[name];
    });
  });

  // -- lookup type-ahead ----------------------------------------------------------------------
  function lookupOf(el) { return el.closest("[data-lookup]"); }
  function choose(option) {
    var box = lookupOf(option);
    var hidden = box.querySelector("[data-lookup-value]");
    var text = box.querySelector("[data-lookup-text]");
    hidden.value = option.dataset.id;
    text.value = option.dataset.title;
    box.querySelector("[role=listbox]").innerHTML = "";
    text.setAttribute("aria-expanded", "false");
    text.focus();
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-lookup] [role=option][data-id]");
    if (option) { choose(option); return; }
    document.querySelectorAll("[data-lookup] [role=listbox]").forEach(function (list) {
      if (!lookupOf(list).contains(event.target)) list.innerHTML = "";
    });
    var results = document.getElementById("global-search-results");
    if (results && !results.parentNode.contains(event.target)) results.innerHTML = "";
  });
  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-lookup-text]")) return;
    var box = lookupOf(event.target);
    // typing means "another record": the old one is no longer chosen until one is picked
    var hidden = box.querySelector("[data-lookup-value]");
    if (hidden.value) { hidden.value = ""; }
  });
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    var box = el.closest && el.closest("[data-lookup]");
    if (!box) return;
    var options = Array.prototype.slice.call(box.querySelectorAll("[role=option][data-id]"));
    var i = options.indexOf(el);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(i + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && i >= 0) {
      event.preventDefault();
      if (i === 0) box.querySelector("[data-lookup-text]").focus(); else options[i - 1].focus();
    } else if (event.key === "Enter" && i >= 0) {
      event.preventDefault();
      choose(el);
    } else if (event.key === "Enter" && el.matches("[data-lookup-text]") && options.length) {
      // Enter in the search text takes the first suggestion rather than submitting the form
      event.preventDefault();
      choose(options[0]);
    } else if (event.key === "Escape") {
      box.querySelector("[role=listbox]").innerHTML = "";
      box.querySelector("[data-lookup-text]").focus();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var list = event.target;
    if (list.matches && list.matches("[data-lookup] [role=listbox]")) {
      var text = lookupOf(list).querySelector("[data-lookup-text]");
      text.setAttribute("aria-expanded", list.children.length ? "true" : "false");
    }
  });

  // -- filter bar: only the operators of the chosen field -------------------------------------
  function syncOps(row) {
    var field = row.querySelector('select[name="f"]').value;
    var ops = row.querySelector("[data-filter-ops]");
    var first = null;
    Array.prototype.forEach.call(ops.options, function (opt) {
      var mine = opt.dataset.for === field;
      opt.hidden = !mine; opt.disabled = !mine;
      if (mine && !first) first = opt;
    });
    if (ops.selectedOptions.length === 0 || ops.selectedOptions[0].disabled) {
      if (first) first.selected = true;
    }
    var chosen = ops.selectedOptions[0];
    var value = row.querySelector('input[name="v"]');
    value.hidden = !!(chosen && chosen.dataset.takesValue === "no");
  }
  document.querySelectorAll(".crm-filter-row").forEach(syncOps);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    event.target.querySelectorAll(".crm-filter-row").forEach(syncOps);
  });
  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest(".crm-filter-row");
    if (row) syncOps(row);
  });

  // -- board: drag a card to another lane -----------------------------------------------------
  // (after every script of the page has run: the board page loads SortableJS after this file)
  document.addEventListener("DOMContentLoaded", function () {
  var board = document.querySelector("[data-board]");
  if (board && window.Sortable) {
    var error = document.getElementById("board-error");
    board.querySelectorAll("[data-lane]").forEach(function (lane) {
      window.Sortable.create(lane, {
        // mouse and touch events rather than HTML5 drag and drop: the same on phones
        group: "board", animation: 120, draggable: ".crm-card", filter: "select, button, label",
        preventOnFilter: false, forceFallback: true, fallbackTolerance: 3,
        onEnd: function (evt) {
          if (evt.from === evt.to) return;
          var card = evt.item;
          var body = new URLSearchParams();
          body.set("field", board.dataset.field);
          body.set("value", evt.to.dataset.lane);
          body.set("version", card.dataset.version);
          fetch(board.dataset.moveUrl.replace("RECORD", card.dataset.id), {
            method: "POST", body: body, credentials: "same-origin",
            headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
          }).then(function (response) {
            return response.json().then(function (data) { return [response.ok, data]; });
          }).then(function (result) {
            var ok = result[0], data = result[1];
            if (ok) {
              card.dataset.version = data.version;
              var select = card.querySelector("select[name=value]");
              if (select) select.value = evt.to.dataset.lane;
              card.querySelectorAll("input[name=version]").forEach(function (i) { i.value = data.version; });
              error.hidden = true;
              return;
            }
            // refused: the card goes back where it was, and the reasons are shown
            evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
            card.classList.add("crm-refused");
            error.textContent = (data.messages || ["The move was refused."]).join(" ");
            error.hidden = false;
          }).catch(function () {
            evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
            error.textContent = "The move could not be saved (no connection?).";
            error.hidden = false;
          });
        }
      });
    });
  }
  });
})();
