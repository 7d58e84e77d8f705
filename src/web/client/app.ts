/**
 * The web UI's only script, served (types stripped) at /web/assets/app.<hash>.js as a module. Every
 * page works without it; it adds live session updates (server-sent events), local times and small
 * conveniences. Browser code: type-checked with the DOM library by tsconfig.web.json.
 */

interface Region {
  rev: string;
  html: string;
}

interface SessionEventData {
  regions?: Record<string, Region>;
  state?: string;
  stateLabel?: string;
}

interface ActivityEventData {
  seq: number;
  html: string;
}

interface BranchInfo {
  defaultBranch?: string;
  branches: string[];
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

function localizeTimes(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-local]')) {
    const d = new Date(el.getAttribute('datetime') ?? '');
    if (Number.isNaN(d.getTime())) continue;
    const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    el.textContent =
      el.getAttribute('data-local') === 'time'
        ? hms
        : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms.slice(0, 5)}`;
    el.title = d.toString();
    el.removeAttribute('data-local');
  }
}

// One submit per click: a second press while the page loads would repeat the action.
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
  setTimeout(() => {
    for (const button of form.querySelectorAll('button')) button.disabled = true;
  }, 0);
});

// Ctrl/Cmd+Enter sends a message or creates the session.
document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && t instanceof HTMLTextAreaElement && t.form) {
    ev.preventDefault();
    t.form.requestSubmit();
  }
});

// Filters apply as soon as a choice changes, and leave empty ones out of the address.
for (const form of document.querySelectorAll<HTMLFormElement>('form[data-autosubmit]')) {
  form.addEventListener('submit', () => {
    for (const el of form.elements) {
      if (
        !(
          el instanceof HTMLInputElement ||
          el instanceof HTMLSelectElement ||
          el instanceof HTMLButtonElement
        )
      ) {
        continue;
      }
      if ((el.name && el.value === '') || el.type === 'submit') el.disabled = true;
    }
  });
  form.addEventListener('change', (ev) => {
    const el = ev.target;
    if (el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && el.type === 'checkbox')) {
      el.form?.requestSubmit();
    }
  });
}

// New session: the branch suggestions follow the chosen source.
function followSourceBranches(): void {
  const data = document.getElementById('source-branches');
  const source = document.getElementById('source');
  const list = document.getElementById('branch-options');
  const input = document.getElementById('branch');
  if (!data || !(source instanceof HTMLSelectElement) || !list || !(input instanceof HTMLInputElement))
    return;
  const branches = JSON.parse(data.textContent || '{}') as Record<string, BranchInfo | undefined>;
  const sync = (): void => {
    const info = branches[source.value];
    list.textContent = '';
    input.disabled = !info;
    input.placeholder = info
      ? info.defaultBranch
        ? `default: ${info.defaultBranch}`
        : 'default branch'
      : 'no repository';
    if (!info) return;
    for (const name of info.branches) {
      const opt = document.createElement('option');
      opt.value = name;
      list.appendChild(opt);
    }
  };
  source.addEventListener('change', sync);
  sync();
}

/** Replaces a region's markup, keeping what the user typed and where the focus was. */
function replaceRegion(el: Element, region: Region): void {
  if (el.getAttribute('data-rev') === region.rev) return;
  const fields = 'textarea[name], input[type=text][name]';
  const values = new Map<string, string>();
  for (const f of el.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(fields))
    values.set(f.name, f.value);
  const active = document.activeElement;
  const focusName = active && el.contains(active) ? active.getAttribute('name') || active.id : null;
  el.innerHTML = region.html;
  el.setAttribute('data-rev', region.rev);
  for (const f of el.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(fields)) {
    const v = values.get(f.name);
    if (v) f.value = v;
  }
  if (focusName) {
    const target =
      el.querySelector<HTMLElement>(`[name="${focusName}"]`) ?? document.getElementById(focusName);
    target?.focus();
  }
  localizeTimes(el);
}

/** The regions the page shows and their revisions, so the stream sends only what changed. */
function revs(): string {
  return [...document.querySelectorAll('[data-region]')]
    .map((r) => `${r.getAttribute('data-region')}:${r.getAttribute('data-rev')}`)
    .join(',');
}

function followSession(live: Element): void {
  const timeline = document.getElementById('timeline');
  const indicator = document.querySelector('[data-live-indicator]');
  const announcer = document.getElementById('live-status');
  let after = Number(live.getAttribute('data-after') || '0');
  const setIndicator = (status: string, text: string): void => {
    if (!indicator) return;
    indicator.setAttribute('data-status', status);
    indicator.textContent = text;
  };
  if (live.getAttribute('data-terminal') === 'true') {
    setIndicator('done', 'Finished');
    return;
  }
  const url =
    `/web/sessions/${encodeURIComponent(live.getAttribute('data-live-session') ?? '')}` +
    `/events?after=${after}&revs=${encodeURIComponent(revs())}`;
  const source = new EventSource(url);
  setIndicator('connecting', 'Connecting…');
  source.onopen = () => setIndicator('live', 'Live');
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) setIndicator('reconnecting', 'Reconnecting…');
  };
  source.addEventListener('activity', (ev) => {
    const data = JSON.parse((ev as MessageEvent<string>).data) as ActivityEventData;
    if (data.seq <= after || !timeline) return;
    after = data.seq;
    document.getElementById('timeline-empty')?.remove();
    timeline.insertAdjacentHTML('beforeend', data.html);
    localizeTimes(timeline.lastElementChild ?? timeline);
  });
  source.addEventListener('session', (ev) => {
    const data = JSON.parse((ev as MessageEvent<string>).data) as SessionEventData;
    for (const [name, region] of Object.entries(data.regions ?? {})) {
      const el = document.querySelector(`[data-region="${name}"]`);
      if (el) replaceRegion(el, region);
    }
    if (announcer && data.stateLabel && data.state && announcer.getAttribute('data-state') !== data.state) {
      announcer.setAttribute('data-state', data.state);
      announcer.textContent = `Session is now ${data.stateLabel}.`;
    }
  });
  source.addEventListener('end', () => {
    source.close();
    setIndicator('done', 'Finished');
  });
  source.addEventListener('gone', () => {
    source.close();
    setIndicator('done', 'Deleted');
    if (announcer) announcer.textContent = 'This session was deleted.';
  });
}

followSourceBranches();
localizeTimes(document);
const live = document.querySelector('[data-live-session]');
if (live && 'EventSource' in window) followSession(live);

export {};
