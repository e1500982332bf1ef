// The live round: a countdown that runs on every phone, the facilitator's gentle prompt when
// time is up, and a composer that empties after its item was sent. The state itself comes from
// the server (htmx fetches it when the event stream says the round changed).
(() => {
  "use strict";
  let skew = 0; // server time minus this phone's clock, so every phone counts down alike

  const format = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  const readSkew = () => {
    const head = document.querySelector("[data-server-now]");
    if (head) skew = Date.parse(head.dataset.serverNow) - Date.now();
  };

  const tick = () => {
    document.querySelectorAll("[data-ends-at]").forEach((timer) => {
      const left = (Date.parse(timer.dataset.endsAt) - (Date.now() + skew)) / 1000;
      const up = left <= 0;
      timer.textContent = up ? timer.dataset.timeUpText : format(left);
      timer.classList.toggle("is-up", up);
      document.querySelectorAll("[data-time-up]").forEach((prompt) => { prompt.hidden = !up; });
    });
  };

  document.addEventListener("htmx:after:swap", () => { readSkew(); tick(); });
  document.addEventListener("htmx:after:request", (event) => {
    const form = event.target.closest?.("form[data-composer]");
    const status = event.detail?.ctx?.response?.status;
    if (form && status && status < 300) form.reset();
  });
  document.addEventListener("DOMContentLoaded", () => {
    readSkew();
    tick();
    window.setInterval(tick, 1000);
  });
})();
