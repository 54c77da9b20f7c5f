import BitbucketKit
import Foundation
import TerminalUI

/// Writes a line to standard error. Messages can carry text from the network (an error body),
/// and standard error is usually a terminal: it goes through the sanitiser like the screen does.
func printError(_ message: String) {
    writeLine(Sanitizer.sanitize(message, newlines: .keep), to: STDERR_FILENO)
}

/// Writes a line straight to a descriptor, unbuffered, so it is seen at once even through a pipe.
func writeLine(_ text: String, to fd: Int32) {
    var line = text + "\n"
    line.withUTF8 { writeBytes($0, to: fd) }
}

/// Writes bytes to a descriptor as they are (`JSONText`, already terminal-safe), all of them.
/// Output is never dropped silently: when the reader went away (`bbtui repos | head`), bbtui
/// ends as a pipeline's writer does, by SIGPIPE, quietly; any other failure (a full disk) is
/// said on stderr and bbtui exits 1. (A message that cannot reach stderr has nowhere to go.)
func writeBytes(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written > 0 {
            offset += written
            continue
        }
        let failure = written < 0 ? errno : EIO
        if failure == EINTR { continue }
        if failure == EAGAIN || failure == EWOULDBLOCK {
            // A descriptor someone made non-blocking: wait until it takes more.
            var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&ready, 1, -1)
            continue
        }
        if fd == STDERR_FILENO { return }
        if failure == EPIPE {
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
            exit(141)
        }
        var message = "bbtui: could not write the output: \(String(cString: strerror(failure)))\n"
        message.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        exit(1)
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
struct JSONText: ~Copyable {
    /// The text so far: a buffer of its own, written without the checks an array makes on every
    /// append (this runs for every byte of a listing).
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Members written in the open object (for commas), and its depth.
    private var members = 0
    private var depth = 0

    private init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// An array of objects, as `json()` prints `[Encodable]`; `write` writes one object's
    /// members in sorted key order.
    static func array<T>(_ items: some Collection<T>, _ write: (inout JSONText, T) -> Void) -> String {
        var result = ""
        build(items, line: false, piece: nil, output: { result = String(decoding: $0, as: UTF8.self) }, write)
        return result
    }

    /// Writes the array to `fd` in pieces of about a megabyte as it is built, ending with a
    /// newline: a listing of 100,000 repositories never holds its whole text in memory.
    static func write<T>(_ items: some Collection<T>, to fd: Int32, _ write: (inout JSONText, T) -> Void) {
        build(items, line: true, piece: 1 << 20, output: { writeBytes($0, to: fd) }, write)
    }

    /// Builds the array's text, handing it to `output` whenever `piece` bytes are ready (nil:
    /// once, whole).
    private static func build<T>(
        _ items: some Collection<T>, line: Bool, piece: Int?, output: (UnsafeBufferPointer<UInt8>) -> Void,
        _ write: (inout JSONText, T) -> Void
    ) {
        var text = JSONText(capacity: piece.map { $0 + 64 << 10 } ?? items.count * 900)
        if items.isEmpty {
            text.append("[\n\n]")
        } else {
            text.append("[\n")
            var left = items.count
            for item in items {
                left -= 1
                text.append("  ")
                text.beginObject(depth: 1)
                write(&text, item)
                text.endObject()
                text.append(left == 0 ? "\n" : ",\n")
                if let piece, text.count >= piece {
                    output(UnsafeBufferPointer(start: text.base, count: text.count))
                    text.count = 0
                }
            }
            text.append("]")
        }
        if line { text.append("\n") }
        output(UnsafeBufferPointer(start: text.base, count: text.count))
    }

