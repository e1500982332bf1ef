// Passkey ceremonies in the browser. The server makes and checks every challenge; this file only
// hands the options to the browser and the browser's answer (credential.toJSON()) back.
(() => {
  "use strict";

  const { sendJSON } = window.Leerkring;  // app.js
  const supported = () => window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

  const postJSON = async (url, body, signal) => {
    const response = await sendJSON(url, "POST", body, signal);
    let data = {};
    try { data = await response.json(); } catch { /* an error page, not JSON */ }
    return { ok: response.ok, data };
  };

  const busy = (button, on) => {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  };

  const cancelled = (error) => error && (error.name === "NotAllowedError" || error.name === "AbortError");

  const setupRegister = (root) => {
    const errorBox = root.querySelector("[data-passkey-error]");
    const button = root.querySelector("[data-passkey-start]");
    let options = JSON.parse(document.getElementById("passkey-options").textContent);
    if (!supported()) {
      root.querySelector("[data-passkey-unsupported]").hidden = false;
      button.disabled = true;
      return;
    }
    button.addEventListener("click", async () => {
      errorBox.textContent = "";
      busy(button, true);
      try {
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
        const credential = await navigator.credentials.create({ publicKey });
        const { ok, data } = await postJSON(root.dataset.verifyUrl, { credential: credential.toJSON() });
        if (ok && data.redirect) { window.location.assign(data.redirect); return; }
        if (data.options) options = data.options;
        errorBox.textContent = data.error || button.dataset.failed || "";
        if (data.reload) window.setTimeout(() => window.location.reload(), 2500);
      } catch (error) {
        if (!cancelled(error)) errorBox.textContent = error.message;
      } finally {
        busy(button, false);
      }
    });
    button.disabled = false;  // the page sends it disabled: a tap before this point did nothing
  };

  const setupLogin = (root) => {
    const errorBox = root.querySelector("[data-passkey-error]");
    const button = root.querySelector("[data-passkey-start]");
    if (!supported()) {
      root.querySelector("[data-passkey-unsupported]").hidden = false;
      button.disabled = true;
      return;
    }
    let pending = null; // the conditional (autofill) request, aborted when the button is used

    const signIn = async (mediation) => {
      const controller = new AbortController();
      if (mediation === "conditional") pending = controller;
      const { ok, data: options } = await postJSON(root.dataset.optionsUrl, { mediation }, controller.signal);
      if (!ok) throw new Error(options.error || "");
      const credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        mediation, signal: controller.signal,
      });
      const result = await postJSON(root.dataset.verifyUrl, {
        credential: credential.toJSON(), mediation, next: root.dataset.next,
      });
      if (result.ok && result.data.redirect) { window.location.assign(result.data.redirect); return; }
      errorBox.textContent = result.data.error || "";
    };

    button.addEventListener("click", async () => {
      pending?.abort();
      pending = null;
      errorBox.textContent = "";
      busy(button, true);
      try { await signIn("optional"); } catch (error) {
        if (!cancelled(error)) errorBox.textContent = error.message;
      } finally { busy(button, false); }
    });
    button.disabled = false;

    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (available) signIn("conditional").catch(() => {});
      });
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-passkey-register]").forEach(setupRegister);
    document.querySelectorAll("[data-passkey-login]").forEach(setupLogin);
  });
})();
