/** Edit distance (insertions, deletions, substitutions, swaps of neighbours) between two short words. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known name closest to `word`, case aside: the one it starts (`dat` -> `data`), else the
 * nearest within a typo or two (one for words of up to four letters); undefined when none is close
 * or two are equally close. Costs at most a few known-name lengths squared however long `word` is.
 */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  const given = word.toLowerCase();
  if (given === '') return undefined;
  const prefixed = names.filter((name) => name.toLowerCase().startsWith(given));
  if (prefixed.length === 1) return prefixed[0];
  const limit = given.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const name of names) {
    // The distance is at least the difference in length: a word far longer than every name costs nothing.
    if (Math.abs(name.length - given.length) > limit) continue;
    const d = distance(given, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance, tie] = [name, d, false];
    else if (d === bestDistance) tie = true;
  }
  return tie ? undefined : best;
}
