// Passkeys (WebAuthn) for the forms marked data-passkey="register" or data-passkey="authenticate"
// (templates/auth/). No build step and nothing from elsewhere: the portal's own code only.
//
// 1. The form's fields are posted to its data-options-url; the answer is the options of the ceremony
//    (base64url text, as the webauthn package writes them). If the server refuses (422), the form is
//    posted as it is, so that the page comes back with the problems by their fields.
// 2. navigator.credentials.create() or .get() asks the person's device.
// 3. Its answer, as JSON with base64url text, goes into the form's hidden "credential" field and the
//    form is posted the ordinary way (the CSRF token is one of its fields): the server answers with a page.
// Browsers without WebAuthn: the elements marked data-passkey-supported stay hidden and those marked
// data-passkey-unsupported (which say so) stay visible. Loaded after hx-boost swaps too, hence the guard.
(function () {
  "use strict";

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create &&
              window.fetch && window.JSON);
  }

  function reveal() {
    var ok = supported();
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-supported]"), function (el) {
      el.hidden = !ok;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-unsupported]"), function (el) {
      el.hidden = ok;
    });
  }

  reveal();
  if (window.portalPasskeysReady) { return; }
  window.portalPasskeysReady = true;
  document.addEventListener("htmx:load", reveal);

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBufferIds(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBuffer(item.id) };
      if (item.transports) { copy.transports = item.transports; }
      return copy;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = withBufferIds(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = withBufferIds(json.allowCredentials);
    return options;
  }

  function credentialJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) { out.response.userHandle = toText(response.userHandle); }
    }
    return out;
  }

  function say(form, text) {
    var box = form.querySelector("[data-passkey-message]");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }

  function ceremony(form) {
    var registering = form.getAttribute("data-passkey") === "register";
    return fetch(form.getAttribute("data-options-url"), {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (answer) {
      if (!answer.ok) { form.submit(); return null; }
      return answer.json().then(function (json) {
        var asked = registering ? navigator.credentials.create({ publicKey: creationOptions(json) })
                                : navigator.credentials.get({ publicKey: requestOptions(json) });
        return asked.then(function (credential) {
          form.querySelector("input[name=credential]").value = JSON.stringify(credentialJson(credential));
          form.submit();
        }, function (error) {
          // NotAllowedError: cancelled or timed out; InvalidStateError: this device already has one.
          say(form, error && error.name === "InvalidStateError" ? form.dataset.msgExists : form.dataset.msgCancelled);
        });
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-passkey]") || !supported()) { return; }
    event.preventDefault();
    if (form.dataset.busy) { return; }
    form.dataset.busy = "1";
    say(form, "");
    ceremony(form).catch(function () {
      say(form, form.dataset.msgFailed);
    }).then(function () {
      delete form.dataset.busy;
    });
  });
}());
