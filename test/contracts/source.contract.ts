/** The SourceProvider contract: plain git, GitHub, GitLab and Gitea run this same suite. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SourceProvider } from '../../src/sources/provider.ts';
import type { SourceRecord } from '../../src/store/store.ts';
import { listRemoteBranches } from '../../src/workspace/remote.ts';

export interface SourceContractSetup {
  provider: SourceProvider;
  /** A source whose repository has branches `main` and `stint/contract` (pushed). */
  record: SourceRecord;
  /** A secret the provider uses; it must never appear in what callers see. */
  secret?: string;
}

export function runSourceContract(name: string, setup: () => Promise<SourceContractSetup>): void {
  describe(`SourceProvider contract: ${name}`, () => {
    test('the remote reaches the repository and its URL carries no credentials', async () => {
      const { provider, record, secret } = await setup();
      assert.equal(provider.specificationVersion, 'v1');
      const remote = await provider.remote(record);
      assert.ok(!/\/\/[^/]*@/.test(remote.url), 'no userinfo in the URL');
      if (secret) assert.ok(!remote.url.includes(secret));
      const branches = await listRemoteBranches(remote.url, { env: remote.env });
      assert.ok(branches.branches.includes('main'));
    });

    test('the host lists the branches, with the default branch', async (t) => {
      const { provider, record } = await setup();
      if (!provider.branches) return t.skip('branches are read with git ls-remote');
      const got = await provider.branches(record);
      assert.ok(got.branches.includes('main') && got.branches.includes('stint/contract'));
      assert.equal(got.defaultBranch, 'main');
      assert.deepEqual(got.branches, [...got.branches].sort());
    });

    test('opening the review of a branch twice gives the same review (plain git: none)', async () => {
      const { provider, record } = await setup();
      const req = {
        record,
        sessionId: 'contract',
        headRef: 'stint/contract',
        baseRef: 'main',
        title: 'Contract',
        body: 'Body',
        sessionUrl: 'http://stint.example/sessions/contract',
      };
      const first = await provider.openReview(req);
      const second = await provider.openReview({ ...req, body: 'Body, updated' });
      if (provider.kind === 'git') {
        // No review exists, so none is claimed (not even the session's own page).
        assert.equal(first, undefined);
        assert.equal(second, undefined);
        return;
      }
      assert.ok(first && second);
      assert.match(first.url, /^https?:\/\//);
      assert.ok(!first.url.startsWith(req.sessionUrl));
      assert.equal(second.url, first.url);
      assert.deepEqual(
        {
          baseRef: second.baseRef,
          headRef: second.headRef,
          title: second.title,
          description: second.description,
        },
        { baseRef: 'main', headRef: 'stint/contract', title: 'Contract', description: 'Body, updated' },
      );
    });
  });
}
