/* Embeddable live-chat widget of the lead server: plain JavaScript, no dependencies.
 *
 * Embed with <script src="https://LEAD-SERVER/widget.js" data-widget-key="wk_..."></script>
 * or call LeadChat.mount({key: "wk_...", target: element}) yourself. Every bubble and the input
 * use dir="auto" so Arabic renders right to left and English left to right. */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, location.href).origin : location.origin;

  var STYLE =
    ".lead-chat{font:15px/1.4 system-ui,sans-serif;border:1px solid #ccd;border-radius:10px;" +
    "width:340px;max-width:100%;display:flex;flex-direction:column;background:#fff;color:#111}" +
    ".lead-chat-log{height:320px;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}" +
    ".lead-chat-msg{padding:6px 10px;border-radius:12px;max-width:80%;white-space:pre-wrap;unicode-bidi:plaintext}" +
    ".lead-chat-visitor{align-self:flex-end;background:#1f6feb;color:#fff}" +
    ".lead-chat-bot{align-self:flex-start;background:#eef}" +
    ".lead-chat-error{align-self:center;color:#a00;font-size:13px}" +
    ".lead-chat-form{display:flex;border-top:1px solid #ccd}" +
    ".lead-chat-input{flex:1;border:0;padding:10px;font:inherit;unicode-bidi:plaintext}" +
    ".lead-chat-send{border:0;background:#1f6feb;color:#fff;padding:0 14px;font:inherit;cursor:pointer}";

  function sessionId(key) {
    var name = "lead-chat-session:" + key;
    var id = null;
    try {
      id = localStorage.getItem(name);
    } catch (e) {
      id = null;
    }
    if (!id) {
      id = window.crypto && crypto.randomUUID
        ? crypto.randomUUID()
        : String(Date.now()) + "-" + Math.random().toString(36).slice(2);
      try {
        localStorage.setItem(name, id);
      } catch (e) {
        /* Private browsing: the session lasts as long as the page. */
      }
    }
    return id;
  }

  function el(tag, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    return node;
  }

  function mount(options) {
    var key = options && options.key;
    if (!key) throw new Error("LeadChat.mount needs a widget key");
    var server = (options.server || base).replace(/\/$/, "");
    var target = options.target || document.body;
    var session = sessionId(key);

    if (!document.getElementById("lead-chat-style")) {
      var style = el("style");
      style.id = "lead-chat-style";
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    var box = el("div", "lead-chat");
    var log = el("div", "lead-chat-log");
    log.id = "lead-chat-log";
    log.setAttribute("aria-live", "polite");
    var form = el("form", "lead-chat-form");
    var input = el("input", "lead-chat-input");
    input.id = "lead-chat-input";
    input.type = "text";
    input.dir = "auto";
    input.autocomplete = "off";
    input.placeholder = options.placeholder || "Type a message / اكتب رسالتك";
    var send = el("button", "lead-chat-send");
    send.id = "lead-chat-send";
    send.type = "submit";
    send.textContent = options.sendLabel || "Send";
    form.appendChild(input);
    form.appendChild(send);
    box.appendChild(log);
    box.appendChild(form);
    target.appendChild(box);

    var shown = {};
    var source = null;
    var streamUrl = null;

    function bubble(text, cls, id) {
      if (id) {
        if (shown[id]) return;
        shown[id] = true;
      }
      var b = el("div", "lead-chat-msg " + cls);
      b.dir = "auto";
      b.textContent = text;
      if (id) b.setAttribute("data-id", id);
      log.appendChild(b);
      log.scrollTop = log.scrollHeight;
    }

    function listen(url) {
      if (url === streamUrl && source) return;
      if (source) source.close();
      streamUrl = url;
      source = new EventSource(server + url);
      source.addEventListener("message", function (ev) {
        try {
          var data = JSON.parse(ev.data);
          bubble(data.text, "lead-chat-bot", data.id);
        } catch (e) {
          /* A malformed event is skipped; the next one is read normally. */
        }
      });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      bubble(text, "lead-chat-visitor");
      send.disabled = true;
      fetch(server + "/webhooks/live-chat?widget_key=" + encodeURIComponent(key), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Widget-Key": key },
        body: JSON.stringify({ session_id: session, message: text })
      })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) throw new Error(body.detail || "the message could not be sent");
            return body;
          });
        })
        .then(function (body) {
          if (body.reply) {
            bubble(body.reply.text, "lead-chat-bot", body.reply.id);
          }
          listen(body.stream_url);
        })
        .catch(function (err) {
          bubble(err.message, "lead-chat-error");
        })
        .then(function () {
          send.disabled = false;
          input.focus();
        });
    });

    return {
      session: session,
      close: function () {
        if (source) source.close();
        box.remove();
      }
    };
  }

  window.LeadChat = { mount: mount };

  if (script && script.getAttribute("data-widget-key")) {
    var start = function () {
      mount({ key: script.getAttribute("data-widget-key") });
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})();
