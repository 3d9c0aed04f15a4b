/* Trợ lý Bình dân học vụ số: browser chat client.
 *
 * Talks to the same origin:
 *   POST /api/messages  {"user_id", "text" | "option", "message_id"}
 *        answer        {"replies": [{"text", "screen", "options": [{"id", "label"}], "image_url", "document_url", "audio_url"}],
 *                       "locale": "vi" | "en"}
 *        error         4xx/5xx {"error": "<code>", "message": "<sentence>"}
 *   GET  /api/events?user_id=…  Server-Sent Events, each {"replies": [...], "ids": [...], "locale"}: messages
 *        from other people (mentor answers, announcements) while the page is open or waiting since it was closed;
 *        the page confirms them with POST /api/events/ack {"user_id", "ids"} and ignores ids it already shows.
 *
 * For elderly people: the buttons of the current screen are never lost (a failed request leaves
 * them working and they come back after a reload), errors say what to do in plain words with a
 * "Thử lại" button that resends the same message (same message_id, answered once), and the newest
 * question with its buttons is scrolled into view, with a hint when they are below the screen.
 *
 * Everything the server sends is inserted as text (textContent), never as HTML; links in it are
 * made with createElement and only for http(s) addresses.
 * Plain ES2017, no framework, no external resources.
 */
