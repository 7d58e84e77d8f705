/**
 * The web UI's only script, served at /web/assets/app.<hash>.js. Every page works without it;
 * it adds live session updates (server-sent events), local times and small conveniences.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var pad = function (n) { return n < 10 ? '0' + n : String(n); };

  function localizeTimes(root) {
    var nodes = root.querySelectorAll('time[data-local]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      var hms = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
      el.textContent = el.getAttribute('data-local') === 'time'
        ? hms
        : d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hms.slice(0, 5);
      el.title = d.toString();
      el.removeAttribute('data-local');
    }
  }

  // One submit per click: a second press while the page loads would repeat the action.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
    setTimeout(function () {
      var buttons = form.querySelectorAll('button');
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }, 0);
  });

  // Ctrl/Cmd+Enter sends a message or creates the session.
  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && t instanceof HTMLTextAreaElement && t.form) {
      ev.preventDefault();
      t.form.requestSubmit();
    }
  });

  // Filters apply as soon as a choice changes, and leave empty ones out of the address.
  var filters = document.querySelectorAll('form[data-autosubmit]');
  for (var f = 0; f < filters.length; f++) {
    filters[f].addEventListener('submit', function (ev) {
      var els = ev.target.elements;
      for (var i = 0; i < els.length; i++) {
        if ((els[i].name && els[i].value === '') || els[i].type === 'submit') els[i].disabled = true;
      }
    });
    filters[f].addEventListener('change', function (ev) {
      var el = ev.target;
      if (el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && el.type === 'checkbox')) {
        el.form.requestSubmit();
      }
    });
  }

  // New session: the branch suggestions follow the chosen source.
  var branchData = document.getElementById('source-branches');
  var sourceSelect = document.getElementById('source');
  var branchList = document.getElementById('branch-options');
  var branchInput = document.getElementById('branch');
  if (branchData && sourceSelect && branchList && branchInput) {
    var branches = JSON.parse(branchData.textContent || '{}');
    var syncBranches = function () {
      var info = branches[sourceSelect.value];
      branchList.textContent = '';
      branchInput.disabled = !info;
      branchInput.placeholder = info ? (info.defaultBranch ? 'default: ' + info.defaultBranch : 'default branch') : 'no repository';
      if (!info) return;
      for (var i = 0; i < info.branches.length; i++) {
        var opt = document.createElement('option');
        opt.value = info.branches[i];
        branchList.appendChild(opt);
      }
    };
    sourceSelect.addEventListener('change', syncBranches);
    syncBranches();
  }

  localizeTimes(document);

  var live = document.querySelector('[data-live-session]');
  if (!live || !window.EventSource) return;
  var timeline = document.getElementById('timeline');
  var indicator = document.querySelector('[data-live-indicator]');
  var announcer = document.getElementById('live-status');
  var after = Number(live.getAttribute('data-after') || '0');
  var setIndicator = function (status, text) {
    if (!indicator) return;
    indicator.setAttribute('data-status', status);
    indicator.textContent = text;
  };

  function replaceRegion(el, region) {
    if (el.getAttribute('data-rev') === region.rev) return;
    var values = {};
    var fields = el.querySelectorAll('textarea[name], input[type=text][name]');
    for (var i = 0; i < fields.length; i++) values[fields[i].name] = fields[i].value;
    var active = document.activeElement;
    var focusName = active && el.contains(active) ? active.getAttribute('name') || active.id : null;
    el.innerHTML = region.html;
    el.setAttribute('data-rev', region.rev);
    var again = el.querySelectorAll('textarea[name], input[type=text][name]');
    for (var j = 0; j < again.length; j++) {
      if (values[again[j].name]) again[j].value = values[again[j].name];
    }
    if (focusName) {
      var target = el.querySelector('[name="' + focusName + '"]') || document.getElementById(focusName);
      if (target) target.focus();
    }
    localizeTimes(el);
  }

  function revs() {
    var parts = [];
    var regions = document.querySelectorAll('[data-region]');
    for (var i = 0; i < regions.length; i++) {
      parts.push(regions[i].getAttribute('data-region') + ':' + regions[i].getAttribute('data-rev'));
    }
    return parts.join(',');
  }

  if (live.getAttribute('data-terminal') === 'true') {
    setIndicator('done', 'Finished');
    return;
  }
  var url = '/web/sessions/' + encodeURIComponent(live.getAttribute('data-live-session')) +
    '/events?after=' + after + '&revs=' + encodeURIComponent(revs());
  var source = new EventSource(url);
  setIndicator('connecting', 'Connecting…');
  source.onopen = function () { setIndicator('live', 'Live'); };
  source.onerror = function () {
    if (source.readyState !== EventSource.CLOSED) setIndicator('reconnecting', 'Reconnecting…');
  };
  source.addEventListener('activity', function (ev) {
    var data = JSON.parse(ev.data);
    if (data.seq <= after || !timeline) return;
    after = data.seq;
    var empty = document.getElementById('timeline-empty');
    if (empty) empty.remove();
    timeline.insertAdjacentHTML('beforeend', data.html);
    localizeTimes(timeline.lastElementChild || timeline);
  });
  source.addEventListener('session', function (ev) {
    var data = JSON.parse(ev.data);
    var names = Object.keys(data.regions || {});
    for (var i = 0; i < names.length; i++) {
      var el = document.querySelector('[data-region="' + names[i] + '"]');
      if (el) replaceRegion(el, data.regions[names[i]]);
    }
    if (announcer && data.stateLabel && announcer.getAttribute('data-state') !== data.state) {
      announcer.setAttribute('data-state', data.state);
      announcer.textContent = 'Session is now ' + data.stateLabel + '.';
    }
  });
  source.addEventListener('end', function () {
    source.close();
    setIndicator('done', 'Finished');
  });
  source.addEventListener('gone', function () {
    source.close();
    setIndicator('done', 'Deleted');
    if (announcer) announcer.textContent = 'This session was deleted.';
  });
})();
`;
