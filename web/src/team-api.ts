// The API calls of running reel for a team: people and invitations, projects (settings, keys,
// deletion on request, the portfolio), your account and tokens, and what admins watch (audit
// log, Plans & Billing, the Ingestion Monitor). Shapes come from the generated types.

import { apiFetch, getJson, sendJson, type Role } from './api';
import type { components } from './generated/api-types';

type Schemas = components['schemas'];
export type Person = Schemas['Person'];
export type Invite = Schemas['Invite'];
export type CreatedInvite = Schemas['CreatedInvite'];
export type InviteInfo = Schemas['InviteInfo'];
export type ProjectInfo = Schemas['ProjectInfo'];
export type ProjectSettings = Schemas['ProjectSettings'];
export type ProjectSettingsUpdate = Schemas['ProjectSettingsUpdate'];
export type ProjectKeys = Schemas['ProjectKeys'];
export type Erasure = Schemas['Erasure'];
export type PortfolioReplay = Schemas['PortfolioReplay'];
export type Token = Schemas['Token'];
export type CreatedToken = Schemas['CreatedToken'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditLog = Schemas['AuditLog'];
export type Usage = Schemas['Usage'];
export type IngestionMonitor = Schemas['IngestionMonitor'];
export type IngestMinute = Schemas['IngestMinute'];
export type PrivacyLevel = Schemas['PrivacyLevel'];

/** The roles from least to most trusted; each may do what the ones before it may. */
export const ROLES: readonly Role[] = ['viewer', 'member', 'manager', 'admin'];

/** Whether `role` is at least `minimum` (the server decides; the UI only hides what it would refuse). */
export function atLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

// Projects

export async function createProject(name: string): Promise<ProjectInfo> {
  return json(await sendJson('POST', '/api/v1/projects', { name }));
}

export async function updateProject(project: number, update: Schemas['ProjectUpdate']): Promise<ProjectInfo> {
  return json(await sendJson('PATCH', `/api/v1/projects/${project}`, update));
}

export function getSettings(project: number, signal?: AbortSignal): Promise<ProjectSettings> {
  return getJson(`/api/v1/projects/${project}/settings`, signal);
}

export async function updateSettings(project: number, update: ProjectSettingsUpdate): Promise<ProjectSettings> {
  return json(await sendJson('PATCH', `/api/v1/projects/${project}/settings`, update));
}

export function getKeys(project: number, signal?: AbortSignal): Promise<ProjectKeys> {
  return getJson(`/api/v1/projects/${project}/keys`, signal);
}

export async function rotateKey(project: number, overlapHours: number): Promise<ProjectKeys> {
  return json(await sendJson('POST', `/api/v1/projects/${project}/keys/rotate`, { overlap_hours: overlapHours }));
}

/** Deletes everything of one user id or device id in the project. */
export async function eraseSubject(project: number, kind: 'users' | 'devices', id: string): Promise<Erasure> {
  return json(await apiFetch(`/api/v1/projects/${project}/${kind}/${encodeURIComponent(id)}`, { method: 'DELETE' }));
}

export async function listPortfolio(days: number, signal?: AbortSignal): Promise<PortfolioReplay[]> {
  return (await getJson<Schemas['PortfolioPage']>(`/api/v1/portfolio/replays?days=${days}`, signal)).replays;
}

// People

export async function listMembers(project: number, signal?: AbortSignal): Promise<Person[]> {
  return (await getJson<Schemas['PersonList']>(`/api/v1/projects/${project}/members`, signal)).people;
}

export async function listAccounts(signal?: AbortSignal): Promise<Person[]> {
  return (await getJson<Schemas['PersonList']>('/api/v1/accounts', signal)).people;
}

export async function setRole(project: number, user: number, role: Role): Promise<Person> {
  return json(await sendJson('PUT', `/api/v1/projects/${project}/members/${user}`, { role }));
}

export async function removeMember(project: number, user: number): Promise<void> {
  await apiFetch(`/api/v1/projects/${project}/members/${user}`, { method: 'DELETE' });
}

export async function createUser(project: number, email: string, password: string, role: Role): Promise<Person> {
  return json(await sendJson('POST', `/api/v1/users?project=${project}`, { email, password, role }));
}

export async function updateAccount(user: number, update: Schemas['AccountUpdate']): Promise<Person> {
  return json(await sendJson('PATCH', `/api/v1/accounts/${user}`, update));
}

export async function listInvites(project: number, signal?: AbortSignal): Promise<Invite[]> {
  return (await getJson<Schemas['InviteList']>(`/api/v1/projects/${project}/invites`, signal)).invites;
}

export async function invite(project: number, email: string, role: Role, expiresInHours: number): Promise<CreatedInvite> {
  return json(await sendJson('POST', `/api/v1/projects/${project}/invites`, { email, role, expires_in_hours: expiresInHours }));
}

export async function revokeInvite(project: number, id: number): Promise<void> {
  await apiFetch(`/api/v1/projects/${project}/invites/${id}`, { method: 'DELETE' });
}

export function inviteInfo(token: string, signal?: AbortSignal): Promise<InviteInfo> {
  return getJson(`/api/v1/invites/${encodeURIComponent(token)}`, signal);
}

export async function acceptInvite(token: string, password: string): Promise<void> {
  await sendJson('POST', `/api/v1/invites/${encodeURIComponent(token)}/accept`, { password });
}

// Your account

export async function changePassword(current: string, next: string): Promise<void> {
  await sendJson('PUT', '/api/v1/me/password', { current_password: current, new_password: next });
}

export async function signOutEverywhere(): Promise<number> {
  return (await json<Schemas['SignedOut']>(await sendJson('POST', '/api/v1/me/sign-out-everywhere', {}))).browser_sessions;
}

export async function listTokens(signal?: AbortSignal): Promise<Token[]> {
  return (await getJson<Schemas['TokenList']>('/api/v1/tokens', signal)).tokens;
}

export async function createToken(name: string, expiresInDays: number | null): Promise<CreatedToken> {
  return json(await sendJson('POST', '/api/v1/tokens', expiresInDays === null ? { name } : { name, expires_in_days: expiresInDays }));
}

export async function revokeToken(id: number): Promise<void> {
  await apiFetch(`/api/v1/tokens/${id}`, { method: 'DELETE' });
}

// What admins watch

export function getAuditLog(project: number | null, before: number | null, signal?: AbortSignal): Promise<AuditLog> {
  const params = new URLSearchParams({ limit: '100' });
  if (project !== null) params.set('project', String(project));
  if (before !== null) params.set('before', String(before));
  return getJson(`/api/v1/audit-log?${params}`, signal);
}

export function getUsage(project: number, signal?: AbortSignal): Promise<Usage> {
  return getJson(`/api/v1/usage?project=${project}`, signal);
}

export async function setQuota(quota: number | null): Promise<void> {
  await sendJson('PUT', '/api/v1/organization/quota', { monthly_session_quota: quota });
}

export function getIngestion(project: number, signal?: AbortSignal): Promise<IngestionMonitor> {
  return getJson(`/api/v1/projects/${project}/ingestion`, signal);
}
