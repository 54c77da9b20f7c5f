import Testing

@testable import TerminalUI

@Suite struct KeyDecoderTests {
    private func decode(_ text: String, flush: Bool = true) -> [TerminalEvent] {
        var decoder = KeyDecoder()
        var events = decoder.feed(Array(text.utf8))
        if flush { events += decoder.flushPending() }
        return events
    }

    @Test(arguments: [
        ("a", Key.character("a")), ("é", .character("é")), ("世", .character("世")), ("🚀", .character("🚀")),
        ("\r", .enter), ("\n", .enter), ("\t", .tab), ("\u{7F}", .backspace), ("\u{08}", .backspace),
        ("\u{1B}", .escape), ("\u{03}", .ctrl("c")), ("\u{01}", .ctrl("a")), ("\u{1A}", .ctrl("z")),
        ("\u{1B}[A", .up), ("\u{1B}[B", .down), ("\u{1B}[C", .right), ("\u{1B}[D", .left),
        ("\u{1B}OA", .up), ("\u{1B}OB", .down), ("\u{1B}OC", .right), ("\u{1B}OD", .left),
        ("\u{1B}[H", .home), ("\u{1B}[F", .end), ("\u{1B}OH", .home), ("\u{1B}OF", .end),
        ("\u{1B}[1~", .home), ("\u{1B}[4~", .end), ("\u{1B}[7~", .home), ("\u{1B}[8~", .end),
        ("\u{1B}[5~", .pageUp), ("\u{1B}[6~", .pageDown), ("\u{1B}[3~", .delete), ("\u{1B}[2~", .insert),
        ("\u{1B}[Z", .backTab), ("\u{1B}OP", .function(1)), ("\u{1B}OQ", .function(2)), ("\u{1B}OR", .function(3)),
        ("\u{1B}OS", .function(4)), ("\u{1B}[15~", .function(5)), ("\u{1B}[17~", .function(6)),
        ("\u{1B}[18~", .function(7)), ("\u{1B}[19~", .function(8)), ("\u{1B}[20~", .function(9)),
        ("\u{1B}[21~", .function(10)), ("\u{1B}[23~", .function(11)), ("\u{1B}[24~", .function(12)),
        ("\u{1B}[11~", .function(1)), ("\u{1B}[1;5A", .up), ("\u{1B}x", .alt("x")),
    ])
    func decodesKeys(bytes: String, key: Key) {
        #expect(decode(bytes) == [.key(key)])
    }

