/* Embeddable live-chat widget of the lead server: plain JavaScript, no dependencies, no external
 * resources (no fonts, no CDN).
 *
 * Embed with
 *   <script src="https://LEAD-SERVER/widget.js" data-key="wk_..." data-lang="ar" async></script>
 * (`data-widget-key` works as well as `data-key`; `data-lang` is optional: without it the page's
 * <html lang> decides, `ar` or `en`, default `en`), or call
 * LeadChat.mount({key: "wk_...", lang: "ar"}) yourself.
 *
 * The widget lives in a shadow root, so the host page's styles cannot reach it. It shows a launcher
 * bubble in the bottom corner (bottom-left in Arabic, right to left) that opens a panel with the
 * business name, a greeting, the conversation and a small optional form for a name and a phone or
 * email. The session id is kept in localStorage per widget key, and the chat is restored on
 * reload from /webhooks/live-chat/history. */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, location.href).origin : location.origin;

  var TEXT = {
    en: {
      open: "Open chat",
      close: "Close chat",
      title: "Chat with us",
      placeholder: "Type a message…",
      send: "Send",
      leave: "Leave your number",
      contactIntro: "How can we reach you? (optional)",
      name: "Your name",
      contact: "Phone or email",
      save: "Send details",
      skip: "Skip",
      saved: "Thanks! We will use these details to get back to you.",
      badContact: "Please check the phone number or email.",
      blocked: "This chat is not enabled for this website.",
      unknownKey: "This chat is not available.",
      failed: "The message could not be sent. Please try again.",
      offline: "The chat cannot be reached right now. Please try again later.",
      typing: "Typing…",
      you: "You",
      myName: "My name is ",
      myPhone: "My number is ",
      myEmail: "My email is "
    },
    ar: {
      open: "افتح المحادثة",
      close: "أغلق المحادثة",
      title: "تحدث معنا",
      placeholder: "اكتب رسالتك…",
      send: "إرسال",
      leave: "اترك رقمك",
      contactIntro: "كيف نتواصل معك؟ (اختياري)",
      name: "اسمك",
      contact: "رقم الجوال أو البريد الإلكتروني",
      save: "أرسل البيانات",
      skip: "تخطي",
      saved: "شكراً! سنستخدم هذه البيانات للتواصل معك.",
      badContact: "يرجى التحقق من رقم الجوال أو البريد الإلكتروني.",
      blocked: "هذه المحادثة غير مفعّلة لهذا الموقع.",
      unknownKey: "هذه المحادثة غير متاحة.",
      failed: "تعذّر إرسال الرسالة. حاول مرة أخرى.",
      offline: "لا يمكن الوصول إلى المحادثة الآن. حاول لاحقاً.",
      typing: "يكتب…",
      you: "أنت",
      myName: "اسمي ",
      myPhone: "رقمي ",
      myEmail: "بريدي "
    }
  };

  /* A reply that asks how to reach the lead: the contact form is offered then. */
  var ASKS_CONTACT =
    /(phone|number|e-?mail|whats ?app|reach you|contact you|call you|call back|رقم|جوال|موبايل|هاتف|واتس|بريد|ايميل|إيميل|نتواصل|التواصل|نتصل|الاتصال)/i;

  var STYLE =
    ":host{all:initial}" +
    "*{box-sizing:border-box}" +
    ".lc-root{position:fixed;bottom:20px;right:20px;z-index:2147483000;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans Arabic',Tahoma,sans-serif;" +
    "color:#14171f;direction:ltr;text-align:start}" +
    ".lc-root[dir=rtl]{right:auto;left:20px;direction:rtl}" +
    ".lc-launcher{width:58px;height:58px;border-radius:50%;border:0;background:#1f6feb;color:#fff;" +
    "cursor:pointer;box-shadow:0 6px 20px rgba(15,23,42,.28);display:flex;align-items:center;" +
    "justify-content:center;margin-inline-start:auto;padding:0}" +
    ".lc-launcher:hover{background:#1a5fd0}" +
    ".lc-launcher svg{width:28px;height:28px;fill:currentColor}" +
    "button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f4b400;outline-offset:2px}" +
    ".lc-panel{width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 110px);" +
    "background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(15,23,42,.3);display:flex;" +
    "flex-direction:column;overflow:hidden;margin-bottom:12px}" +
    ".lc-panel[hidden]{display:none}" +
    ".lc-header{background:#1f6feb;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:10px}" +
    ".lc-avatar{width:34px;height:34px;border-radius:50%;background:rgba(255,255,255,.22);display:flex;" +
    "align-items:center;justify-content:center;font-weight:700;flex:none}" +
    ".lc-heading{flex:1;min-width:0}" +
    ".lc-name{font-weight:700;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;margin:0;" +
    "unicode-bidi:plaintext;text-align:left}" +
    ".lc-root[dir=rtl] .lc-name{text-align:right}" +
    ".lc-sub[hidden]{display:none}" +
    ".lc-avatar svg{width:18px;height:18px;fill:#fff}" +
    ".lc-sub{font-size:12px;opacity:.85}" +
    ".lc-close{background:transparent;border:0;color:#fff;font-size:24px;line-height:1;cursor:pointer;" +
    "width:34px;height:34px;border-radius:8px;padding:0}" +
    ".lc-close:hover{background:rgba(255,255,255,.15)}" +
    ".lc-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7fb}" +
    ".lc-msg{padding:8px 12px;border-radius:14px;max-width:82%;white-space:pre-wrap;word-wrap:break-word;" +
    "unicode-bidi:plaintext}" +
    ".lead-chat-visitor{align-self:flex-end;background:#1f6feb;color:#fff;border-end-end-radius:4px}" +
    ".lead-chat-bot{align-self:flex-start;background:#fff;color:#14171f;border:1px solid #e1e4ec;" +
    "border-end-start-radius:4px}" +
    ".lc-typing{align-self:flex-start;color:#5b6272;font-size:13px;font-style:italic}" +
    ".lc-notice{align-self:stretch;text-align:center;font-size:13px;color:#5b6272}" +
    ".lead-chat-error{align-self:stretch;text-align:center;color:#a3151d;background:#fdecee;" +
    "border:1px solid #f5c2c7;border-radius:10px;padding:8px 10px;font-size:14px}" +
    ".lc-contact{border-top:1px solid #e1e4ec;padding:10px 12px;display:flex;flex-direction:column;gap:6px;background:#fff}" +
    ".lc-contact[hidden]{display:none}" +
    ".lc-contact p{margin:0;font-size:13px;color:#3b4252}" +
    ".lc-contact label{font-size:12px;color:#5b6272}" +
    ".lc-field{border:1px solid #ccd1dc;border-radius:8px;padding:7px 9px;font:inherit;width:100%;" +
    "unicode-bidi:plaintext;background:#fff;color:#14171f}" +
    ".lc-row{display:flex;gap:8px}" +
    ".lc-primary{border:0;background:#1f6feb;color:#fff;border-radius:8px;padding:7px 12px;font:inherit;cursor:pointer}" +
    ".lc-secondary{border:1px solid #ccd1dc;background:#fff;color:#14171f;border-radius:8px;padding:7px 12px;" +
    "font:inherit;cursor:pointer}" +
    ".lc-links{padding:4px 12px;background:#fff;border-top:1px solid #e1e4ec;font-size:13px}" +
    ".lc-links[hidden]{display:none}" +
    ".lc-link{background:none;border:0;padding:2px 0;color:#1f6feb;text-decoration:underline;cursor:pointer;font:inherit}" +
    ".lc-form{display:flex;border-top:1px solid #e1e4ec;background:#fff}" +
    ".lc-input{flex:1;min-width:0;border:0;padding:12px;font:inherit;unicode-bidi:plaintext;background:#fff;color:#14171f}" +
    ".lc-input:disabled{background:#f2f3f6}" +
    ".lc-input:focus-visible{outline:none;box-shadow:inset 0 0 0 2px #1f6feb}" +
    ".lc-root[dir=rtl] .lc-input:placeholder-shown{text-align:right}" +
    ".lc-send{border:0;background:#1f6feb;color:#fff;padding:0 16px;font:inherit;font-weight:600;cursor:pointer}" +
    ".lc-send:disabled{background:#9bb7e6;cursor:default}" +
    "@media (max-width:420px){.lc-root{bottom:12px;right:12px}.lc-root[dir=rtl]{left:12px}" +
    ".lc-panel{max-width:calc(100vw - 24px)}}";

  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 ' +
    '2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0 4v2h7v-2H7z"/></svg>';

  function store(name, value) {
    try {
      if (value === undefined) return localStorage.getItem(name);
      if (value === null) localStorage.removeItem(name);
      else localStorage.setItem(name, value);
    } catch (e) {
      /* Private browsing: the session lasts as long as the page. */
    }
    return null;
  }

  function sessionId(key) {
    var name = "lead-chat-session:" + key;
    var id = store(name);
    if (!id || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
      id = window.crypto && crypto.randomUUID
        ? crypto.randomUUID()
        : String(Date.now()) + "-" + Math.random().toString(36).slice(2);
      store(name, id);
    }
    return id;
  }

  function pageLanguage(explicit) {
    var lang = explicit || (document.documentElement && document.documentElement.lang) || "";
    return /^ar\b/i.test(lang) ? "ar" : "en";
  }

  function el(tag, cls, attrs) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
      }
    }
    return node;
  }

  /* A response as {status, body}; the body is null when it is not JSON. */
  function readJson(res) {
    return res.text().then(function (text) {
      var body = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch (e) {
        body = null;
      }
      return { status: res.status, ok: res.ok, body: body };
    });
  }

  function mount(options) {
    var key = options && options.key;
    if (!key) throw new Error("LeadChat.mount needs a widget key");
    var server = (options.server || base).replace(/\/$/, "");
    var lang = pageLanguage(options.lang);
    var t = TEXT[lang];
    var rtl = lang === "ar";
    var session = sessionId(key);
    var conversationKey = "lead-chat-conversation:" + key;
    var conversation = store(conversationKey);
    /* Set once the visitor's details went through, so the form is not offered again. */
    var contactKey = "lead-chat-contact:" + key;
    var contactGiven = store(contactKey) === "1";
    var q = "widget_key=" + encodeURIComponent(key);

    var host = el("div", null, { id: "lead-chat-widget", "data-lead-chat": "" });
    var shadow = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = STYLE;
    shadow.appendChild(style);

    var root = el("div", "lc-root", { dir: rtl ? "rtl" : "ltr", lang: lang });
    var panelId = "lead-chat-panel";
    var panel = el("section", "lc-panel", {
      id: panelId,
      role: "dialog",
      "aria-label": t.title,
      hidden: ""
    });

    var header = el("header", "lc-header");
    var avatar = el("span", "lc-avatar", { "aria-hidden": "true" });
    avatar.innerHTML = ICON;
    var heading = el("div", "lc-heading");
    var nameEl = el("h2", "lc-name", { id: "lead-chat-business" });
    nameEl.textContent = t.title;
    var sub = el("div", "lc-sub", { hidden: "" });
    sub.textContent = t.title;
    heading.appendChild(nameEl);
    heading.appendChild(sub);
    var closeBtn = el("button", "lc-close", { type: "button", id: "lead-chat-close", "aria-label": t.close });
    closeBtn.textContent = "×";
    header.appendChild(avatar);
    header.appendChild(heading);
    header.appendChild(closeBtn);

    var log = el("div", "lc-log", { id: "lead-chat-log", "aria-live": "polite", role: "log" });

    var contactBox = el("form", "lc-contact", { id: "lead-chat-contact", hidden: "", novalidate: "" });
    var intro = el("p");
    intro.textContent = t.contactIntro;
    var nameLabel = el("label", null, { for: "lead-chat-name" });
    nameLabel.textContent = t.name;
    var nameInput = el("input", "lc-field", {
      id: "lead-chat-name",
      type: "text",
      autocomplete: "name",
      dir: "auto",
      maxlength: "200"
    });
    var contactLabel = el("label", null, { for: "lead-chat-reach" });
    contactLabel.textContent = t.contact;
    var contactInput = el("input", "lc-field", {
      id: "lead-chat-reach",
      type: "text",
      autocomplete: "tel",
      inputmode: "email",
      dir: "ltr",
      maxlength: "254"
    });
    var contactRow = el("div", "lc-row");
    var saveBtn = el("button", "lc-primary", { type: "submit", id: "lead-chat-save" });
    saveBtn.textContent = t.save;
    var skipBtn = el("button", "lc-secondary", { type: "button", id: "lead-chat-skip" });
    skipBtn.textContent = t.skip;
    contactRow.appendChild(saveBtn);
    contactRow.appendChild(skipBtn);
    contactBox.appendChild(intro);
    contactBox.appendChild(nameLabel);
    contactBox.appendChild(nameInput);
    contactBox.appendChild(contactLabel);
    contactBox.appendChild(contactInput);
    contactBox.appendChild(contactRow);

    var links = el("div", "lc-links");
    if (contactGiven) links.hidden = true;
    var leaveLink = el("button", "lc-link", { type: "button", id: "lead-chat-leave-number" });
    leaveLink.textContent = t.leave;
    links.appendChild(leaveLink);

    var form = el("form", "lc-form");
    var input = el("input", "lc-input", {
      id: "lead-chat-input",
      type: "text",
      dir: "auto",
      autocomplete: "off",
      maxlength: "5000",
      "aria-label": t.placeholder,
      placeholder: t.placeholder
    });
    var send = el("button", "lc-send", { id: "lead-chat-send", type: "submit", "aria-label": t.send });
    send.textContent = t.send;
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(contactBox);
    panel.appendChild(links);
    panel.appendChild(form);

    var launcher = el("button", "lc-launcher", {
      type: "button",
      id: "lead-chat-launcher",
      "aria-label": t.open,
      "aria-expanded": "false",
      "aria-controls": panelId
    });
    launcher.innerHTML = ICON;

    root.appendChild(panel);
    root.appendChild(launcher);
    shadow.appendChild(root);
    (options.target || document.body).appendChild(host);

    var shown = {};
    var source = null;
    var streamUrl = null;
    var config = null;
    var greeted = false;
    var blocked = false;
    var contact = null; /* {name, phone, email} waiting to go with the next message */
    var contactOffered = contactGiven;
    var typing = null;

    function scroll() {
      log.scrollTop = log.scrollHeight;
    }

    function bubble(text, cls, id) {
      if (id) {
        if (shown[id]) return null;
        shown[id] = true;
      }
      var b = el("div", "lc-msg " + cls, { dir: "auto" });
      b.textContent = text;
      if (id) b.setAttribute("data-id", id);
      if (typing && typing.parentNode === log) log.insertBefore(b, typing);
      else log.appendChild(b);
      scroll();
      return b;
    }

    function notice(text, cls) {
      var n = el("div", cls || "lc-notice", { role: cls === "lead-chat-error" ? "alert" : "status" });
      n.textContent = text;
      log.appendChild(n);
      scroll();
      return n;
    }

    function setTyping(on) {
      if (on && !typing) {
        typing = el("div", "lc-typing", { "aria-hidden": "true" });
        typing.textContent = t.typing;
        log.appendChild(typing);
        scroll();
      } else if (!on && typing) {
        typing.remove();
        typing = null;
      }
    }

    function greet() {
      if (greeted || !config) return;
      greeted = true;
      var g = el("div", "lc-msg lead-chat-bot lc-greeting", { dir: "auto", id: "lead-chat-greeting" });
      g.textContent = (config.greeting && config.greeting[lang]) || "";
      log.insertBefore(g, log.firstChild);
    }

    function block(message) {
      if (blocked) return;
      blocked = true;
      input.disabled = true;
      send.disabled = true;
      links.hidden = true;
      contactBox.hidden = true;
      notice(message, "lead-chat-error lc-blocked");
    }

    /* Reads a problem answer and says what it means to the visitor; true when it was a refusal. */
    function refusal(res) {
      var code = res.body && res.body.code;
      if (res.status === 403 || code === "origin_not_allowed") {
        block(t.blocked);
        return true;
      }
      if (res.status === 401 || code === "invalid_widget_key") {
        block(t.unknownKey);
        return true;
      }
      return false;
    }

    function offerContact() {
      if (contactOffered || blocked || contact) return;
      contactOffered = true;
      contactBox.hidden = false;
      links.hidden = true;
      scroll();
    }

    function hideContact(focusInput) {
      contactBox.hidden = true;
      if (!contact && !blocked && !contactGiven) links.hidden = false;
      if (focusInput) input.focus();
    }

    function botReply(text, id) {
      setTyping(false);
      if (bubble(text, "lead-chat-bot", id) && ASKS_CONTACT.test(text)) offerContact();
    }

    function listen(url) {
      if (!url || (url === streamUrl && source)) return;
      if (source) source.close();
      streamUrl = url;
      if (!window.EventSource) return;
      source = new EventSource(server + url);
      source.addEventListener("message", function (ev) {
        try {
          var data = JSON.parse(ev.data);
          botReply(data.text, data.id);
        } catch (e) {
          /* A malformed event is skipped; the next one is read normally. */
        }
      });
    }

    function streamAfter(last) {
      if (!conversation) return;
      var url =
        "/webhooks/live-chat/stream?" + q + "&session_id=" + encodeURIComponent(session) +
        "&conversation_id=" + encodeURIComponent(conversation);
      if (last) url += "&after=" + encodeURIComponent(last);
      listen(url);
    }

    function loadConfig() {
      return fetch(server + "/webhooks/live-chat/config?" + q)
        .then(readJson)
        .then(function (res) {
          if (!res.ok) {
            if (!refusal(res)) notice(t.offline, "lead-chat-error");
            return;
          }
          config = res.body || {};
          if (config.business_name) {
            nameEl.textContent = config.business_name;
            avatar.textContent = config.business_name.trim().charAt(0).toUpperCase();
            sub.hidden = false;
          }
          panel.setAttribute("aria-label", (config.business_name || t.title) + " — " + t.title);
          greet();
        })
        .catch(function () {
          notice(t.offline, "lead-chat-error");
        });
    }

    function loadHistory() {
      if (blocked || !conversation) return;
      var url =
        server + "/webhooks/live-chat/history?" + q + "&session_id=" + encodeURIComponent(session) +
        "&conversation_id=" + encodeURIComponent(conversation);
      return fetch(url)
        .then(readJson)
        .then(function (res) {
          if (!res.ok) {
            refusal(res);
            return;
          }
          var messages = (res.body && res.body.messages) || [];
          if (!res.body || !res.body.conversation_id) {
            /* The conversation is gone or no longer this session's: start afresh. */
            conversation = null;
            store(conversationKey, null);
            return;
          }
          var last = null;
          messages.forEach(function (m) {
            if (m.direction === "inbound") bubble(m.body, "lead-chat-visitor", m.id);
            else bubble(m.body, "lead-chat-bot", m.id);
            last = m.id;
          });
          streamAfter(last);
        })
        .catch(function () {
          /* The history is a convenience: the chat works without it. */
        });
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      launcher.setAttribute("aria-label", t.close);
      greet();
      scroll();
      if (!input.disabled) input.focus();
      else closeBtn.focus();
    }

    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", t.open);
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open();
      else close();
    });
    closeBtn.addEventListener("click", close);
    panel.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") {
        ev.preventDefault();
        close();
      }
    });
    leaveLink.addEventListener("click", function () {
      contactOffered = false;
      offerContact();
      nameInput.focus();
    });
    skipBtn.addEventListener("click", function () {
      hideContact(true);
    });

    /* The details as the visitor would write them, in the widget's language. */
    function details() {
      var parts = [];
      if (contact.name) parts.push(t.myName + contact.name);
      /* Isolated left to right, so "+966..." keeps its plus sign in front in Arabic text. */
      if (contact.phone) parts.push(t.myPhone + "\u2066" + contact.phone + "\u2069");
      if (contact.email) parts.push(t.myEmail + "\u2066" + contact.email + "\u2069");
      return parts.join(rtl ? "، " : ", ");
    }

    contactBox.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var name = nameInput.value.trim();
      var reach = contactInput.value.trim();
      if (!name && !reach) {
        hideContact(true);
        return;
      }
      contact = { name: name || null, phone: null, email: null };
      if (reach.indexOf("@") >= 0) contact.email = reach;
      else if (reach) contact.phone = reach;
      contactBox.hidden = true;
      links.hidden = true;
      /* Sent now as the visitor's answer, unless a message is being written: then with it. */
      if (!input.value.trim()) sendMessage(details());
      else input.focus();
    });

    function sendMessage(text) {
      if (blocked) return;
      bubble(text, "lead-chat-visitor");
      send.disabled = true;
      setTyping(true);
      var body = { session_id: session, message: text };
      var given = contact;
      if (given) {
        if (given.name) body.name = given.name;
        if (given.phone) body.phone = given.phone;
        if (given.email) body.email = given.email;
      }
      fetch(server + "/webhooks/live-chat?" + q, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Widget-Key": key },
        body: JSON.stringify(body)
      })
        .then(readJson)
        .then(function (res) {
          if (!res.ok) {
            setTyping(false);
            if (refusal(res)) return;
            var fields = ((res.body && res.body.errors) || []).map(function (e) {
              return e.field;
            });
            if (given && (fields.indexOf("phone") >= 0 || fields.indexOf("email") >= 0)) {
              /* The details were refused: ask again rather than lose the message. */
              contact = null;
              notice(t.badContact, "lead-chat-error");
              contactOffered = false;
              offerContact();
              return;
            }
            notice(t.failed, "lead-chat-error");
            return;
          }
          var data = res.body || {};
          if (given) {
            contact = null;
            contactOffered = true;
            contactGiven = true;
            store(contactKey, "1");
            links.hidden = true;
            notice(t.saved);
          }
          if (data.conversation_id) {
            conversation = data.conversation_id;
            store(conversationKey, conversation);
          }
          if (data.reply) botReply(data.reply.text, data.reply.id);
          listen(data.stream_url);
        })
        .catch(function () {
          setTyping(false);
          notice(t.failed, "lead-chat-error");
        })
        .then(function () {
          if (!blocked) {
            send.disabled = false;
            input.focus();
          }
        });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text || blocked) return;
      input.value = "";
      sendMessage(text);
    });

    var ready = loadConfig().then(loadHistory);
    if (options.open) open();

    return {
      session: session,
      ready: ready,
      open: open,
      close: function () {
        if (source) source.close();
        host.remove();
      }
    };
  }

  window.LeadChat = { mount: mount };

  var auto = script && (script.getAttribute("data-key") || script.getAttribute("data-widget-key"));
  if (auto) {
    var start = function () {
      mount({
        key: auto,
        lang: script.getAttribute("data-lang") || undefined,
        open: script.getAttribute("data-open") === "true"
      });
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
})();
