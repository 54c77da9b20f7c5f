/// How many single-character edits turn one name into another: the nearest setting, command,
/// key context or placeholder to a typo.
public enum EditDistance {
    /// Levenshtein distance, by Characters.
    public static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The name in `names` closest to `name` (case aside), when it is close enough to be a typo:
    /// at most two edits, or a third of the name's length.
    public static func nearest(to name: String, among names: [String]) -> String? {
        let folded = name.lowercased()
        let scored = names.map { ($0, between(folded, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, best.0.count / 3) else { return nil }
        return best.0
    }
}
