/* Trợ lý Bình dân học vụ số: browser chat client.
 *
 * Talks to POST /api/messages on the same origin:
 *   request  {"user_id": "...", "text": "..."} or {"user_id": "...", "option": "<id>"}, plus "message_id"
 *   answer   {"replies": [{"text", "screen", "options": [{"id", "label"}], "image_url", "document_url"}]}
 *   error    4xx/5xx {"error": "<code>", "message": "<Vietnamese sentence>"}
 *
 * Everything the server sends is inserted as text (textContent), never as HTML.
 * Plain ES2017, no framework, no external resources.
 */
(function () {
  'use strict';

  var API_URL = '/api/messages';
  var USER_KEY = 'bdhvs_user_id';
  var HISTORY_KEY = 'bdhvs_history';
  var MAX_HISTORY = 100;
  var MAX_LEN = 4000;
  var COUNTER_FROM = 3600;      // show the character counter from here on
  var TIMEOUT_MS = 30000;       // a request slower than this counts as a lost connection

  var TXT = {
    you: 'Bạn: ',
    bot: 'Trợ lý: ',
    offline: 'Mất kết nối. Bạn thử gửi lại nhé.',
    retry: 'Gửi lại',
    serverBusy: 'Hệ thống đang bận. Bạn chờ một lát rồi bấm “Gửi lại” nhé.',
    generic: 'Xin lỗi, đã có trục trặc. Bạn thử lại sau ít phút nhé.',
    confirmRestart: 'Xoá cuộc trò chuyện trên máy này và bắt đầu lại từ đầu?',
    optionsGroup: 'Các lựa chọn',
    image: 'Hình ảnh kèm theo tin nhắn',
    imageMissing: '(Không tải được hình ảnh)',
    openFile: 'Mở tệp đính kèm',
    fileFallback: 'tệp đính kèm',
    charsFull: 'Đã đủ ' + MAX_LEN + ' ký tự, không gõ thêm được.',
    chars: function (n) { return n + '/' + MAX_LEN + ' ký tự'; }
  };

  // ---------- storage (falls back to memory when localStorage is blocked) ----------

  var store = (function () {
    try {
      var k = '__bdhvs_test__';
      window.localStorage.setItem(k, k);
      window.localStorage.removeItem(k);
      return window.localStorage;
    } catch (e) {
      var mem = {};
      return {
        getItem: function (key) { return Object.prototype.hasOwnProperty.call(mem, key) ? mem[key] : null; },
        setItem: function (key, val) { mem[key] = String(val); },
        removeItem: function (key) { delete mem[key]; }
      };
    }
  })();

  function randomHex128() {
    var bytes = new Uint8Array(16);
    var c = window.crypto || window.msCrypto;
    if (c && c.getRandomValues) {
      c.getRandomValues(bytes);
    } else {
      for (var j = 0; j < bytes.length; j++) bytes[j] = Math.floor(Math.random() * 256);
    }
    var hex = '';
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return hex;
  }

  function getUserId() {
    var id = store.getItem(USER_KEY);
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = randomHex128();
      try { store.setItem(USER_KEY, id); } catch (e) { /* storage full: keep it for this visit */ }
    }
    return id;
  }

  function loadHistory() {
    try {
      var data = JSON.parse(store.getItem(HISTORY_KEY) || '[]');
      if (!Array.isArray(data)) return [];
      return data.filter(function (m) {
        return m && (m.who === 'user' || m.who === 'bot');
      }).slice(-MAX_HISTORY);
    } catch (e) {
      return [];
    }
  }

  function saveHistory() {
    if (messages.length > MAX_HISTORY) messages = messages.slice(-MAX_HISTORY);
    try {
      store.setItem(HISTORY_KEY, JSON.stringify(messages));
    } catch (e) {
      // Storage full: keep fewer messages rather than none.
      try { store.setItem(HISTORY_KEY, JSON.stringify(messages.slice(-20))); } catch (e2) { /* give up quietly */ }
    }
  }

  // ---------- small helpers ----------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function str(v) {
    return typeof v === 'string' ? v : (v == null ? '' : String(v));
  }

  // Only http(s) links, resolved against this page: no javascript:, data: etc.
  function safeUrl(u) {
    if (typeof u !== 'string' || !u.trim()) return null;
    try {
      var url = new URL(u.trim(), window.location.href);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
    } catch (e) { /* fall through */ }
    return null;
  }

  function fileNameOf(href) {
    try {
      var parts = new URL(href).pathname.split('/');
      var last = parts[parts.length - 1] || '';
      try { last = decodeURIComponent(last); } catch (e) { /* keep raw */ }
      return last || TXT.fileFallback;
    } catch (e) {
      return TXT.fileFallback;
    }
  }

  // "1. Học bài" / "1) Học bài" -> "Học bài": the number is drawn from the position.
  function cleanLabel(label) {
    var s = str(label).trim();
    var stripped = s.replace(/^\d{1,2}\s*[.)]\s+/, '');
    return stripped || s;
  }

  function normOptions(opts) {
    if (!Array.isArray(opts)) return [];
    return opts.filter(function (o) {
      return o && o.id != null && str(o.label).trim() !== '';
    }).map(function (o) {
      return { id: str(o.id), label: str(o.label) };
    });
  }

  var coarsePointer = !!(window.matchMedia && window.matchMedia('(pointer: coarse)').matches);

  // ---------- DOM ----------

  var logEl, typingEl, formEl, inputEl, sendEl, counterEl, restartEl;

  var messages = [];
  var busy = false;
  var lastRequest = null;       // {payload, via} for "Gửi lại"
  var optionsEl = null;         // the only clickable option group (latest bot reply)

  function renderMessage(m) {
    var row = el('div', 'msg ' + m.who);
    if (m.screen) row.setAttribute('data-screen', str(m.screen));
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('span', 'sr-only', m.who === 'user' ? TXT.you : TXT.bot));

    var text = str(m.text);
    if (text) bubble.appendChild(el('div', 'text', text));

    var img = safeUrl(m.image_url);
    if (img) {
      var a = el('a', 'media');
      a.href = img;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      var im = document.createElement('img');
      im.src = img;
      im.alt = TXT.image;
      im.loading = 'lazy';
      im.decoding = 'async';
      im.addEventListener('error', function () {
        var missing = el('div', 'media media-missing', TXT.imageMissing);
        if (a.parentNode) a.parentNode.replaceChild(missing, a);
      });
      im.addEventListener('load', function () { keepBottomIfNear(); });
      a.appendChild(im);
      bubble.appendChild(a);
    }

    var doc = safeUrl(m.document_url);
    if (doc) {
      var d = el('a', 'doc-link');
      d.href = doc;
      d.target = '_blank';
      d.rel = 'noopener noreferrer';
      d.appendChild(el('span', 'doc-title', TXT.openFile));
      d.appendChild(el('span', 'doc-name', fileNameOf(doc)));
      bubble.appendChild(d);
    }

    row.appendChild(bubble);
    return row;
  }

  function renderOptions(row, options) {
    clearOptions();
    if (!options.length) return;
    var group = el('div', 'options');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', TXT.optionsGroup);
    options.forEach(function (o, i) {
      var label = cleanLabel(o.label);
      var b = el('button', 'opt');
      b.type = 'button';
      b.setAttribute('data-id', o.id);
      b.appendChild(el('span', 'num', (i + 1) + '.'));
      b.appendChild(document.createTextNode(' '));
      b.appendChild(el('span', 'label', label));
      b.disabled = busy;
      b.addEventListener('click', function (ev) {
        if (busy) return;
        b.classList.add('chosen');
        send({ option: o.id }, { echo: label, via: 'option', keyboard: ev.detail === 0 });
      });
      group.appendChild(b);
    });
    row.appendChild(group);
    optionsEl = group;
  }

  function clearOptions() {
    if (optionsEl && optionsEl.parentNode) optionsEl.parentNode.removeChild(optionsEl);
    optionsEl = null;
  }

  function setOptionsDisabled(disabled) {
    if (!optionsEl) return;
    var btns = optionsEl.querySelectorAll('button');
    for (var i = 0; i < btns.length; i++) {
      btns[i].disabled = disabled;
      if (!disabled) btns[i].classList.remove('chosen');
    }
  }

  // Older notices stay as a record, but only the newest one offers "Gửi lại".
  function retireNotices() {
    var btns = logEl.querySelectorAll('.msg.notice .retry');
    for (var i = 0; i < btns.length; i++) btns[i].parentNode.removeChild(btns[i]);
  }

  function showNotice(text, withRetry) {
    retireNotices();
    var row = el('div', 'msg bot notice');
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('span', 'sr-only', TXT.bot));
    bubble.appendChild(el('div', 'text', text));
    var retryBtn = null;
    if (withRetry && lastRequest) {
      retryBtn = el('button', 'opt retry', TXT.retry);
      retryBtn.type = 'button';
      retryBtn.addEventListener('click', function (ev) {
        if (busy || !lastRequest) return;
        var req = lastRequest;
        // The retried request gets a fresh answer (or a fresh notice).
        if (row.parentNode) row.parentNode.removeChild(row);
        send(req.payload, { echo: null, via: 'retry', keyboard: ev.detail === 0 });
      });
      bubble.appendChild(retryBtn);
    }
    row.appendChild(bubble);
    logEl.appendChild(row);
    return { row: row, retry: retryBtn };
  }

  // ---------- scrolling and focus ----------

  function docHeight() {
    return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);
  }

  function scrollToBottom() {
    window.scrollTo(0, docHeight());
  }

  // Show the newest message. If it is taller than the screen, show its
  // beginning instead of its end, so a long lesson is read from the top.
  function scrollToNewest(firstNew) {
    if (!firstNew) { scrollToBottom(); return; }
    var topbar = document.querySelector('.topbar');
    var topbarGap = (topbar ? topbar.offsetHeight : 0) + 12;
    var rect = firstNew.getBoundingClientRect();
    var remaining = docHeight() - (window.pageYOffset + window.innerHeight);
    if (rect.top - remaining < topbarGap) {
      window.scrollTo(0, window.pageYOffset + rect.top - topbarGap);
    } else {
      scrollToBottom();
    }
  }

  function nearBottom() {
    return docHeight() - (window.pageYOffset + window.innerHeight) < 160;
  }

  var wasNearBottom = true;
  function keepBottomIfNear() {
    if (wasNearBottom) scrollToBottom();
  }
  window.addEventListener('scroll', function () { wasNearBottom = nearBottom(); }, { passive: true });

  function focusNoScroll(node) {
    if (!node) return;
    try { node.focus({ preventScroll: true }); } catch (e) { node.focus(); }
  }

  // After a reply: the typist keeps the cursor in the box; whoever pressed a
  // button lands on the first new option (or on the box if there is none).
  function placeFocus(via, keyboard) {
    if (via === 'text') {
      if (document.activeElement !== inputEl && !coarsePointer) focusNoScroll(inputEl);
      return;
    }
    if (via === 'auto') return; // page load: do not grab focus
    var first = optionsEl && optionsEl.querySelector('button');
    if (first) {
      focusNoScroll(first);
    } else if (!coarsePointer || keyboard) {
      focusNoScroll(inputEl); // on touch phones this would pop up the keyboard
    }
  }

  // ---------- conversation ----------

  function addUserMessage(text) {
    var m = { who: 'user', text: text };
    messages.push(m);
    saveHistory();
    var row = renderMessage(m);
    logEl.appendChild(row);
    return row;
  }

  function addBotReplies(replies) {
    var msgs = [];
    replies.forEach(function (r) {
      if (!r || typeof r !== 'object') return;
      var m = {
        who: 'bot',
        text: str(r.text),
        screen: r.screen == null ? null : str(r.screen),
        options: normOptions(r.options),
        image_url: r.image_url == null ? null : str(r.image_url),
        document_url: r.document_url == null ? null : str(r.document_url)
      };
      if (!m.text && !m.options.length && !safeUrl(m.image_url) && !safeUrl(m.document_url)) return;
      msgs.push(m);
    });

    clearOptions(); // older options stop being clickable once a new reply arrives
    var firstRow = null;
    var rowWithOptions = null;
    var options = [];
    msgs.forEach(function (m) {
      messages.push(m);
      var row = renderMessage(m);
      logEl.appendChild(row);
      if (!firstRow) firstRow = row;
      if (m.options.length) { rowWithOptions = row; options = m.options; }
    });
    saveHistory();
    if (rowWithOptions) renderOptions(rowWithOptions, options);
    return firstRow;
  }

  function setBusy(on) {
    busy = on;
    typingEl.hidden = !on;
    sendEl.setAttribute('aria-disabled', on ? 'true' : 'false');
    restartEl.disabled = on;
    setOptionsDisabled(on);
    var retries = logEl.querySelectorAll('.retry');
    for (var i = 0; i < retries.length; i++) retries[i].disabled = on;
  }

  function fetchWithTimeout(body) {
    var ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    return fetch(API_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      if (timer) clearTimeout(timer);
      return res;
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  function readJson(res) {
    return res.text().then(function (t) {
      try { return JSON.parse(t); } catch (e) { return null; }
    }, function () { return null; });
  }

  /**
   * payload: {text: "..."} or {option: "..."}
   * opts.echo: text to show as the person's bubble (null = hidden, e.g. "/start")
   * opts.via: 'text' | 'option' | 'retry' | 'restart' | 'auto'
   */
  function send(payload, opts) {
    if (busy) return false;
    opts = opts || {};
    retireNotices();
    var firstNew = null;
    if (opts.echo) firstNew = addUserMessage(opts.echo);
    lastRequest = { payload: payload, via: opts.via };
    setBusy(true);
    scrollToBottom();

    // One id per message, kept when "Gửi lại" resends it: the server answers it only once.
    if (!payload.messageId) payload.messageId = randomHex128();
    var body = { user_id: userId, message_id: payload.messageId };
    if (payload.option != null) body.option = payload.option;
    else body.text = payload.text;

    fetchWithTimeout(body).then(function (res) {
      return readJson(res).then(function (data) {
        if (res.ok && data && Array.isArray(data.replies)) {
          setBusy(false);
          lastRequest = null;
          var firstBot = addBotReplies(data.replies);
          scrollToNewest(firstBot || firstNew);
          placeFocus(opts.via, opts.keyboard);
          return;
        }
        var msg = data && typeof data.message === 'string' && data.message.trim() ? data.message.trim() : null;
        var retryable = res.status === 429 || res.status >= 500 || res.ok;
        if (!msg) msg = res.status >= 500 ? TXT.serverBusy : TXT.generic;
        failed(msg, retryable, opts);
      });
    }).catch(function () {
      failed(TXT.offline, true, opts);
    });
    return true;
  }

  function failed(message, retryable, opts) {
    setBusy(false);
    var n = showNotice(message, retryable);
    scrollToBottom();
    if (n.retry && (opts.via !== 'text' || opts.keyboard)) {
      focusNoScroll(n.retry);
    } else if (opts.via === 'text' && !coarsePointer) {
      focusNoScroll(inputEl);
    } else if (opts.via !== 'text' && opts.via !== 'auto') {
      placeFocus(opts.via, opts.keyboard);
    }
  }

  // ---------- input box ----------

  function autoGrow() {
    inputEl.style.height = 'auto';
    var max = parseFloat(window.getComputedStyle(inputEl).maxHeight) || 240;
    inputEl.style.height = Math.min(inputEl.scrollHeight + 4, max) + 'px';
  }

  function updateCounter() {
    var n = inputEl.value.length;
    if (n >= COUNTER_FROM) {
      counterEl.hidden = false;
      counterEl.textContent = n >= MAX_LEN ? TXT.charsFull : TXT.chars(n);
      counterEl.classList.toggle('full', n >= MAX_LEN);
    } else if (!counterEl.hidden) {
      counterEl.hidden = true;
      counterEl.textContent = '';
    }
  }

  function submitText() {
    var text = inputEl.value.replace(/^\s+|\s+$/g, '');
    if (!text) { inputEl.value = ''; focusNoScroll(inputEl); return; }
    if (busy) return; // keep what was typed; it can be sent when the reply is in
    if (text.length > MAX_LEN) text = text.slice(0, MAX_LEN);
    send({ text: text }, { echo: text, via: 'text' });
    inputEl.value = '';
    autoGrow();
    updateCounter();
  }

  // ---------- start ----------

  function restoreHistory() {
    messages = loadHistory();
    if (!messages.length) return false;
    // Do not read the whole past conversation aloud on every page load.
    logEl.setAttribute('aria-live', 'off');
    var frag = document.createDocumentFragment();
    var rows = messages.map(function (m) {
      var row = renderMessage(m);
      frag.appendChild(row);
      return row;
    });
    logEl.appendChild(frag);
    // Options stay clickable only for the last reply, and only if the
    // person has not answered it yet.
    var i = messages.length - 1;
    var withOptions = -1;
    while (i >= 0 && messages[i].who === 'bot') {
      if (withOptions < 0 && messages[i].options && messages[i].options.length) withOptions = i;
      i--;
    }
    if (withOptions >= 0) renderOptions(rows[withOptions], normOptions(messages[withOptions].options));
    setTimeout(function () { logEl.setAttribute('aria-live', 'polite'); }, 0);
    return true;
  }

  function restart() {
    if (busy) return;
    if (!window.confirm(TXT.confirmRestart)) return;
    messages = [];
    saveHistory();
    clearOptions();
    while (logEl.firstChild) logEl.removeChild(logEl.firstChild);
    send({ text: '/start' }, { echo: null, via: 'restart' });
  }

  var userId;

  function init() {
    logEl = document.getElementById('log');
    typingEl = document.getElementById('typing');
    formEl = document.getElementById('form');
    inputEl = document.getElementById('msg');
    sendEl = document.getElementById('send');
    counterEl = document.getElementById('counter');
    restartEl = document.getElementById('restart');

    inputEl.maxLength = MAX_LEN;
    userId = getUserId();

    formEl.addEventListener('submit', function (ev) {
      ev.preventDefault();
      submitText();
    });

    inputEl.addEventListener('keydown', function (ev) {
      // Enter sends, Shift+Enter makes a new line. Never send in the middle of
      // composing a Vietnamese letter with an input method (Telex/VNI).
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        submitText();
      }
    });

    inputEl.addEventListener('input', function () {
      autoGrow();
      updateCounter();
    });

    restartEl.addEventListener('click', restart);
    window.addEventListener('resize', autoGrow);
    autoGrow(); // an empty box tall enough to show the whole placeholder

    if (restoreHistory()) {
      scrollToBottom();
    } else {
      send({ text: '/start' }, { echo: null, via: 'auto' });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