(function () {
  'use strict';

  var API_URL = '/api/messages';
  var EVENTS_URL = '/api/events';
  var ACK_URL = '/api/events/ack';
  var KEYS = { user: 'bdhvs_user_id', history: 'bdhvs_history', options: 'bdhvs_options',
               pending: 'bdhvs_pending', locale: 'bdhvs_locale', seen: 'bdhvs_seen' };
  var MAX_SEEN = 200;
  var MAX_HISTORY = 100;
  var MAX_LEN = 4000;
  var COUNTER_FROM = 3600;      // show the character counter from here on
  var TIMEOUT_MS = 30000;       // a request slower than this counts as a lost connection
  var EVENTS_RETRY_MS = 30000;  // the server refused the live stream: try again after this

  var TEXTS = {
    vi: {
      pageTitle: 'Trợ lý Bình dân học vụ số',
      title: 'Bình dân học vụ số',
      restart: 'Bắt đầu lại',
      skip: 'Đến ô nhập tin nhắn',
      log: 'Cuộc trò chuyện',
      typing: 'Trợ lý đang trả lời…',
      inputLabel: 'Tin nhắn của bạn',
      placeholder: 'Gõ tin nhắn…',
      send: 'Gửi',
      hint: 'Gõ “menu” để về trang chính',
      you: 'Bạn: ',
      bot: 'Trợ lý: ',
      optionsGroup: 'Các lựa chọn',
      retry: 'Thử lại',
      notSent: 'Chưa gửi được',
      offline: 'Mất kết nối mạng, tin của bạn chưa tới. Bạn kiểm tra Wi-Fi hoặc 4G rồi bấm “Thử lại”.',
      tooMany: 'Bạn gửi hơi nhanh. Chờ vài giây rồi bấm “Thử lại” nhé.',
      serverBusy: 'Hệ thống đang bận, tin của bạn chưa tới. Chờ một lát rồi bấm “Thử lại” nhé.',
      refused: 'Xin lỗi, trợ lý chưa nhận được tin này. Bạn bấm “Thử lại”, hoặc chọn một nút ở trên.',
      tooLong: 'Tin nhắn dài quá. Bạn gửi ngắn hơn nhé.',
      pendingAfterReload: 'Tin “{text}” chưa gửi được. Bấm “Thử lại” để gửi lại.',
      alreadySent: 'Tin này đã tới trợ lý rồi. Bạn chọn một nút ở trên hoặc gõ “menu”.',
      newMessages: function (n) { return '📩 ' + n + ' tin nhắn mới'; },
      jumpOptions: '↓ Xem các nút',
      jumpNew: function (n) { return '↓ ' + n + ' tin nhắn mới'; },
      confirmRestart: 'Xóa cuộc trò chuyện trên máy này và bắt đầu lại từ đầu?',
      image: 'Hình ảnh kèm theo tin nhắn',
      certificateImage: 'Ảnh giấy chứng nhận',
      imageMissing: '(Không tải được hình ảnh)',
      certificatePdf: 'Giấy chứng nhận (PDF)',
      pdf: 'Tài liệu (PDF)',
      xlsx: 'Bảng tính (Excel)',
      file: 'Tệp đính kèm',
      openHint: 'Bấm để mở',
      listen: 'Nghe đọc to',
      charsFull: 'Đã đủ ' + MAX_LEN + ' ký tự, không gõ thêm được.',
      chars: function (n) { return n + '/' + MAX_LEN + ' ký tự'; }
    },
    en: {
      pageTitle: 'Digital Literacy for All assistant',
      title: 'Digital Literacy for All',
      restart: 'Start over',
      skip: 'Skip to the message box',
      log: 'Conversation',
      typing: 'The assistant is answering…',
      inputLabel: 'Your message',
      placeholder: 'Type a message…',
      send: 'Send',
      hint: 'Type “menu” for the main page',
      you: 'You: ',
      bot: 'Assistant: ',
      optionsGroup: 'Choices',
      retry: 'Try again',
      notSent: 'Not sent yet',
      offline: 'No connection: your message did not arrive. Check Wi-Fi or mobile data, then press “Try again”.',
      tooMany: 'You are sending a little fast. Wait a few seconds, then press “Try again”.',
      serverBusy: 'The system is busy and your message did not arrive. Wait a moment, then press “Try again”.',
      refused: 'Sorry, the assistant did not take this message. Press “Try again”, or choose a button above.',
      tooLong: 'This message is too long. Please send a shorter one.',
      pendingAfterReload: '“{text}” was not sent. Press “Try again” to send it.',
      alreadySent: 'The assistant already has this message. Choose a button above or type “menu”.',
      newMessages: function (n) { return '📩 ' + n + (n === 1 ? ' new message' : ' new messages'); },
      jumpOptions: '↓ See the buttons',
      jumpNew: function (n) { return '↓ ' + n + (n === 1 ? ' new message' : ' new messages'); },
      confirmRestart: 'Clear the conversation on this device and start again?',
      image: 'Picture sent with the message',
      certificateImage: 'Picture of the certificate',
      imageMissing: '(The picture could not be loaded)',
      certificatePdf: 'Certificate (PDF)',
      pdf: 'Document (PDF)',
      xlsx: 'Spreadsheet (Excel)',
      file: 'Attached file',
      openHint: 'Press to open',
      listen: 'Listen',
      charsFull: 'That is ' + MAX_LEN + ' characters, the most a message can have.',
      chars: function (n) { return n + '/' + MAX_LEN + ' characters'; }
    }
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

  function readJson(key, fallback) {
    try {
      var v = JSON.parse(store.getItem(key) || 'null');
      return v == null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }

  function writeJson(key, value) {
    try {
      if (value == null) store.removeItem(key);
      else store.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      return false; // storage full: the page still works for this visit
    }
  }

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
    var id = store.getItem(KEYS.user);
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = randomHex128();
      try { store.setItem(KEYS.user, id); } catch (e) { /* storage full: keep it for this visit */ }
    }
    return id;
  }

  // ---------- language of the page chrome ----------

  var locale = 'vi';

  function t(key) {
    var table = TEXTS[locale] || TEXTS.vi;
    var v = table[key] != null ? table[key] : TEXTS.vi[key];
    if (typeof v === 'function') return v.apply(null, Array.prototype.slice.call(arguments, 1));
    return v;
  }

  function applyLocale(next) {
    if (next !== 'vi' && next !== 'en') return;
    var changed = next !== locale;
    locale = next;
    try { store.setItem(KEYS.locale, locale); } catch (e) { /* ignore */ }
    document.documentElement.lang = locale;
    var nodes = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute('data-i18n'));
    nodes = document.querySelectorAll('[data-i18n-placeholder]');
    for (i = 0; i < nodes.length; i++) nodes[i].placeholder = t(nodes[i].getAttribute('data-i18n-placeholder'));
    nodes = document.querySelectorAll('[data-i18n-aria-label]');
    for (i = 0; i < nodes.length; i++) nodes[i].setAttribute('aria-label', t(nodes[i].getAttribute('data-i18n-aria-label')));
    baseTitle = t('pageTitle');
    updateTitle();
    if (changed && optionsEl) optionsEl.setAttribute('aria-label', t('optionsGroup'));
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

  // Web addresses, and this site's own verify and file paths, inside message text.
  var LINK_RE = /(https?:\/\/[^\s<>"'“”]+|\/(?:verify|files)\/[A-Za-z0-9_\-.]+)/g;
  var TRAILING = /[.,;:!?)\]}’]+$/;

  // The text as text nodes, with its links as <a> elements (never innerHTML).
  function linkified(text) {
    var frag = document.createDocumentFragment();
    var last = 0;
    text.replace(LINK_RE, function (match, _g, offset) {
      var link = match.replace(TRAILING, '');
      var href = safeUrl(link);
      if (!href) return match;
      if (offset > last) frag.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el('a', 'text-link', link);
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      frag.appendChild(a);
      last = offset + link.length;
      return match;
    });
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  // A readable name for an attachment instead of its random file name.
  function documentLabel(href, screen) {
    var path = '';
    try { path = new URL(href).pathname.toLowerCase(); } catch (e) { /* keep empty */ }
    if (/\.pdf$/.test(path)) return /^certificate/.test(screen || '') ? t('certificatePdf') : t('pdf');
    if (/\.xlsx$/.test(path)) return t('xlsx');
    return t('file');
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

  // ---------- state ----------

  var logEl, typingEl, formEl, inputEl, sendEl, counterEl, restartEl, jumpEl, composerEl;
  var userId;
  var messages = [];        // the stored history: {who: 'user'|'bot'|'divider', text, screen, image_url, document_url, audio_url}
  var currentOptions = [];  // the buttons of the screen the person is on; kept until a reply brings new ones
  var optionsEl = null;     // the one clickable group, always under the newest bot message
  var busy = false;
  var pending = null;       // the request in flight or failed: {payload, messageId, echo, via}
  var unseen = 0;           // live messages that arrived while the page was hidden
  var baseTitle = document.title;

  function saveHistory() {
    if (messages.length > MAX_HISTORY) messages = messages.slice(-MAX_HISTORY);
    if (!writeJson(KEYS.history, messages)) writeJson(KEYS.history, messages.slice(-20));
  }

  function loadHistory() {
    var data = readJson(KEYS.history, []);
    if (!Array.isArray(data)) return [];
    return data.filter(function (m) {
      return m && (m.who === 'user' || m.who === 'bot' || m.who === 'divider');
    }).slice(-MAX_HISTORY);
  }

  function setCurrentOptions(options) {
    currentOptions = options;
    writeJson(KEYS.options, options);
  }

  function savePending() {
    writeJson(KEYS.pending, pending ? { payload: pending.payload, messageId: pending.messageId,
                                        echo: pending.echo } : null);
  }

  // ---------- rendering ----------

  function renderMessage(m) {
    if (m.who === 'divider') {
      var d = el('div', 'msg divider');
      d.appendChild(el('span', 'divider-text', m.text));
      return d;
    }
    var row = el('div', 'msg ' + m.who);
    if (m.screen) row.setAttribute('data-screen', str(m.screen));
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('span', 'sr-only', m.who === 'user' ? t('you') : t('bot')));

    var text = str(m.text);
    if (text) {
      var body = el('div', 'text');
      body.appendChild(linkified(text));
      bubble.appendChild(body);
    }

    var img = safeUrl(m.image_url);
    if (img) {
      var a = el('a', 'media');
      a.href = img;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      var im = document.createElement('img');
      im.src = img;
      im.alt = /^certificate/.test(m.screen || '') ? t('certificateImage') : t('image');
      im.decoding = 'async';
      im.addEventListener('error', function () {
        var missing = el('div', 'media media-missing', t('imageMissing'));
        if (a.parentNode) a.parentNode.replaceChild(missing, a);
      });
      im.addEventListener('load', function () { if (wasNearBottom) scrollToBottom(); });
      a.appendChild(im);
      bubble.appendChild(a);
    }

    var doc = safeUrl(m.document_url);
    if (doc) {
      var link = el('a', 'doc-link');
      link.href = doc;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.appendChild(el('span', 'doc-title', documentLabel(doc, m.screen)));
      link.appendChild(el('span', 'doc-name', t('openHint')));
      bubble.appendChild(link);
    }

    var audio = safeUrl(m.audio_url);
    if (audio) {
      var player = document.createElement('audio');
      player.className = 'voice';
      player.controls = true;
      player.preload = 'none';
      player.src = audio;
      player.setAttribute('aria-label', t('listen'));
      bubble.appendChild(player);
    }

    row.appendChild(bubble);
    return row;
  }

  function lastBotRow() {
    var rows = logEl.querySelectorAll('.msg.bot:not(.notice)');
    return rows.length ? rows[rows.length - 1] : null;
  }

  // The current buttons, under the newest bot message (a live message moves them down with it).
  function showOptions() {
    if (optionsEl && optionsEl.parentNode) optionsEl.parentNode.removeChild(optionsEl);
    optionsEl = null;
    var row = lastBotRow();
    if (!row || !currentOptions.length) { updateJump(); return; }
    var group = el('div', 'options');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', t('optionsGroup'));
    currentOptions.forEach(function (o, i) {
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
    observeOptions();
  }

  function setOptionsDisabled(disabled) {
    if (!optionsEl) return;
    var btns = optionsEl.querySelectorAll('button');
    for (var i = 0; i < btns.length; i++) {
      btns[i].disabled = disabled;
      if (!disabled) btns[i].classList.remove('chosen');
    }
  }

  function removeNotices() {
    var rows = logEl.querySelectorAll('.msg.notice');
    for (var i = 0; i < rows.length; i++) rows[i].parentNode.removeChild(rows[i]);
  }

  // A problem, said in plain words; with "Thử lại" when the same message can be sent again.
  function showNotice(text, withRetry) {
    removeNotices();
    var row = el('div', 'msg bot notice');
    row.setAttribute('role', 'alert');
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('div', 'text', text));
    if (withRetry && pending) {
      var retryBtn = el('button', 'opt retry', t('retry'));
      retryBtn.type = 'button';
      retryBtn.addEventListener('click', function (ev) {
        if (busy || !pending) return;
        retry(ev.detail === 0);
      });
      bubble.appendChild(retryBtn);
    }
    row.appendChild(bubble);
    logEl.appendChild(row);
    return row;
  }

  // ---------- scrolling, focus and the "scroll down" hint ----------

  function docHeight() {
    return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);
  }

  function scrollToBottom() {
    window.scrollTo(0, docHeight());
  }

  function visibleBottom() {
    return window.innerHeight - (composerEl ? composerEl.offsetHeight : 0);
  }

  // After new replies: show all of them if they fit; otherwise the question with its buttons
  // (ending just above the message box); if even that is taller than the screen, its beginning.
  function scrollToNewest(firstNew) {
    if (!firstNew) { scrollToBottom(); return; }
    var room = visibleBottom() - 8;
    var end = (optionsEl || logEl).getBoundingClientRect().bottom;
    var start = firstNew.getBoundingClientRect().top;
    var target = optionsEl ? optionsEl.parentNode : null;
    if (end - start <= room) {
      window.scrollBy(0, end - room);
    } else if (target && end - target.getBoundingClientRect().top <= room) {
      window.scrollBy(0, end - room);
    } else {
      window.scrollBy(0, (target || firstNew).getBoundingClientRect().top - 8);
    }
    wasNearBottom = nearBottom();
    updateJump();
  }

  function nearBottom() {
    return docHeight() - (window.pageYOffset + window.innerHeight) < 160;
  }

  var wasNearBottom = true;
  var jumpKind = null;      // 'options' | 'new'
  var newBelow = 0;
  var optionsVisible = true;

  // A button over the message box when the buttons (or new messages) are below the screen.
  function updateJump() {
    if (!jumpEl) return;
    var optionsBelow = !!optionsEl && !optionsVisible && optionsEl.getBoundingClientRect().bottom > visibleBottom();
    if (newBelow > 0 && !nearBottom()) {
      jumpKind = 'new';
      jumpEl.textContent = t('jumpNew', newBelow);
    } else if (optionsBelow) {
      jumpKind = 'options';
      jumpEl.textContent = t('jumpOptions');
    } else {
      jumpKind = null;
    }
    if (newBelow > 0 && nearBottom()) newBelow = 0;
    jumpEl.hidden = jumpKind === null;
  }

  // The hint shows while the last button is not wholly on the screen (above the message box).
  var observer = null;
  function observeOptions() {
    if (!('IntersectionObserver' in window)) return;
    if (observer) observer.disconnect();
    optionsVisible = true;
    var buttons = optionsEl ? optionsEl.querySelectorAll('button') : [];
    if (!buttons.length) return;
    observer = new IntersectionObserver(function (entries) {
      optionsVisible = entries[entries.length - 1].intersectionRatio >= 0.99;
      updateJump();
    }, { threshold: [0, 0.99], rootMargin: '0px 0px -' + (composerEl ? composerEl.offsetHeight : 0) + 'px 0px' });
    observer.observe(buttons[buttons.length - 1]);
  }

  function jump() {
    if (jumpKind === 'options' && optionsEl) {
      var first = optionsEl.querySelector('button');
      window.scrollBy(0, optionsEl.getBoundingClientRect().bottom - visibleBottom() + 8);
      focusNoScroll(first);
    } else {
      scrollToBottom();
      newBelow = 0;
    }
    updateJump();
  }

  window.addEventListener('scroll', function () { wasNearBottom = nearBottom(); updateJump(); }, { passive: true });

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

  function updateTitle() {
    document.title = (unseen > 0 ? '(' + unseen + ') ' : '') + baseTitle;
  }

  // ---------- conversation ----------

  function botMessage(r) {
    if (!r || typeof r !== 'object') return null;
    var m = {
      who: 'bot',
      text: str(r.text),
      screen: r.screen == null ? null : str(r.screen),
      image_url: r.image_url == null ? null : str(r.image_url),
      document_url: r.document_url == null ? null : str(r.document_url),
      audio_url: r.audio_url == null ? null : str(r.audio_url)
    };
    var options = normOptions(r.options);
    if (!m.text && !options.length && !safeUrl(m.image_url) && !safeUrl(m.document_url) && !safeUrl(m.audio_url)) return null;
    return { message: m, options: options };
  }

  function append(m) {
    messages.push(m);
    var row = renderMessage(m);
    logEl.appendChild(row);
    return row;
  }

  // The answer to the person's own message.
  function addReplies(replies, echoRow, echo) {
    if (echoRow && echoRow.parentNode) echoRow.parentNode.removeChild(echoRow);
    removeNotices();
    var firstRow = echo ? append({ who: 'user', text: echo }) : null;
    var options = null;
    var deleted = null;
    replies.forEach(function (r) {
      var b = botMessage(r);
      if (!b) return;
      var row = append(b.message);
      if (!firstRow) firstRow = row;
      if (b.options.length) options = b.options;
      if (b.message.screen === 'deleted') deleted = b.message;
    });
    if (options) setCurrentOptions(options); // a reply without buttons keeps the ones the person had
    saveHistory();
    showOptions();
    if (deleted) firstRow = forgetThisDevice(deleted);
    return firstRow;
  }

  // Messages from other people (a mentor's answer, an announcement), live or waiting since the last visit.
  function addLive(replies) {
    var found = replies.map(botMessage).filter(Boolean);
    if (!found.length) return;
    var stick = nearBottom();
    var divider = append({ who: 'divider', text: t('newMessages', found.length) });
    found.forEach(function (b) { append(b.message); });
    saveHistory();
    showOptions(); // the buttons of the current screen stay, now under the newest message
    if (document.hidden) { unseen += found.length; updateTitle(); }
    if (stick && !busy) {
      scrollToNewest(divider);
    } else {
      newBelow += found.length;
      updateJump();
    }
  }

  // After "Xóa dữ liệu của tôi": nothing of the conversation stays on this device either, neither
  // stored nor on the screen; only the message saying it is done (and its "start again" button) stays.
  function forgetThisDevice(last) {
    while (logEl.firstChild) logEl.removeChild(logEl.firstChild);
    var row = renderMessage(last);
    logEl.appendChild(row);
    messages = [];
    writeJson(KEYS.history, null);
    writeJson(KEYS.options, null); // the "start again" button stays on screen, not in storage
    writeJson(KEYS.seen, null);
    pending = null;
    savePending();
    store.removeItem(KEYS.user);
    userId = getUserId();
    connectEvents();
    return row;
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

  function post(body) {
    var ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    return fetch(API_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (res) {
      return res.text().then(function (text) {
        if (timer) clearTimeout(timer);
        var data = null;
        try { data = JSON.parse(text); } catch (e) { /* not JSON: a proxy's error page */ }
        return { status: res.status, ok: res.ok, data: data };
      });
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  function problemText(status) {
    if (status === 429) return t('tooMany');
    if (status === 413) return t('tooLong');
    if (status >= 500 || status === 0) return t('serverBusy');
    return t('refused');
  }

  /**
   * payload: {text: "..."} or {option: "..."}
   * opts.echo: text to show as the person's bubble (null = hidden, e.g. "/start")
   * opts.via: 'text' | 'option' | 'restart' | 'auto'
   */
  function send(payload, opts) {
    if (busy) return false;
    opts = opts || {};
    // One id per message, kept by "Thử lại": the server answers it only once.
    pending = { payload: payload, messageId: randomHex128(), echo: opts.echo || null, via: opts.via };
    savePending();
    deliver(opts.keyboard, false);
    return true;
  }

  function retry(keyboard) {
    deliver(keyboard, true);
  }

  var echoRow = null;

  function deliver(keyboard, isRetry) {
    var req = pending;
    removeNotices();
    if (echoRow && echoRow.parentNode) echoRow.parentNode.removeChild(echoRow);
    echoRow = null;
    if (req.echo) {
      echoRow = renderMessage({ who: 'user', text: req.echo });
      logEl.appendChild(echoRow);
    }
    setBusy(true);
    scrollToBottom();

    var body = { user_id: userId, message_id: req.messageId };
    if (req.payload.option != null) body.option = req.payload.option;
    else body.text = req.payload.text;

    post(body).then(function (res) {
      if (res.ok && res.data && Array.isArray(res.data.replies)) {
        setBusy(false);
        pending = null;
        savePending();
        if (res.data.locale) applyLocale(str(res.data.locale));
        if (!res.data.replies.length && isRetry) {
          // The first try did arrive (only its answer was lost): the buttons on screen still work.
          addReplies([], echoRow, req.echo);
          echoRow = null;
          showNotice(t('alreadySent'), false);
          scrollToBottom();
          return;
        }
        var firstBot = addReplies(res.data.replies, echoRow, req.echo);
        echoRow = null;
        scrollToNewest(firstBot);
        placeFocus(req.via, keyboard);
        return;
      }
      failed(problemText(res.status), res.status !== 413, keyboard); // a longer text cannot pass on a retry
    }).catch(function () {
      failed(t('offline'), true, keyboard);
    });
  }

  function failed(message, retryable, keyboard) {
    setBusy(false); // the buttons of the screen work again
    if (echoRow) {
      echoRow.classList.add('failed');
      echoRow.querySelector('.bubble').appendChild(el('span', 'failed-mark', t('notSent')));
    }
    if (!retryable) { pending = null; savePending(); }
    var notice = showNotice(message, retryable);
    scrollToBottom();
    var again = notice.querySelector('.retry');
    if (again && (!coarsePointer || keyboard)) focusNoScroll(again);
    updateJump();
  }

  // ---------- live messages (Server-Sent Events) ----------

  var events = null;
  var eventsTimer = null;

  function connectEvents() {
    if (events) events.close();
    if (eventsTimer) { clearTimeout(eventsTimer); eventsTimer = null; }
    if (typeof EventSource === 'undefined') return; // old browser: messages come with the next answer
    events = new EventSource(EVENTS_URL + '?user_id=' + encodeURIComponent(userId));
    events.onmessage = function (ev) {
      var data = null;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (!data || !Array.isArray(data.replies)) return;
      if (data.locale) applyLocale(str(data.locale));
      var ids = Array.isArray(data.ids) ? data.ids : [];
      var seen = readJson(KEYS.seen, []);
      if (!Array.isArray(seen)) seen = [];
      // A message sent again (its confirmation was lost) is shown once.
      addLive(data.replies.filter(function (_r, i) { return seen.indexOf(ids[i]) < 0; }));
      writeJson(KEYS.seen, seen.concat(ids.filter(function (id) { return seen.indexOf(id) < 0; })).slice(-MAX_SEEN));
      if (ids.length) confirmShown(ids);
    };
    events.onerror = function () {
      // A dropped connection is retried by the browser itself; a refusal (server full) closes the
      // stream, so try again later. Either way nothing is lost: the next answer brings waiting messages.
      if (events && events.readyState === 2) {
        events.close();
        events = null;
        eventsTimer = setTimeout(connectEvents, EVENTS_RETRY_MS);
      }
    };
  }

  // Tells the server these messages are on the screen; unconfirmed ones come again (or at the next answer).
  function confirmShown(ids) {
    fetch(ACK_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: userId, ids: ids }),
      credentials: 'same-origin',
      cache: 'no-store',
      keepalive: true
    }).catch(function () { /* offline: the stream is ended by the server and the messages come again */ });
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
      counterEl.textContent = n >= MAX_LEN ? t('charsFull') : t('chars', n);
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

  function restore() {
    messages = loadHistory();
    currentOptions = normOptions(readJson(KEYS.options, []));
    if (!messages.length) return false;
    // Do not read the whole past conversation aloud on every page load.
    logEl.setAttribute('aria-live', 'off');
    var frag = document.createDocumentFragment();
    messages.forEach(function (m) { frag.appendChild(renderMessage(m)); });
    logEl.appendChild(frag);
    showOptions();
    var saved = readJson(KEYS.pending, null);
    if (saved && saved.payload && typeof saved.messageId === 'string') {
      pending = { payload: saved.payload, messageId: saved.messageId, echo: saved.echo || null, via: 'option' };
      var what = saved.echo || saved.payload.text || '';
      showNotice(t('pendingAfterReload').replace('{text}', str(what).slice(0, 60)), true);
    }
    setTimeout(function () { logEl.setAttribute('aria-live', 'polite'); }, 0);
    return true;
  }

  function restart() {
    if (busy) return;
    if (!window.confirm(t('confirmRestart'))) return;
    messages = [];
    saveHistory();
    setCurrentOptions([]);
    pending = null;
    savePending();
    showOptions();
    while (logEl.firstChild) logEl.removeChild(logEl.firstChild);
    send({ text: '/start' }, { echo: null, via: 'restart' });
  }

  function init() {
    logEl = document.getElementById('log');
    typingEl = document.getElementById('typing');
    formEl = document.getElementById('form');
    inputEl = document.getElementById('msg');
    sendEl = document.getElementById('send');
    counterEl = document.getElementById('counter');
    restartEl = document.getElementById('restart');
    jumpEl = document.getElementById('jump');
    composerEl = document.getElementById('composer');

    applyLocale(store.getItem(KEYS.locale) || document.documentElement.lang || 'vi');
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
    jumpEl.addEventListener('click', jump);
    window.addEventListener('resize', function () { autoGrow(); updateJump(); });
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) { unseen = 0; updateTitle(); }
    });
    autoGrow();

    if (restore()) {
      scrollToBottom();
    } else {
      send({ text: '/start' }, { echo: null, via: 'auto' });
    }
    connectEvents();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
