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
      select.addEventListener("change", function () { form.submit(); });
    });
  }

  // On narrow screens the navigation folds behind a "Menu" button.
  function navToggle() {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) { return; }
    var narrow = window.matchMedia("(max-width: 47.99em)");
    function apply() {
      if (narrow.matches) {
        button.hidden = false;
        var open = button.getAttribute("aria-expanded") === "true";
        nav.classList.toggle("collapsed", !open);
      } else {
        button.hidden = true;
        nav.classList.remove("collapsed");
      }
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      apply();
    });
    narrow.addEventListener("change", apply);
    apply();
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
          var show = inForce && !!chosen && block.getAttribute("data-form") === chosen;
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
        var whole = basis === "members" ? members : present;
        if (whole === null || votesFor === null || !den) { out.hidden = true; return; }
        var passes = votesFor * den > num * whole;
        out.textContent = passes ? out.getAttribute("data-pass") : out.getAttribute("data-fail");
        out.className = "vote-preview " + (passes ? "pass" : "fail");
        out.hidden = false;
      }
      form.addEventListener("input", apply);
      apply();
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
    votePreview();
    focusErrors();
  });
})();
