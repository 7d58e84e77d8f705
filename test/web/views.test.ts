/** Server-rendered markup: everything from a session is escaped, messages keep code and links. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Activity } from '../../src/domain/activity.ts';
import type { Session } from '../../src/domain/session.ts';
import { html, raw, scriptJson } from '../../src/web/html.ts';
import { richText } from '../../src/web/views/rich-text.ts';
import { renderRegions } from '../../src/web/views/session-regions.ts';
import { activityItem } from '../../src/web/views/timeline.ts';

const EVIL = '<img src=x onerror=alert(1)>"\'&';

const activity = (content: Activity['content'], extra: Partial<Activity> = {}): Activity => ({
  sessionId: '1',
  seq: 1,
  id: 'a1',
  createTime: 1_790_000_000_000_000,
  originator: 'agent',
  content,
  artifacts: [],
  ...extra,
});

test('html escapes values and keeps nested templates', () => {
  assert.equal(
    html`<p title="${EVIL}">${EVIL}${html`<b>${'x'}</b>`}${[1, raw('<i>')]}</p>`.toString(),
    '<p title="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;<b>x</b>1<i></p>',
  );
  assert.equal(scriptJson({ a: '</script><!--' }).toString(), '{"a":"\\u003c/script\\u003e\\u003c!--"}');
});

test('rich text: code blocks, inline code and http(s) links only', () => {
  const out = richText(
    'See `a<b>` and https://example.com/x?a=1&b=2. Not javascript:alert(1)\n```js\nif (a < b) {}\n```\nend',
  ).toString();
  assert.match(out, /<code>a&lt;b&gt;<\/code>/);
  assert.match(out, /<a href="https:\/\/example\.com\/x\?a=1&amp;b=2" rel="noopener noreferrer nofollow"/);
  assert.match(out, /<pre><code>if \(a &lt; b\) \{\}<\/code><\/pre>/);
  assert.doesNotMatch(out, /href="javascript/);
  assert.doesNotMatch(richText(EVIL).toString(), /<img/);
});

test('every activity kind renders with its content escaped', () => {
  const kinds: Activity['content'][] = [
    { kind: 'agentMessaged', agentMessage: EVIL },
    { kind: 'userMessaged', userMessage: EVIL },
    {
      kind: 'planGenerated',
      plan: { id: 'p', createTime: 1, steps: [{ id: 's', title: EVIL, description: EVIL, index: 0 }] },
    },
    { kind: 'planApproved', planId: 'p' },
    { kind: 'progressUpdated', title: `Ran ${EVIL}`, description: `${EVIL}\nexit code 2` },
    { kind: 'sessionCompleted' },
    { kind: 'sessionFailed', reason: EVIL },
  ];
  for (const content of kinds) {
    const out = activityItem(activity(content)).toString();
    assert.doesNotMatch(out, /<img src=x/, content.kind);
    assert.match(out, new RegExp(`kind-${content.kind}`));
  }
  const ran = activityItem(
    activity({ kind: 'progressUpdated', title: 'Ran make', description: 'built\nexit code 2' }),
  ).toString();
  assert.match(ran, /<details class="output">/);
  assert.match(ran, /exit 2/);
});

test('regions follow the state: Approve only while awaiting approval, no composer once failed', () => {
  const session: Session = {
    id: '123',
    tenantId: 't',
    prompt: 'p',
    title: EVIL,
    requirePlanApproval: true,
    automationMode: 'AUTOMATION_MODE_UNSPECIFIED',
    state: 'AWAITING_PLAN_APPROVAL',
    archived: false,
    outputs: [],
    createTime: 1,
    updateTime: 1,
  };
  const waiting = renderRegions({ session, csrf: 'tok' });
  assert.match(waiting.attention.html, /action="\/sessions\/123\/approve"/);
  assert.match(waiting.attention.html, /name="_csrf" value="tok"/);
  assert.match(waiting.composer.html, /name="prompt"/);
  const failed = renderRegions({
    session: { ...session, state: 'FAILED' },
    csrf: 'tok',
    failureReason: 'boom',
  });
  assert.doesNotMatch(failed.attention.html, /approve/);
  assert.match(failed.attention.html, /boom/);
  assert.equal(failed.composer.html, '');
  assert.notEqual(failed.attention.rev, waiting.attention.rev);
  assert.equal(renderRegions({ session, csrf: 'tok' }).attention.rev, waiting.attention.rev);
});

test('a pushed branch (plain git) shows its name, commit and remote, and no pull request', () => {
  const commitId = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
  const session: Session = {
    id: '456',
    tenantId: 't',
    prompt: 'p',
    title: 't',
    requirePlanApproval: false,
    automationMode: 'AUTO_CREATE_PR',
    state: 'COMPLETED',
    archived: false,
    outputs: [
      {
        changeSet: {
          source: 'sources/git/acme/plain',
          gitPatch: { baseCommitId: 'b'.repeat(40), unidiffPatch: '', suggestedCommitMessage: 'm' },
        },
        branch: { name: 'stint/456', commitId, remote: `https://git.example/${EVIL}.git` },
      },
    ],
    createTime: 1,
    updateTime: 1,
  };
  const regions = renderRegions({ session, csrf: 'tok' });
  for (const region of [regions.attention.html, regions.controls.html]) {
    assert.match(region, /<code>stint\/456<\/code>/);
    assert.match(region, new RegExp(`title="${commitId}">${commitId.slice(0, 12)}<`));
    assert.ok(!region.includes(EVIL), 'the remote is escaped');
  }
  assert.doesNotMatch(regions.controls.html, /Pull request/);
  assert.match(regions.controls.html, /Pushed branch/);
});
