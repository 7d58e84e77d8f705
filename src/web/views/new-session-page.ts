/** The new-session form: prompt, title, source and branch, plan approval, automatic pull request. */
import { html, scriptJson } from '../html.ts';
import { shortSource } from './format.ts';
import { type Notice, page, type Viewer } from './layout.ts';

export interface SourceChoice {
  name: string;
  branches: string[];
  defaultBranch: string | undefined;
}

export interface NewSessionValues {
  prompt: string;
  title: string;
  source: string;
  branch: string;
  requirePlanApproval: boolean;
  autoPr: boolean;
}

export const EMPTY_VALUES: NewSessionValues = {
  prompt: '',
  title: '',
  source: '',
  branch: '',
  requirePlanApproval: true,
  autoPr: false,
};

export function newSessionPage(opts: {
  viewer: Viewer;
  sources: SourceChoice[];
  values: NewSessionValues;
  notice?: Notice | undefined;
}): string {
  const v = opts.values;
  const branchData: Record<string, { branches: string[]; defaultBranch: string | null }> = {};
  for (const s of opts.sources) {
    branchData[s.name] = { branches: s.branches, defaultBranch: s.defaultBranch ?? null };
  }
  const allBranches = [...new Set(opts.sources.flatMap((s) => s.branches))];
  return page({
    title: 'New session',
    viewer: opts.viewer,
    nav: 'new',
    notice: opts.notice,
    body: html`<div class="narrow">
      <div class="page-head"><h1>New session</h1></div>
      <form class="card" method="post" action="/sessions"><div class="card-body">
        <input type="hidden" name="_csrf" value="${opts.viewer.csrf}">
        <div class="field">
          <label for="prompt">Prompt</label>
          <textarea id="prompt" name="prompt" rows="10" required aria-describedby="prompt-hint">${v.prompt}</textarea>
          <p class="hint" id="prompt-hint">What the agent should do. The scripted agent plays a <code>stint-script</code> block from the prompt. Ctrl+Enter creates the session.</p>
        </div>
        <div class="field">
          <label for="title">Title <span class="muted">(optional)</span></label>
          <input type="text" id="title" name="title" value="${v.title}" maxlength="1000" aria-describedby="title-hint">
          <p class="hint" id="title-hint">Generated from the prompt when left empty.</p>
        </div>
        <div class="field">
          <label for="source">Repository</label>
          <select id="source" name="source">
            <option value="">No repository (a scratch workspace)</option>
            ${opts.sources.map((s) => html`<option value="${s.name}"${v.source === s.name ? html` selected` : ''}>${shortSource(s.name)} (${s.name})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="branch">Starting branch</label>
          <input type="text" id="branch" name="branch" value="${v.branch}" list="branch-options" autocomplete="off"
            spellcheck="false" placeholder="default branch" aria-describedby="branch-hint">
          <datalist id="branch-options">${allBranches.map((b) => html`<option value="${b}"></option>`)}</datalist>
          <p class="hint" id="branch-hint">Leave empty to start from the repository's default branch.</p>
        </div>
        <div class="check"><input type="checkbox" id="requirePlanApproval" name="requirePlanApproval" value="1"${v.requirePlanApproval ? html` checked` : ''}>
          <label for="requirePlanApproval">Require plan approval<span class="hint">The agent waits for you to approve its plan before it changes anything.</span></label></div>
        <div class="check"><input type="checkbox" id="autoPr" name="autoPr" value="1"${v.autoPr ? html` checked` : ''}>
          <label for="autoPr">Open a pull request when done<span class="hint">On completion with changes, a branch is pushed and a pull request opened.</span></label></div>
        <div class="form-actions"><button type="submit" class="primary">Create session</button>
          <a href="/sessions">Cancel</a></div>
      </div></form>
      <script type="application/json" id="source-branches">${scriptJson(branchData)}</script>
    </div>`,
  });
}
