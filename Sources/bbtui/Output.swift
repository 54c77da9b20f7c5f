import Foundation
import TerminalUI

/// Writes a line to standard error. Messages can carry text from the network (an error body),
/// and standard error is usually a terminal: it goes through the sanitiser like the screen does.
func printError(_ message: String) {
    writeLine(Sanitizer.sanitize(message, newlines: .keep), to: STDERR_FILENO)
}

/// Writes a line straight to a descriptor, unbuffered, so it is seen at once even through a pipe.
func writeLine(_ text: String, to fd: Int32) {
    let bytes = Array((text + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        offset += written
    }
}

/// Writes text to standard output, unbuffered.
func printOut(_ text: String) {
    writeLine(text, to: STDOUT_FILENO)
}

/// A terminal-safe string for human output: network text never reaches the terminal raw.
func safe(_ text: String?) -> String {
    Sanitizer.sanitize(text ?? "")
}

/// Aligned columns by display width.
func table(_ header: [String], _ rows: [[String]]) -> String {
    // An all-empty header is a key-value listing: no header line.
    let all = header.allSatisfy(\.isEmpty) ? rows : [header] + rows
    let widths = header.indices.map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
    // Trailing blanks are trimmed; an empty value shows as a dash.
    return all.map { row in
        row.enumerated().map { index, cell in
            let shown = cell.isEmpty && index > 0 ? "-" : cell
            return index == row.count - 1 ? shown : TextLayout.pad(shown, to: widths[index])
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// JSON text with sorted keys, for stable script output. Every control and bidi character in a
/// string is escaped (`\u009b`, `\u202e`), so printing the JSON to a terminal is as safe as the
/// table: the data survives exactly, and nothing in it can act on the terminal.
func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return JSONSafety.escapeControls(String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self))
}
