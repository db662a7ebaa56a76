/* cadre_exit: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // The language select submits itself; its button stays for browsers without JS.
  function languageSwitch() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var form = select.form;
      form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
      // Arrow keys only move through the options (WCAG 3.2.2): the change is applied on
      // Enter, on leaving the select, or at once when chosen with the mouse or touch.
      var byKeyboard = false;
      var initial = select.value;
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          if (select.value !== initial) { form.submit(); }
          return;
        }
        byKeyboard = event.key !== "Tab";
      });
      select.addEventListener("pointerdown", function () { byKeyboard = false; });
      select.addEventListener("change", function () {
        if (!byKeyboard) { form.submit(); }
      });
      select.addEventListener("blur", function () {
        if (select.value !== initial) { form.submit(); }
      });
    });
  }

  function navToggle() {
    // The style sheet folds the menu on phones before the first paint; this only opens it.
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) { return; }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("open", !open);
    });
  }

  // Filing form: show only the grounds of the chosen form under the regime of the date.
  function groundsFilter() {
    var form = document.querySelector("form[data-filing-form]");
    if (!form) { return; }
    var formSelect = form.querySelector("select[name='form']");
    var dateInput = form.querySelector("input[name='filed_on']");
    var hint = form.querySelector("[data-grounds-hint]");
    function today() {
      var d = new Date();
      var m = String(d.getMonth() + 1).padStart(2, "0");
      var day = String(d.getDate()).padStart(2, "0");
      return d.getFullYear() + "-" + m + "-" + day;
    }
    function apply() {
      var chosen = formSelect.value;
      var on = (dateInput && dateInput.value) || today();
      if (hint) { hint.hidden = !!chosen; }
      form.querySelectorAll(".ground-group").forEach(function (group) {
        var from = group.getAttribute("data-from");
        var to = group.getAttribute("data-to");
        var inForce = from <= on && (!to || on <= to);
        var anyShown = false;
        group.querySelectorAll(".ground-form").forEach(function (block) {
          // A State regime's grounds serve every case form its track maps (MDL-TRK-9).
          var forms = (block.getAttribute("data-case-forms") || block.getAttribute("data-form")).split(" ");
          var show = inForce && !!chosen && forms.indexOf(chosen) !== -1;
          block.hidden = !show;
          anyShown = anyShown || show;
          if (!show) {
            block.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
          }
        });
        group.hidden = !anyShown;
      });
    }
    formSelect.addEventListener("change", apply);
    if (dateInput) { dateInput.addEventListener("change", apply); }
    apply();
  }

  // Vote form: say whether the numbers typed would pass (the server decides).
  function votePreview() {
    document.querySelectorAll("[data-vote-preview]").forEach(function (out) {
      var form = out.closest("form");
      var num = parseInt(out.getAttribute("data-num"), 10);
      var den = parseInt(out.getAttribute("data-den"), 10);
      var basis = out.getAttribute("data-basis");
      function value(name) {
        var input = form.querySelector("input[name$='" + name + "']");
        var v = input ? parseInt(input.value, 10) : NaN;
        return isNaN(v) ? null : v;
      }
      function apply() {
        // MDL-COL-2: the roster gives the members (shown, not typed).
        var members = value("members");
        if (members === null) {
          var rostered = parseInt(out.getAttribute("data-members"), 10);
          members = isNaN(rostered) ? null : rostered;
        }
        var present = value("present");
        var votesFor = value("votes_for");
        var against = value("votes_against");
        var invalid = value("invalid");
        var whole = basis === "members" ? members : present;
        if (whole === null || votesFor === null || !den) { out.hidden = true; return; }
        // Impossible numbers are neither passed nor failed: say what is wrong.
        // MDL-COL-3: for + against + invalid <= present <= members.
        var impossible = (present !== null && members !== null && present > members) ||
          (present !== null && votesFor + (against || 0) + (invalid || 0) > present) ||
          (members !== null && votesFor > members) || members === 0;
        // MDL-COL-6: below the body's quorum the server refuses the vote.
        var quorum = parseInt(out.getAttribute("data-quorum"), 10);
        if (!impossible && !isNaN(quorum) && present !== null && present < quorum) {
          out.textContent = out.getAttribute("data-below-quorum");
          out.className = "vote-preview impossible";
          out.hidden = false;
          return;
        }
        if (impossible) {
          out.textContent = out.getAttribute("data-impossible");
          out.className = "vote-preview impossible";
          out.hidden = false;
          return;
        }
        var passes = votesFor * den > num * whole;
        out.textContent = passes ? out.getAttribute("data-pass") : out.getAttribute("data-fail");
        out.className = "vote-preview " + (passes ? "pass" : "fail");
        out.hidden = false;
      }
      form.addEventListener("input", apply);
      apply();
    });
  }

  // Text for matching: lower case, without diacritics ("Quỳnh" → "quynh", "Đức" → "duc").
  function fold(text) {
    return (text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // Filing form: a search box narrows the list of officials and posts.
  function pickerFilter() {
    document.querySelectorAll("[data-picker-filter]").forEach(function (box) {
      var select = document.getElementById(box.getAttribute("data-picker-filter"));
      var input = box.querySelector("input");
      var count = box.querySelector("[data-count-template]");
      if (!select || !input) { return; }
      box.hidden = false;
      var options = Array.prototype.slice.call(select.options).map(function (option) {
        return { option: option, text: fold(option.textContent) };
      });
      input.addEventListener("input", function () {
        var wanted = fold(input.value);
        var shown = 0;
        options.forEach(function (entry) {
          var keep = !entry.option.value || !wanted || entry.text.indexOf(wanted) !== -1;
          entry.option.hidden = !keep;
          entry.option.disabled = !keep;
          if (keep && entry.option.value) { shown += 1; }
        });
        if (count) {
          count.textContent = count.getAttribute("data-count-template") + " " + String(shown);
        }
      });
    });
  }

  // Filters fold on phones; on wider screens they are shown unfolded. A fold holding a
  // filter the address asks for stays open on a phone too, so what narrows the list is seen.
  function unfoldWide() {
    var wide = window.matchMedia("(min-width: 48em)").matches;
    var asked = new URLSearchParams(window.location.search);
    document.querySelectorAll("details[data-unfold-wide]").forEach(function (d) {
      var fields = d.querySelectorAll("input[name], select[name], textarea[name]");
      var filtered = Array.prototype.some.call(fields, function (f) {
        return (asked.get(f.name) || "") !== "";
      });
      if (wide || filtered) { d.open = true; }
    });
  }

  // A checklist's "Do it" link opens the folded action it points at.
  function checklistLinks() {
    document.querySelectorAll("a.check-go").forEach(function (link) {
      link.addEventListener("click", function () {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (target && target.tagName === "DETAILS") {
          target.open = true;
          var summary = target.querySelector("summary");
          if (summary) { summary.focus(); }
        }
      });
    });
  }

  // Put the focus on the first error message after a refused action or form.
  function focusErrors() {
    var error = document.querySelector("details[open] .form-error, main .form-error");
    if (error) {
      error.setAttribute("tabindex", "-1");
      error.focus({ preventScroll: false });
    }
  }

  ready(function () {
    languageSwitch();
    navToggle();
    groundsFilter();
    pickerFilter();
    unfoldWide();
    checklistLinks();
    votePreview();
    focusErrors();
  });
})();
