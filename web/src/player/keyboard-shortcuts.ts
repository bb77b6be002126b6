// The player's keyboard shortcuts: the list the help popover shows, which key presses are meant
// for the player (not typed into a field), and what each one does.

export const SHORTCUTS: ReadonlyArray<[keys: string, what: string]> = [
  ['Space', 'Play or pause'],
  ['← / →', 'Back or forward 10 seconds'],
  ['< / >', 'Slower or faster'],
  ['S', 'Skip inactivity on or off'],
  ['F', 'Fullscreen'],
  ['?', 'This list'],
];

/** Keys the player answers to (`SHORTCUTS` in words). */
const SHORTCUT_KEYS = new Set([' ', 'ArrowLeft', 'ArrowRight', '<', '>', ',', '.', 'f', 'F', '?', 's', 'S']);

/** A key press meant for the player: one of its keys, not typed into a field, no modifier but shift. */
export function isPlayerShortcut(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  if (!SHORTCUT_KEYS.has(event.key)) return false;
  const target = event.target;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return false;
  if (target instanceof HTMLInputElement) {
    return target.type === 'range' || target.type === 'checkbox';
  }
  return true;
}

export interface ShortcutCommands {
  togglePlay(): void;
  skipBack(): void;
  skipForward(): void;
  stepSpeed(direction: 1 | -1): void;
  toggleFullscreen(): void;
  toggleSkipInactive(): void;
  toggleHelp(): void;
}

/** Answers the shortcuts pressed anywhere on the page while `shell` is on it; returns how to stop. */
export function listenForShortcuts(shell: HTMLElement, commands: ShortcutCommands): () => void {
  const onKeyDown = (event: KeyboardEvent): void => {
    if (!isPlayerShortcut(event) || !shell.isConnected) return;
    event.preventDefault();
    if (event.repeat && event.key === ' ') return;
    runShortcut(event.key, commands);
  };
  // A focused button or checkbox activates on space *up*; the shortcut already acted on down.
  const onKeyUp = (event: KeyboardEvent): void => {
    if (isPlayerShortcut(event) && event.key === ' ') event.preventDefault();
  };
  document.addEventListener('keydown', onKeyDown);
  document.addEventListener('keyup', onKeyUp);
  return () => {
    document.removeEventListener('keydown', onKeyDown);
    document.removeEventListener('keyup', onKeyUp);
  };
}

function runShortcut(key: string, commands: ShortcutCommands): void {
  switch (key) {
    case ' ':
      commands.togglePlay();
      break;
    case 'ArrowLeft':
      commands.skipBack();
      break;
    case 'ArrowRight':
      commands.skipForward();
      break;
    case '<':
    case ',':
      commands.stepSpeed(-1);
      break;
    case '>':
    case '.':
      commands.stepSpeed(1);
      break;
    case 'f':
    case 'F':
      commands.toggleFullscreen();
      break;
    case 's':
    case 'S':
      commands.toggleSkipInactive();
      break;
    case '?':
      commands.toggleHelp();
      break;
  }
}
