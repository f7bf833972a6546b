// Progress of a campaign being sent: reads its counts every 2 seconds until it is over.
(function () {
  const box = document.getElementById("campaign-progress");
  if (!box || !box.dataset.running) return;
  const bar = box.querySelector("progress");
  const status = document.getElementById("campaign-status");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        for (const element of box.querySelectorAll("[data-field]")) {
          if (element.dataset.field in data) element.textContent = data[element.dataset.field];
        }
        bar.value = data.percent;
        if (status) status.textContent = data.status_label;
        if (data.status === "sending") setTimeout(poll, 2000);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  setTimeout(poll, 1000);
})();
