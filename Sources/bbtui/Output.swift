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

/// Writes bytes to a descriptor as they are (`JSONText`, already terminal-safe).
func writeBytes(_ bytes: [UInt8], to fd: Int32) {
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

/// Pretty-printed JSON built by hand, byte for byte as `json()` prints it (two-space indents,
/// `" : "`, sorted keys given in order by the caller, ISO 8601 dates, nil members left out),
/// with every string escaped as `JSONSafety` requires. `JSONEncoder` costs tens of microseconds a
/// repository; a listing of 100,000 would spend seconds there.
struct JSONText {
    private(set) var bytes: [UInt8] = []
    /// Members written in the open object (for commas), and its depth.
    private var members = 0
    private var depth = 0

    /// An array of objects, as `json()` prints `[Encodable]`; `write` writes one object's
    /// members in sorted key order.
    static func array<T>(_ items: some Collection<T>, _ write: (inout JSONText, T) -> Void) -> String {
        String(decoding: arrayBytes(items, line: false, write), as: UTF8.self)
    }

    /// Writes the array to `fd` in pieces of about a megabyte as it is built, ending with a
    /// newline: a listing of 100,000 repositories never holds its whole text in memory.
    static func write<T>(_ items: some Collection<T>, to fd: Int32, _ write: (inout JSONText, T) -> Void) {
        build(items, line: true, piece: 1 << 20, output: { writeBytes($0, to: fd) }, write)
    }

    /// The same, as bytes; `line` ends it with a newline.
    static func arrayBytes<T>(_ items: some Collection<T>, line: Bool, _ write: (inout JSONText, T) -> Void) -> [UInt8] {
        var result: [UInt8] = []
        build(items, line: line, piece: nil, output: { result = $0 }, write)
        return result
    }

    /// Builds the array's text, handing it to `output` whenever `piece` bytes are ready (nil:
    /// once, whole).
    private static func build<T>(_ items: some Collection<T>, line: Bool, piece: Int?, output: ([UInt8]) -> Void, _ write: (inout JSONText, T) -> Void) {
        var text = JSONText()
        text.bytes.reserveCapacity(piece.map { $0 + 64 << 10 } ?? items.count * 900)
        if items.isEmpty {
            text.append("[\n\n]")
        } else {
            text.append("[\n")
            for (index, item) in items.enumerated() {
                text.append("  ")
                text.beginObject(depth: 1)
                write(&text, item)
                text.endObject()
                text.append(index == items.count - 1 ? "\n" : ",\n")
                if let piece, text.bytes.count >= piece {
                    output(text.bytes)
                    text.bytes.removeAll(keepingCapacity: true)
                }
            }
            text.append("]")
        }
        if line { text.append("\n") }
        output(text.bytes)
    }

    private mutating func beginObject(depth level: Int) {
        depth = level
        members = 0
        append("{")
    }

    private mutating func endObject() {
        append(members == 0 ? "\n\n" : "\n")
        indent(depth)
        append("}")
    }

    private mutating func key(_ name: StaticString) {
        append(members == 0 ? "\n" : ",\n")
        members += 1
        indent(depth + 1)
        bytes.append(UInt8(ascii: "\""))
        append(name)
        append("\" : ")
    }

    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        quoted(value)
    }

    mutating func member(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        number(value)
    }

    /// Decimal digits without a String in between.
    private mutating func number(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var start = 20
            repeat {
                start -= 1
                buffer[start] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        append(value ? "true" : "false")
    }

    mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        bytes.append(UInt8(ascii: "\""))
        date(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A nested object whose members `body` writes (keys sorted).
    mutating func member(_ name: StaticString, object body: (inout JSONText) -> Void) {
        key(name)
        let (outerMembers, outerDepth) = (members, depth)
        beginObject(depth: outerDepth + 1)
        body(&self)
        endObject()
        (members, depth) = (outerMembers, outerDepth)
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func indent(_ level: Int) {
        for _ in 0..<level { append("  ") }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: `JSONEncoder`'s escapes, then `JSONSafety`'s for DEL, C1 and bidi.
    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                if byte >= 0x20 && byte < 0x7F {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                    bytes.append(byte)
                    index += 1
                    continue
                }
                // One whole scalar (the text is valid UTF-8).
                let length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
                var value = UInt32(length == 1 ? byte : length == 2 ? byte & 0x1F : length == 3 ? byte & 0x0F : byte & 0x07)
                for offset in 1..<max(1, length) where index + offset < utf8.count { value = value << 6 | UInt32(utf8[index + offset] & 0x3F) }
                switch value {
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                default:
                    if let scalar = Unicode.Scalar(value), JSONSafety.needsEscape(scalar) {
                        append("\\u")
                        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(JSONText.hex[Int(value >> UInt32(shift) & 0xF)]) }
                    } else {
                        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[index..<min(utf8.count, index + length)]))
                    }
                }
                index += length
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `iso8601(date)`, straight into the bytes.
    private mutating func date(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = JSONText.civil(days)
        guard (0...9999).contains(year) else {
            bytes.append(contentsOf: JSONText.iso8601(date).utf8)
            return
        }
        func two(_ value: Int) {
            bytes.append(UInt8(value / 10) + 0x30)
            bytes.append(UInt8(value % 10) + 0x30)
        }
        two(year / 100)
        two(year % 100)
        bytes.append(UInt8(ascii: "-"))
        two(month)
        bytes.append(UInt8(ascii: "-"))
        two(day)
        bytes.append(UInt8(ascii: "T"))
        two(secondOfDay / 3600)
        bytes.append(UInt8(ascii: ":"))
        two(secondOfDay / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        two(secondOfDay % 60)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Year, month and day of a day number since 1970 (Howard Hinnant's civil-from-days).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `2026-11-17T10:00:00Z`, as `.iso8601` writes it (whole seconds, UTC).
    static func iso8601(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