    /// Room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.update(from: base, count: count)
        base.deallocate()
        (base, capacity) = (moved, larger)
    }

    @inline(__always)
    private mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).update(from: start, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
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
        byte(UInt8(ascii: "\""))
        append(name)
        append("\" : ")
    }

    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        byte(UInt8(ascii: "\""))
        quotedBody(value)
        byte(UInt8(ascii: "\""))
    }

    /// A string the repository derives (full name, links), written from its pieces without
    /// joining them; left out when the repository has none.
    mutating func member(_ name: StaticString, _ repository: Repository, _ derived: Repository.DerivedText) {
        let (mark, marked) = (count, members)
        key(name)
        byte(UInt8(ascii: "\""))
        if repository.pieces(of: derived, { quotedBody($0) }) {
            byte(UInt8(ascii: "\""))
        } else {
            (count, members) = (mark, marked)
        }
    }

    mutating func member(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        number(value)
    }

    /// Decimal digits without a String in between.
    private mutating func number(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var start = 20
            repeat {
                start -= 1
                buffer[start] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
            } while magnitude > 0
            append(UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        append(value ? "true" : "false")
    }

    mutating func member(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        byte(UInt8(ascii: "\""))
        date(value)
        byte(UInt8(ascii: "\""))
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

    private mutating func indent(_ level: Int) {
        reserve(2 * level)
        (base + count).update(repeating: UInt8(ascii: " "), count: 2 * level)
        count += 2 * level
    }

    private static let hex: StaticString = "0123456789abcdef"

    /// A JSON string's inside: `JSONEncoder`'s escapes, then `JSONSafety`'s for DEL, C1 and
    /// bidi. Runs of plain ASCII are copied whole.
    private mutating func quotedBody(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var index = 0
            while index < utf8.count {
                var run = index
                while run < utf8.count, utf8[run] >= 0x20, utf8[run] < 0x7F, utf8[run] != UInt8(ascii: "\""),
                    utf8[run] != UInt8(ascii: "\\")
                { run += 1 }
                if run > index {
                    append(UnsafeBufferPointer(rebasing: utf8[index..<run]))
                    index = run
                    continue
                }
                let byte = utf8[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    self.byte(UInt8(ascii: "\\"))
                    self.byte(byte)
                    index += 1
                    continue
                }
                // One whole scalar (the text is valid UTF-8).
                let length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
                var value = UInt32(
                    length == 1 ? byte : length == 2 ? byte & 0x1F : length == 3 ? byte & 0x0F : byte & 0x07)
                for offset in 1..<max(1, length) where index + offset < utf8.count {
                    value = value << 6 | UInt32(utf8[index + offset] & 0x3F)
                }
                switch value {
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0x08: append("\\b")
                case 0x0C: append("\\f")
                default:
                    if let scalar = Unicode.Scalar(value), JSONSafety.needsEscape(scalar) {
                        append("\\u")
                        for shift in stride(from: 12, through: 0, by: -4) {
                            self.byte(JSONText.hex.utf8Start[Int(value >> UInt32(shift) & 0xF)])
                        }
                    } else {
                        append(UnsafeBufferPointer(rebasing: utf8[index..<min(utf8.count, index + length)]))
                    }
                }
                index += length
            }
        }
    }

    /// `iso8601(date)`, straight into the bytes.
    private mutating func date(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = JSONText.civil(days)
        guard (0...9999).contains(year) else {
            var text = JSONText.iso8601(date)
            text.withUTF8 { append($0) }
            return
        }
        func two(_ value: Int) {
            byte(UInt8(value / 10) + 0x30)
            byte(UInt8(value % 10) + 0x30)
        }
        two(year / 100)
        two(year % 100)
        byte(UInt8(ascii: "-"))
        two(month)
        byte(UInt8(ascii: "-"))
        two(day)
        byte(UInt8(ascii: "T"))
        two(secondOfDay / 3600)
        byte(UInt8(ascii: ":"))
        two(secondOfDay / 60 % 60)
        byte(UInt8(ascii: ":"))
        two(secondOfDay % 60)
        byte(UInt8(ascii: "Z"))
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
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
