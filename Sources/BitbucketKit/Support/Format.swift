import Foundation

/// Human formats for times and sizes, all relative to a given `now` so views stay pure. Shared by
/// the full-screen app and the command line, so it lives below both.
public enum Format {
    /// "just now", "5 min ago", "3 h ago", "12 d ago", "4 mo ago", "2 y ago".
    public static func age(_ date: Date?, now: Date) -> String {
        guard let date else { return "—" }
        let seconds = now.timeIntervalSince(date)
        if seconds < 60 { return "just now" }
        return span(seconds) + " ago"
    }

    /// "in 1 h 59 m", "in 45 s", "expired".
    public static func countdown(to date: Date, now: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        if seconds <= 0 { return "expired" }
        if seconds < 60 { return "in \(Int(seconds)) s" }
        let minutes = Int(seconds) / 60
        if minutes < 60 { return "in \(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return "in \(hours) h \(minutes % 60) min" }
        return "in \(hours / 24) d"
    }

    static func span(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return "\(hours) h" }
        let days = hours / 24
        if days < 60 { return "\(days) d" }
        if days < 730 { return "\(days / 30) mo" }
        return "\(days / 365) y"
    }

    /// "2013-04-12".
    public static func day(_ date: Date?) -> String {
        guard let date else { return "—" }
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// "2026-12-05 14:32:10 UTC": a moment a person may compare with other logs.
    public static func timestamp(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0,
            c.minute ?? 0, c.second ?? 0)
    }

    /// "512 B", "4.1 KB", "1.2 GB" (powers of 1024, as Bitbucket's UI does).
    public static func size(_ bytes: Int64?) -> String {
        guard let bytes else { return "—" }
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return (value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)) + " " + units[unit]
    }

    /// The store path with the home directory shortened to `~`.
    public static func path(_ path: String, home: String?) -> String {
        guard let home, !home.isEmpty, path.hasPrefix(home) else { return path }
        return "~" + path.dropFirst(home.count)
    }
}
