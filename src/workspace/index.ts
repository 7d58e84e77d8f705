// Public surface of the workspace module: git checkouts and change sets.
export {
  BASE_MARKER,
  type PrepareCheckoutOptions,
  prepareCheckout,
  readBaseMarker,
  removeCheckout,
} from './checkout.ts';
export { GitError, type GitOptions, runGit, runGitRaw } from './git.ts';
export { type GitCredentials, type GitRemote, remoteFromUrl } from './git-auth.ts';
export { BranchConflictError, publishSessionBranch, type SessionBranch } from './mirror/session-branch.ts';
export {
  applyCheck,
  type ChangedFile,
  type ChangeSet,
  type ChangeSetOptions,
  type ChangeStatus,
  computeChangeSet,
} from './patch.ts';
export { hasUrlUserinfo, redactSecrets, redactUrl, stripUrlUserinfo } from './redact.ts';
export { isSafeRefName, isSafeRelativePath } from './refs.ts';
export { listRemoteBranches, type RemoteBranches } from './remote.ts';
export {
  type Prepared,
  type PrepareRequest,
  type SourceCheckout,
  Workspaces,
  type WorkspacesOptions,
} from './workspaces.ts';
