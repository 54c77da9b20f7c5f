/// Turns the bytes a terminal sends into `TerminalEvent`s.
///
/// bbtui reads the tty itself instead of using curses' `getch`, because curses knows neither
/// bracketed paste nor SGR mouse reports, and its Esc handling blocks. The decoder is pure: feed it
/// bytes, take events; a lone ESC stays pending until `flushPending()` is called after a short
/// quiet period, which is how Esc is told apart from the start of a sequence.
public struct KeyDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var pasteBuffer: [UInt8]?

    /// The largest paste kept; the rest is dropped (a wall of garbage must not exhaust memory).
    public static let maxPasteBytes = 1 << 20

    /// Creates an empty decoder.
    public init() {}

    /// True when bytes are waiting that might be the start of a sequence (a lone ESC, or part of
    /// a UTF-8 character): the caller should wait briefly for more, then call `flushPending()`.
    public var hasPending: Bool { !buffer.isEmpty && pasteBuffer == nil }

    /// True while inside a bracketed paste that has not ended yet.
    public var isInPaste: Bool { pasteBuffer != nil }

    /// Adds bytes and returns every event they complete.
    ///
    /// The bytes of one read are one burst. A burst with a line break followed by more text is a
    /// paste that arrived without bracketed-paste markers (a terminal or multiplexer that drops
    /// them, a remote shell typing it): its line breaks are not Enter, so half a code is never
    /// submitted.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [TerminalEvent] {
        let chunk = Array(bytes)
        if pasteBuffer == nil, buffer.isEmpty, let pasted = KeyDecoder.unbracketedPaste(chunk) {
            return [.paste(pasted)]
        }
        buffer.append(contentsOf: chunk)
        var events: [TerminalEvent] = []
        while let event = next(final: false) { events.append(event) }
        return events
    }

    /// Treats what is pending as complete: a lone ESC becomes Esc, ESC + char becomes Alt-char,
    /// an unfinished sequence is dropped.
    public mutating func flushPending() -> [TerminalEvent] {
        var events: [TerminalEvent] = []
        while let event = next(final: true) { events.append(event) }
        buffer.removeAll()
        return events
    }

    /// How long a bracketed paste may go quiet before it is taken as ended without its end
    /// marker (a terminal killed mid-paste, a multiplexer that cut it, a lost packet).
    ///
    /// The rule: a paste ends at its end marker, or after this much silence. What arrived until
    /// then is delivered as one paste (text, never keys); whatever arrives after the silence is
    /// typed keys again. So no byte is lost, pasted text never acts as a command, and Esc or `Q`
    /// work again a second after a paste that never ended. A real paste arrives in one burst:
    /// its bytes are never a second apart.
    public static let unfinishedPasteSilence = Duration.seconds(1)

    /// Ends a bracketed paste whose end marker has not come (call it after
    /// `unfinishedPasteSilence` without input): returns what was pasted, as a paste.
    public mutating func closeUnfinishedPaste() -> [TerminalEvent] {
        guard var pasted = pasteBuffer else { return [] }
        append(buffer[...], to: &pasted)
        buffer.removeAll()
        pasteBuffer = nil
        return [.paste(String(decoding: pasted, as: UTF8.self))]
    }

    /// The text of a burst that can only be a paste: printable text (tabs allowed) with a line
    /// break that has more text after it, and no escape or other control byte.
    static func unbracketedPaste(_ chunk: [UInt8]) -> String? {
        guard chunk.count >= 3 else { return nil }
        var sawBreak = false
        var textAfterBreak = false
        var textBeforeBreak = false
        for byte in chunk {
            switch byte {
            case 0x0D, 0x0A:
                sawBreak = true
            case 0x09:
                continue
            case 0x00..<0x20, 0x7F:
                return nil
            default:
                if sawBreak { textAfterBreak = true } else { textBeforeBreak = true }
            }
        }
        guard textBeforeBreak, textAfterBreak else { return nil }
        return String(decoding: chunk, as: UTF8.self)
    }

    // MARK: - Decoding

    private static let pasteStart: [UInt8] = Array("\u{1B}[200~".utf8)
    private static let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)

    private mutating func next(final: Bool) -> TerminalEvent? {
        if pasteBuffer != nil { return continuePaste() }
        guard let first = buffer.first else { return nil }
        switch first {
        case 0x1B:
            return escape(final: final)
        case 0x0D, 0x0A:
            consume(1)
            return .key(.enter)
        case 0x09:
            consume(1)
            return .key(.tab)
        case 0x7F, 0x08:
            consume(1)
            return .key(.backspace)
        case 0x00:
            consume(1)
            return .key(.ctrl(" "))
        case 0x01...0x1A:
            consume(1)
            return .key(.ctrl(Character(Unicode.Scalar(first + 0x60))))
        case 0x1C...0x1F:
            consume(1)
            return next(final: final)
        default:
            guard let (character, length) = utf8Character(at: 0, final: final) else { return nil }
            consume(length)
            return character.map { .key(.character($0)) } ?? next(final: final)
        }
    }

    /// Decodes one UTF-8 scalar at `offset`. Returns nil when more bytes are needed, and a nil
    /// character (with its length) for an invalid byte, which is skipped.
    private func utf8Character(at offset: Int, final: Bool) -> (Character?, Int)? {
        let lead = buffer[offset]
        let length: Int
        switch lead {
        case 0x00..<0x80: length = 1
        case 0xC2..<0xE0: length = 2
        case 0xE0..<0xF0: length = 3
        case 0xF0..<0xF5: length = 4
        default: return (nil, 1)
        }
        if buffer.count - offset < length { return final ? (nil, buffer.count - offset) : nil }
        let slice = buffer[offset..<(offset + length)]
        if slice.dropFirst().contains(where: { $0 & 0xC0 != 0x80 }) { return (nil, 1) }
        guard let text = String(validating: slice, as: UTF8.self), let character = text.first else { return (nil, 1) }
        return (character, length)
    }

    private mutating func escape(final: Bool) -> TerminalEvent? {
        guard buffer.count > 1 else {
            if final {
                consume(1)
                return .key(.escape)
            }
            return nil
        }
        let second = buffer[1]
        if second == UInt8(ascii: "[") { return csi(final: final) }
        if second == UInt8(ascii: "O") { return ss3(final: final) }
        if second < 0x20 || second == 0x7F {
            // ESC then a control byte (another ESC, Ctrl-C…): the first is a lone Esc, and the
            // control byte is decoded on its own.
            consume(1)
            return .key(.escape)
        }
        // Alt + key.
        guard let (character, length) = utf8Character(at: 1, final: final) else { return nil }
        consume(1 + length)
        if let character, second >= 0x20 { return .key(.alt(character)) }
        return .key(.escape)
    }

    private mutating func ss3(final: Bool) -> TerminalEvent? {
        guard buffer.count > 2 else {
            if final {
                consume(2)
                return .key(.alt("O"))
            }
            return nil
        }
        let code = buffer[2]
        guard (0x20...0x7E).contains(code) else {
            // Not a key: drop the unfinished ESC O and decode this byte afresh (a new ESC
            // starts over, so a paste that follows stays a paste).
            consume(2)
            return next(final: final)
        }
        consume(3)
        switch code {
        case UInt8(ascii: "A"): return .key(.up)
        case UInt8(ascii: "B"): return .key(.down)
        case UInt8(ascii: "C"): return .key(.right)
        case UInt8(ascii: "D"): return .key(.left)
        case UInt8(ascii: "H"): return .key(.home)
        case UInt8(ascii: "F"): return .key(.end)
        case UInt8(ascii: "M"): return .key(.enter)
        case UInt8(ascii: "P"): return .key(.function(1))
        case UInt8(ascii: "Q"): return .key(.function(2))
        case UInt8(ascii: "R"): return .key(.function(3))
        case UInt8(ascii: "S"): return .key(.function(4))
        default: return next(final: final)
        }
    }

    private mutating func csi(final: Bool) -> TerminalEvent? {
        // Parameters and intermediates run until a final byte in 0x40...0x7E.
        var end = 2
        while end < buffer.count, !(0x40...0x7E).contains(buffer[end]) {
            guard (0x20...0x3F).contains(buffer[end]) else {
                // Not a parameter or intermediate byte (a new ESC, a control, UTF-8): the
                // sequence is broken. Drop what came so far and decode this byte afresh, so a
                // new sequence (a paste start) is never swallowed and pasted bytes never act as keys.
                consume(end)
                return next(final: final)
            }
            end += 1
            if end > 64 {
                // Not a sequence any terminal sends: drop the introducer and go on.
                consume(2)
                return next(final: final)
            }
        }
        guard end < buffer.count else {
            if final { buffer.removeAll() }
            return nil
        }
        let parameters = String(decoding: buffer[2..<end], as: UTF8.self)
        let finalByte = buffer[end]
        let sequence = Array(buffer[0...end])
        consume(end + 1)
        if sequence == KeyDecoder.pasteStart {
            pasteBuffer = []
            return continuePaste()
        }
        if finalByte == UInt8(ascii: "M") || finalByte == UInt8(ascii: "m"), parameters.hasPrefix("<") {
            return mouse(parameters.dropFirst(), isRelease: finalByte == UInt8(ascii: "m")) ?? next(final: final)
        }
        let fields = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
        let number = fields.first.flatMap { $0 }
        switch finalByte {
        case UInt8(ascii: "A"): return .key(.up)
        case UInt8(ascii: "B"): return .key(.down)
        case UInt8(ascii: "C"): return .key(.right)
        case UInt8(ascii: "D"): return .key(.left)
        case UInt8(ascii: "H"): return .key(.home)
        case UInt8(ascii: "F"): return .key(.end)
        case UInt8(ascii: "Z"): return .key(.backTab)
        case UInt8(ascii: "P"): return .key(.function(1))
        case UInt8(ascii: "Q"): return .key(.function(2))
        case UInt8(ascii: "R"): return .key(.function(3))
        case UInt8(ascii: "S"): return .key(.function(4))
        case UInt8(ascii: "~"):
            switch number {
            case 1, 7: return .key(.home)
            case 2: return .key(.insert)
            case 3: return .key(.delete)
            case 4, 8: return .key(.end)
            case 5: return .key(.pageUp)
            case 6: return .key(.pageDown)
            case 11: return .key(.function(1))
            case 12: return .key(.function(2))
            case 13: return .key(.function(3))
            case 14: return .key(.function(4))
            case 15: return .key(.function(5))
            case 17: return .key(.function(6))
            case 18: return .key(.function(7))
            case 19: return .key(.function(8))
            case 20: return .key(.function(9))
            case 21: return .key(.function(10))
            case 23: return .key(.function(11))
            case 24: return .key(.function(12))
            default: return next(final: final)
            }
        default:
            // Focus reports, cursor position reports and the like: ignored.
            return next(final: final)
        }
    }

    private func mouse(_ parameters: Substring, isRelease: Bool) -> TerminalEvent? {
        let numbers = parameters.split(separator: ";").compactMap { Int($0) }
        guard numbers.count == 3 else { return nil }
        let code = numbers[0]
        let position = Point(x: max(0, numbers[1] - 1), y: max(0, numbers[2] - 1))
        let button = code & 0b11
        let kind: MouseEvent.Kind
        if code & 64 != 0 {
            kind = button == 0 ? .scrollUp : .scrollDown
        } else if code & 32 != 0 {
            kind = .drag(button: button)
        } else {
            kind = isRelease ? .release(button: button) : .press(button: button)
        }
        return .mouse(MouseEvent(kind: kind, position: position))
    }

    private mutating func continuePaste() -> TerminalEvent? {
        guard var pasted = pasteBuffer else { return nil }
        if let range = firstRange(of: KeyDecoder.pasteEnd, in: buffer) {
            append(buffer[..<range.lowerBound], to: &pasted)
            consume(range.upperBound)
            pasteBuffer = nil
            return .paste(String(decoding: pasted, as: UTF8.self))
        }
        // Keep a tail that could be the start of the end marker; take the rest.
        let keep = min(buffer.count, KeyDecoder.pasteEnd.count - 1)
        append(buffer[..<(buffer.count - keep)], to: &pasted)
        buffer.removeFirst(buffer.count - keep)
        pasteBuffer = pasted
        return nil
    }

    private func append(_ bytes: ArraySlice<UInt8>, to pasted: inout [UInt8]) {
        let room = KeyDecoder.maxPasteBytes - pasted.count
        if room > 0 { pasted.append(contentsOf: bytes.prefix(room)) }
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start..<(start + needle.count) }
        }
        return nil
    }

    private mutating func consume(_ count: Int) {
        buffer.removeFirst(min(count, buffer.count))
    }
}
