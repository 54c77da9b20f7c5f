import Foundation

/// Writes settings into bbtui's config file the way a person would edit it: the keys given get
/// their new values in place (or are added after the last setting, before any table), and every other line, comment and blank
/// line stays as it was. The file is written whole to a temporary file beside it (0600, in a 0700
/// directory) and renamed over the old one, so a reader sees the old file or the new one, never
/// half of either.
public enum ConfigFile {
    /// The file's new text: `updates` set in `text` (nil: a new file).
    public static func updating(_ text: String?, with updates: [(key: String, value: String)]) -> String {
        var lines = text.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
        if lines.last == "" { lines.removeLast() }
        var pending = updates
        var output: [String] = []
        var inTable = false
        for line in lines {
            // Settings live above the first table (`[keys]`, `[[commands]]`): new ones go in
            // before it, and a line inside a table is never taken for a setting.
            if !inTable, line.trimmingCharacters(in: .whitespaces).hasPrefix("[") {
                inTable = true
                var blanks = 0
                while let last = output.last, last.trimmingCharacters(in: .whitespaces).isEmpty {
                    output.removeLast()
                    blanks += 1
                }
                output += pending.map(assignment) + Array(repeating: "", count: max(blanks, pending.isEmpty ? 0 : 1))
                pending = []
            }
            let key = inTable ? nil : key(of: line)
            if let key, let index = pending.firstIndex(where: { $0.key == key }) {
                output.append(assignment(pending.remove(at: index)))
            } else if let key, updates.contains(where: { $0.key == key }) {
                continue // an older duplicate of a key just written: it would only confuse
            } else {
                output.append(line)
            }
        }
        output += pending.map(assignment)
        return output.joined(separator: "\n") + "\n"
    }

    /// Whether `value` can be written as a quoted value this file's reader reads back unchanged.
    public static func canHold(_ value: String) -> Bool {
        !value.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control }
    }

    /// Sets `updates` in the config file at `paths.configFile`.
    public static func update(_ paths: StorePaths, with updates: [(key: String, value: String)]) throws(StoreError) {
        for update in updates where !canHold(update.value) {
            throw .writeFailed(
                path: paths.configFile, reason: "the value of \(update.key) has a quote or control character")
        }
        try SecureFiles.prepareDirectory(paths.configDirectory)
        let path = paths.configFile
        var existing: String?
        if let data = FileManager.default.contents(atPath: path) {
            guard let text = String(data: data, encoding: .utf8) else {
                throw .writeFailed(path: path, reason: "it is not UTF-8 text; fix or remove it first")
            }
            existing = text
        }
        try writeAtomically(Array(updating(existing, with: updates).utf8), to: path)
    }

    private static func key(of line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { return nil }
        return trimmed[..<equals].trimmingCharacters(in: .whitespaces)
    }

    private static func assignment(_ update: (key: String, value: String)) -> String {
        "\(update.key) = \"\(update.value)\""
    }

    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .writeFailed(path: temporary, reason: String(cString: strerror(errno))) }
        fchmod(fd, 0o600)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw .writeFailed(path: path, reason: reason)
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .writeFailed(path: path, reason: reason)
        }
    }
}
