// The birthplace field of the employee form: as the user types a commune's name or code, its datalist is filled
// with up to 10 communes from /salaries/communes (« Mulhouse (68224) »). Without this script the server still
// finds a commune by its name or code.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    function fill(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.label;
        list.appendChild(option);
      });
    }
    function ask() {
      var typed = input.value.trim();
      // A chosen suggestion, or the same text again: nothing to ask.
      if (typed.length < 2 || typed === asked || /\)$/.test(typed)) return;
      asked = typed;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(typed), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (answer) { return answer.ok ? answer.json() : []; })
        .then(function (items) { if (input.value.trim() === typed) fill(items); })
        .catch(function () { /* no suggestions: the field still accepts a name or a code */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest][list]").forEach(attach);
  });
})();