    @Test func loneEscapeWaitsForTheDelay() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]) == [])
        #expect(decoder.hasPending)
        #expect(decoder.feed(Array("[A".utf8)) == [.key(.up)])
        #expect(decoder.feed([0x1B]) == [])
        #expect(decoder.flushPending() == [.key(.escape)])
        #expect(!decoder.hasPending)
    }

    @Test func sequenceSplitAcrossReads() {
        var decoder = KeyDecoder()
        #expect(decoder.feed(Array("\u{1B}[".utf8)) == [])
        #expect(decoder.feed(Array("6".utf8)) == [])
        #expect(decoder.feed(Array("~j".utf8)) == [.key(.pageDown), .key(.character("j"))])
    }

    @Test func utf8SplitAcrossReads() {
        var decoder = KeyDecoder()
        let bytes = Array("世".utf8)
        #expect(decoder.feed(bytes[0..<1]) == [])
        #expect(decoder.feed(bytes[1...]) == [.key(.character("世"))])
    }

    @Test func doubleEscape() {
        #expect(decode("\u{1B}\u{1B}[A") == [.key(.escape), .key(.up)])
    }

    @Test func bracketedPasteIsOneEventAndNeverKeys() {
        let pasted = "https://x/cb?code=abc\n\u{1B}[A q"
        #expect(decode("\u{1B}[200~" + pasted + "\u{1B}[201~j") == [.paste(pasted), .key(.character("j"))])
    }

    @Test func pasteArrivingInPieces() {
        var decoder = KeyDecoder()
        var events: [TerminalEvent] = []
        for chunk in ["\u{1B}[20", "0~hel", "lo\u{1B}[2", "01~"] {
            events += decoder.feed(Array(chunk.utf8))
        }
        #expect(events == [.paste("hello")])
        #expect(!decoder.isInPaste)
    }

    /// A paste whose end marker never comes: after the silence, what arrived is one paste (the
    /// keys typed meanwhile included, as text), and the keys after it act again.
    @Test func aPasteWithoutItsEndMarkerEndsAsAPasteAndLaterKeysAreKeys() {
        var decoder = KeyDecoder()
        var events = decoder.feed(Array("\u{1B}[200~https://x/cb?code=abc".utf8))
        events += decoder.feed(Array("Q\u{1B}[20".utf8))
        #expect(events.isEmpty)
        #expect(decoder.isInPaste)
        #expect(decoder.closeUnfinishedPaste() == [.paste("https://x/cb?code=abcQ\u{1B}[20")])
        #expect(!decoder.isInPaste)
        #expect(decoder.feed(Array("Q".utf8)) == [.key(.character("Q"))])
        #expect(decoder.feed([0x1B]) + decoder.flushPending() == [.key(.escape)])
        // A late end marker alone is no key.
        #expect(decoder.feed(Array("\u{1B}[201~".utf8)) + decoder.flushPending() == [])
        // Nothing open: nothing to close.
        #expect(decoder.closeUnfinishedPaste() == [])
    }

    @Test func hugePasteIsCapped() {
        var decoder = KeyDecoder()
        var events = decoder.feed(Array("\u{1B}[200~".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        for _ in 0..<20 { events += decoder.feed(chunk) }
        events += decoder.feed(Array("\u{1B}[201~".utf8))
        guard case .paste(let text) = events.first else {
            Issue.record("no paste event")
            return
        }
        #expect(events.count == 1)
        #expect(text.utf8.count == KeyDecoder.maxPasteBytes)
    }

    @Test func sgrMouse() {
        #expect(decode("\u{1B}[<0;10;5M") == [.mouse(MouseEvent(kind: .press(button: 0), position: Point(x: 9, y: 4)))])
        #expect(
            decode("\u{1B}[<0;10;5m") == [.mouse(MouseEvent(kind: .release(button: 0), position: Point(x: 9, y: 4)))])
        #expect(decode("\u{1B}[<64;1;1M") == [.mouse(MouseEvent(kind: .scrollUp, position: Point(x: 0, y: 0)))])
        #expect(decode("\u{1B}[<65;1;1M") == [.mouse(MouseEvent(kind: .scrollDown, position: Point(x: 0, y: 0)))])
    }

    @Test func unknownSequencesAndInvalidBytesAreDropped() {
        #expect(decode("\u{1B}[?1;2cq") == [.key(.character("q"))])
        var decoder = KeyDecoder()
        #expect(decoder.feed([0xFF, 0xC3, 0x28, UInt8(ascii: "a")]) == [.key(.character("(")), .key(.character("a"))])
        #expect(decode("\u{1B}[99~b") == [.key(.character("b"))])
    }
}

@Suite struct KeyDecoderRestartTests {
    private func decode(_ text: String) -> [TerminalEvent] {
        var decoder = KeyDecoder()
        return decoder.feed(Array(text.utf8)) + decoder.flushPending()
    }

    /// An unfinished sequence followed by a new ESC is dropped; the new one starts over, so a
    /// paste that follows is a paste and its bytes never act as keys.
    @Test(arguments: ["\u{1B}[", "\u{1B}O", "\u{1B}[1;", "\u{1B}[<0;1"])
    func unfinishedSequenceBeforeAPasteIsDropped(prefix: String) {
        let events = decode(prefix + "\u{1B}[200~abc\u{03}q\u{1B}[201~")
        #expect(events == [.paste("abc\u{03}q")])
    }

    @Test func unfinishedSequenceBeforeAKeyIsDropped() {
        #expect(decode("\u{1B}[\u{1B}[A") == [.key(.up)])
        #expect(decode("\u{1B}[1\u{1B}OB") == [.key(.down)])
    }

    @Test func controlByteInsideASequenceEndsIt() {
        // A control byte cannot be part of a CSI: the sequence is dropped, the byte is a key.
        #expect(decode("\u{1B}[1\u{03}") == [.key(.ctrl("c"))])
        #expect(decode("\u{1B}[é") == [.key(.character("é"))])
    }
}

@Suite struct UnbracketedPasteTests {
    @Test func aBurstWithALineBreakInsideIsAPasteNotEnter() {
        var decoder = KeyDecoder()
        #expect(
            decoder.feed(Array("http://127.0.0.1:8976/callback?code=AbCd\nEf0123&state=s".utf8)) == [
                .paste("http://127.0.0.1:8976/callback?code=AbCd\nEf0123&state=s")
            ])
    }

    @Test(arguments: ["j", "abc\r", "\r", "q\r\r", "\u{03}x\ny", "a\u{1B}[A\nb"])
    func keysStayKeys(burst: String) {
        var decoder = KeyDecoder()
        let events = decoder.feed(Array(burst.utf8)) + decoder.flushPending()
        #expect(!events.contains { if case .paste = $0 { return true } else { return false } }, "\(burst)")
    }
}
