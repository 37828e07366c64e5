/*
 * Widget de l'assistant des chargé(e)s de coopération.
 *
 * Intégration (une seule balise) :
 *   <script src="https://assistant.exemple.fr/widget.js"
 *           data-server="https://rasa.exemple.fr"   adresse du serveur Rasa (socket.io)
 *           data-title="Assistant coopération"      titre du panneau
 *           data-open="false"                       panneau ouvert au chargement ?
 *           data-initial-message="/greet"           message envoyé à la première ouverture
 *           data-mode="floating"                    "floating" (bouton flottant) ou "inline"
 *           data-target="#id"></script>             conteneur du mode "inline"
 *
 * Le texte des réponses n'est jamais interprété comme du HTML : il est construit avec
 * textContent ; seuls le gras (**texte**), les listes et les liens http(s) sont mis en forme.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var base = script.src.replace(/[^/]*$/, "");
  var settings = {
    server: script.getAttribute("data-server") || window.location.origin,
    title: script.getAttribute("data-title") || "Assistant coopération",
    open: script.getAttribute("data-open") === "true",
    initialMessage: script.getAttribute("data-initial-message") || "",
    mode: script.getAttribute("data-mode") === "inline" ? "inline" : "floating",
    target: script.getAttribute("data-target"),
  };
  // "v2": before, the stored id was the conversation id itself, visible in the server's logs;
  // now it is a secret the server hashes. Old ids are dropped so none stays usable.
  var storageKey = "coop-assistant-v2:" + settings.server;
  var REPLY_TIMEOUT_MS = 20000;

  function loadStyle() {
    var href = base + "widget.css";
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === href) {
        return;
      }
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  function loadSocketIo(callback) {
    if (window.io) {
      callback();
      return;
    }
    var tag = document.createElement("script");
    tag.src = base + "vendor/socket.io.min.js";
    tag.onload = function () {
      callback();
    };
    tag.onerror = function () {
      callback(new Error("socket.io"));
    };
    document.head.appendChild(tag);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* Inline formatting, built node by node: **bold** and http(s) links; the rest is text. */
  function appendInline(parent, text) {
    var pattern = /\*\*([^*]+)\*\*|(https?:\/\/[^\s<>"')]+)/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) {
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      }
      if (match[1] !== undefined) {
        parent.appendChild(el("strong", null, match[1]));
      } else {
        var link = el("a", null, match[2]);
        link.href = match[2];
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.appendChild(link);
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) {
      parent.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  /* Paragraphs, bulleted lists ("- ") and numbered lists ("1. "). */
  function renderText(container, text) {
    var list = null;
    var listKind = null;
    String(text).split("\n").forEach(function (line) {
      var bullet = /^\s*[-•]\s+(.*)$/.exec(line);
      var numbered = /^\s*(\d+)\.\s+(.*)$/.exec(line);
      var kind = bullet ? "ul" : numbered ? "ol" : null;
      if (kind) {
        if (listKind !== kind) {
          list = el(kind, "coop-list");
          if (numbered && numbered[1] !== "1") {
            list.start = parseInt(numbered[1], 10);
          }
          container.appendChild(list);
          listKind = kind;
        }
        var item = el("li");
        appendInline(item, bullet ? bullet[1] : numbered[2]);
        list.appendChild(item);
      } else {
        list = null;
        listKind = null;
        if (line.trim()) {
          var paragraph = el("p");
          appendInline(paragraph, line);
          container.appendChild(paragraph);
        }
      }
    });
  }

  function loadState() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      if (saved && typeof saved.sessionId === "string" && Array.isArray(saved.history)) {
        return saved;
      }
    } catch (error) {
      /* storage unavailable or corrupt: start over */
    }
    return { sessionId: newSessionId(), history: [], open: settings.open };
  }

  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function Widget() {
    this.state = loadState();
    this.socket = null;
    this.ready = false;
    this.pending = [];
    this.replyTimer = null;
    this.build();
    this.history();
    if (settings.mode === "inline" || this.state.open) {
      this.open(false);
    }
  }

  Widget.prototype.save = function () {
    try {
      this.state.history = this.state.history.slice(-200);
      window.localStorage.setItem(storageKey, JSON.stringify(this.state));
    } catch (error) {
      /* private browsing: the conversation still works, it just won't survive a reload */
    }
  };

  Widget.prototype.build = function () {
    var self = this;
    var root = el("div", "coop-widget coop-" + settings.mode);
    this.root = root;
    var panelId = "coop-panel-" + Math.random().toString(36).slice(2);

    if (settings.mode === "floating") {
      this.launcher = el("button", "coop-launcher");
      this.launcher.type = "button";
      this.launcher.setAttribute("aria-controls", panelId);
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.appendChild(el("span", "coop-launcher-icon", "?"));
      this.launcher.appendChild(el("span", "coop-launcher-label", "Besoin d'aide ? Assistant coopération"));
      this.launcher.addEventListener("click", function () {
        if (self.isOpen) {
          self.close();
        } else {
          self.open(true);
        }
      });
      root.appendChild(this.launcher);
    }

    var panel = el("section", "coop-panel");
    panel.id = panelId;
    panel.setAttribute("role", settings.mode === "floating" ? "dialog" : "region");
    panel.setAttribute("aria-label", settings.title);
    panel.hidden = true;
    this.panel = panel;

    var header = el("header", "coop-header");
    header.appendChild(el("h2", "coop-title", settings.title));
    var reset = el("button", "coop-reset", "Nouvelle conversation");
    reset.type = "button";
    reset.addEventListener("click", function () {
      self.reset();
    });
    header.appendChild(reset);
    if (settings.mode === "floating") {
      var close = el("button", "coop-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "Fermer l'assistant");
      close.addEventListener("click", function () {
        self.close();
      });
      header.appendChild(close);
    }
    panel.appendChild(header);

    this.status = el("p", "coop-status");
    this.status.setAttribute("role", "status");
    panel.appendChild(this.status);

    this.log = el("div", "coop-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;
    panel.appendChild(this.log);

    this.typing = el("p", "coop-typing", "L'assistant écrit…");
    this.typing.hidden = true;
    panel.appendChild(this.typing);

    var form = el("form", "coop-form");
    var inputId = panelId + "-input";
    var label = el("label", "coop-visually-hidden", "Votre message");
    label.htmlFor = inputId;
    this.input = el("input", "coop-input");
    this.input.id = inputId;
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.maxLength = 2000;
    this.input.placeholder = "Écrivez votre question…";
    var send = el("button", "coop-send", "Envoyer");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (text) {
        self.input.value = "";
        self.send(text, text);
      }
    });
    panel.appendChild(form);

    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && settings.mode === "floating") {
        self.close();
      }
    });
    root.appendChild(panel);

    var container = settings.target ? document.querySelector(settings.target) : null;
    (container || document.body).appendChild(root);
  };

  Widget.prototype.open = function (focus) {
    this.isOpen = true;
    this.panel.hidden = false;
    if (this.launcher) {
      this.launcher.setAttribute("aria-expanded", "true");
      this.root.classList.add("coop-is-open");
    }
    this.state.open = true;
    this.save();
    this.connect();
    if (focus) {
      this.input.focus();
    }
  };

  Widget.prototype.close = function () {
    this.isOpen = false;
    this.panel.hidden = true;
    this.root.classList.remove("coop-is-open");
    if (this.launcher) {
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.focus();
    }
    this.state.open = false;
    this.save();
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (this.socket) {
      return;
    }
    this.setStatus("Connexion à l'assistant…");
    loadSocketIo(function (error) {
      if (error || !window.io) {
        self.setStatus("L'assistant ne peut pas être chargé. Réessayez plus tard.");
        return;
      }
      var socket = window.io(settings.server, {
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
      });
      self.socket = socket;
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: self.state.sessionId });
      });
      socket.on("session_confirm", function () {
        self.ready = true;
        self.stale = false;
        self.setStatus("");
        if (!self.state.history.length && !self.pending.length && settings.initialMessage) {
          self.send(settings.initialMessage, null);
        }
        var queued = self.pending;
        self.pending = [];
        queued.forEach(function (message) {
          self.emit(message);
        });
      });
      socket.on("bot_uttered", function (message) {
        // After « Nouvelle conversation », replies of the old conversation still on their way
        // (sent before the server moved this connection to the new one) are not shown.
        if (self.stale) return;
        self.receive(message);
      });
      socket.on("disconnect", function () {
        self.ready = false;
        self.setStatus("Connexion perdue, reconnexion en cours…");
      });
      socket.on("connect_error", function () {
        self.ready = false;
        self.setStatus("L'assistant est injoignable, nouvelle tentative en cours…");
      });
    });
  };

  Widget.prototype.emit = function (message) {
    this.socket.emit("user_uttered", { message: message, session_id: this.state.sessionId });
  };

  /* Sends a message; `shown` is what the user sees (null for a silent payload). */
  Widget.prototype.send = function (message, shown) {
    var self = this;
    if (shown !== null) {
      this.add({ from: "user", text: shown });
    }
    this.clearQuickReplies();
    this.typing.hidden = false;
    window.clearTimeout(this.replyTimer);
    this.replyTimer = window.setTimeout(function () {
      self.typing.hidden = true;
      self.add({ from: "bot", text: "Pas de réponse pour le moment. Vérifiez votre connexion et réessayez.", error: true });
    }, REPLY_TIMEOUT_MS);
    if (this.ready) {
      this.emit(message);
    } else {
      this.pending.push(message);
      this.connect();
    }
  };

  Widget.prototype.receive = function (message) {
    window.clearTimeout(this.replyTimer);
    this.typing.hidden = true;
    var buttons = (message.quick_replies || message.buttons || [])
      .filter(function (button) {
        return button && button.title && button.payload;
      })
      .map(function (button) {
        return { title: String(button.title), payload: String(button.payload) };
      });
    if (message.text || buttons.length) {
      this.add({ from: "bot", text: message.text ? String(message.text) : "", buttons: buttons });
    }
  };

  Widget.prototype.add = function (entry) {
    this.state.history.push(entry);
    this.save();
    this.render(entry, true);
  };

  Widget.prototype.history = function () {
    var self = this;
    this.state.history.forEach(function (entry, index) {
      self.render(entry, index === self.state.history.length - 1);
    });
  };

  Widget.prototype.render = function (entry, withButtons) {
    var self = this;
    var bubble = el("div", "coop-message coop-" + entry.from + (entry.error ? " coop-error" : ""));
    var who = el("span", "coop-visually-hidden", entry.from === "user" ? "Vous : " : "Assistant : ");
    bubble.appendChild(who);
    if (entry.from === "user") {
      bubble.appendChild(el("p", null, entry.text));
    } else {
      renderText(bubble, entry.text);
    }
    this.log.appendChild(bubble);
    if (withButtons && entry.buttons && entry.buttons.length) {
      var group = el("div", "coop-quick-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Réponses suggérées");
      entry.buttons.forEach(function (button) {
        var choice = el("button", "coop-quick-reply", button.title);
        choice.type = "button";
        choice.addEventListener("click", function () {
          self.send(button.payload, button.title);
          self.input.focus();
        });
        group.appendChild(choice);
      });
      this.log.appendChild(group);
    }
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.clearQuickReplies = function () {
    var groups = this.log.querySelectorAll(".coop-quick-replies");
    for (var i = 0; i < groups.length; i++) {
      groups[i].parentNode.removeChild(groups[i]);
    }
  };

  Widget.prototype.reset = function () {
    this.state = { sessionId: newSessionId(), history: [], open: true };
    this.save();
    this.log.textContent = "";
    this.typing.hidden = true;
    window.clearTimeout(this.replyTimer);
    if (this.socket) {
      this.ready = false;
      this.stale = true;
      this.socket.emit("session_request", { session_id: this.state.sessionId });
    } else {
      this.connect();
    }
    this.input.focus();
  };

  loadStyle();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      window.coopAssistant = new Widget();
    });
  } else {
    window.coopAssistant = new Widget();
  }
})();
