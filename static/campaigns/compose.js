// Live recipient count of the campaign form: asks the server as the audience fields change.
(function () {
  const form = document.getElementById("campaign-form");
  const output = document.getElementById("audience-count");
  if (!form || !output) return;
  let timer = null;
  function refresh() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name.startsWith("a-")) params.append(name, value);
    }
    fetch(form.dataset.countUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => {
        if (typeof data.count === "number") {
          output.textContent = data.count + (data.count > 1 ? " destinataires" : " destinataire");
        } else {
          output.textContent = "Nombre de destinataires : vérifiez les critères";
        }
      })
      .catch(() => {});
  }
  form.addEventListener("input", (event) => {
    if (!event.target.name || !event.target.name.startsWith("a-")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("change", (event) => {
    if (event.target.name && event.target.name.startsWith("a-")) refresh();
  });
})();
