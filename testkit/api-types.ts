// The query API's shapes for TypeScript outside the UI: the types generated from the server's
// OpenAPI document (web/src/generated/api-types.ts, `make api-types`), named once here. Tests,
// benchmarks and scripts that read or send an API body take its type from this module and
// never restate it.
//
// The ingest endpoints (`/sessions/v2/track`, `/2/httpapi`) speak Amplitude's wire protocol and
// are not part of that document: ingest.ts types their few fields.

import type { components } from '../web/src/generated/api-types.ts';

type Schemas = components['schemas'];

export type Activity = Schemas['Activity'];
export type ActivityEvent = Schemas['ActivityEvent'];
export type ErrorBody = Schemas['ErrorBody'];
export type FeedbackList = Schemas['FeedbackList'];
export type Manifest = Schemas['Manifest'];
export type Me = Schemas['Me'];
export type ProjectInfo = Schemas['ProjectInfo'];
export type ProjectSettings = Schemas['ProjectSettings'];
export type ProjectSettingsUpdate = Schemas['ProjectSettingsUpdate'];
export type IngestionMonitor = Schemas['IngestionMonitor'];
export type ProjectUpdate = Schemas['ProjectUpdate'];
/** An rrweb event as reel stores and answers it; `data` is rrweb's business, so it is not typed further. */
export type RecordedEvent = Schemas['RecordedEvent'];
export type Replay = Schemas['Replay'];
export type ReplayPage = Schemas['ReplayPage'];
export type SearchRequest = Schemas['SearchRequest'];
export type UserProfile = Schemas['UserProfile'];
