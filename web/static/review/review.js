/* Tableau de bord : dessine les graphiques à partir des chiffres que la page contient déjà
   (bloc JSON #dashboard-data), avec Chart.js servi par notre propre origine. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var blue = "#1d4e89";
  var amber = "#f2a900";
  var counts = { x: { beginAtZero: true, ticks: { precision: 0 } } };
  var common = { responsive: true, maintainAspectRatio: false, animation: false, locale: "fr-FR" };

  // Long mission titles would be clipped by the canvas: shortened here, full in the table below.
  function shorten(label) {
    return label.length > 30 ? label.slice(0, 29) + "…" : label;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new window.Chart(canvas, config);
    }
  }

  draw("chart-days", {
    type: "line",
    data: {
      labels: data.days,
      datasets: [
        { label: "Conversations", data: data.conversations, borderColor: blue, backgroundColor: blue },
        { label: "Messages", data: data.messages, borderColor: amber, backgroundColor: amber }
      ]
    },
    options: Object.assign({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }, common)
  });
  draw("chart-intents", {
    type: "bar",
    data: { labels: data.intents, datasets: [{ label: "Messages", data: data.intentCounts, backgroundColor: blue }] },
    options: Object.assign({ indexAxis: "y", plugins: { legend: { display: false } }, scales: counts }, common)
  });
  draw("chart-missions", {
    type: "bar",
    data: { labels: data.missions.map(shorten), datasets: [{ label: "Conversations", data: data.missionCounts, backgroundColor: amber }] },
    options: Object.assign({ indexAxis: "y", plugins: { legend: { display: false } }, scales: counts }, common)
  });
})();

/* Modèles : suit l'entraînement ou la comparaison en cours (#job-progress) sans recharger la
   page toutes les secondes : l'étape (zone role=status, annoncée quand elle change) et le temps
   écoulé sont relus toutes les 3 s ; la page est rechargée quand l'état change. */
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  var elapsed = document.getElementById("job-elapsed");
  if (!box || typeof window.fetch !== "function") {
    return;
  }
  var state = box.getAttribute("data-state");
  function poll() {
    window.fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.state !== state) {
          window.location.reload();
          return;
        }
        if (data) {
          if (box.textContent !== data.text) { box.textContent = data.text; }
          if (elapsed) { elapsed.textContent = data.elapsed; }
        }
        window.setTimeout(poll, data ? 3000 : 10000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 3000);
})();
