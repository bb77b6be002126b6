// /replays/{id} — one replay: the player with its panels (player/replay-view.ts).
// URL state: ?project=<id> (default: your first), ?t=<ms from the start> start position,
// ?speed=0.5|1|2|4|8|16, ?skip=0 turns skip-inactivity off.

import { renderShell } from '../layout';
import { mountReplayView } from '../player/replay-view';
import { updateQuery, type Cleanup, type ViewContext } from '../router';

export function playerView({ root, url, params, signal }: ViewContext): Cleanup {
  const main = renderShell(root, url);
  const page = document.createElement('div');
  page.className = 'page player-page';
  main.append(page);
  const project = Number(url.searchParams.get('project'));
  const view = mountReplayView(page, params.id ?? '', {
    mode: 'page',
    project: Number.isInteger(project) && project > 0 ? project : undefined,
    params: url.searchParams,
    signal,
    onTitle: (title) => (document.title = `${title} · reel`),
    onSettingsChange: ({ speed, skipInactive }) =>
      updateQuery({ speed: speed === 1 ? null : String(speed), skip: skipInactive ? null : '0' }),
  });
  return () => {
    view.destroy();
    document.title = 'reel';
  };
}
