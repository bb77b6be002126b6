// Named moments on the page's performance timeline (`performance.getEntriesByType('mark')`):
// where opening a replay spends its time. The benchmark (bench/player/) reads them.

export function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // Marks are an aid; a browser without them plays the same.
  }
}
