import TestSupport
import Testing

@testable import TerminalUI

/// Code points chosen to break grapheme handling: combining marks, ZWJ, variation selectors,
/// skin-tone modifiers, regional indicators, wide CJK, Hangul jamo, controls, bidi controls.
enum HostileScalars {
    static let pools: [[UInt32]] = [
        Array(0x61...0x7A), // ASCII letters
        [0x0300, 0x0301, 0x0308, 0x0327, 0x20DD, 0x0E31, 0x093F], // combining and enclosing marks, vowel signs
        [0x200D, 0x200C, 0xFE0F, 0xFE0E, 0x200B], // ZWJ, ZWNJ, variation selectors, zero width space
        Array(0x1F3FB...0x1F3FF), // skin-tone modifiers
        Array(0x1F1E6...0x1F1FF), // regional indicators
        [0x4E16, 0x754C, 0x3042, 0xAC00, 0xFF21], // wide CJK, Hangul syllable, fullwidth
        [0x1100, 0x1161, 0x11A8], // Hangul jamo (L, V, T): clusters built in pieces
        [0x1F469, 0x1F468, 0x1F467, 0x1F680, 0x2764, 0x1F44D], // emoji bases
        [0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x85, 0x9B], // C0, C1, DEL
        [0x202E, 0x202D, 0x2066, 0x2069, 0x200F, 0x061C], // bidi controls
        [0x0020, 0x00E9, 0x00A0],
    ]

    static func scalar<G: RandomNumberGenerator>(_ generator: inout G) -> Unicode.Scalar {
        let pool = pools[Int.random(in: 0..<pools.count, using: &generator)]
        return Unicode.Scalar(pool[Int.random(in: 0..<pool.count, using: &generator)])!
    }

    static func string<G: RandomNumberGenerator>(_ generator: inout G, maxScalars: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxScalars, using: &generator) { scalars.append(scalar(&generator)) }
        return String(scalars)
    }
}

@Suite struct TextInputPropertyTests {
    // MARK: - The observed crashes, one by one

    @Test(arguments: [
        ["a", "\u{0301}"], // a dead-key accent
        ["\u{1F1FA}", "\u{1F1F8}"], // a flag typed one indicator at a time
        ["\u{1F44D}", "\u{1F3FD}"], // emoji then skin tone
        ["\u{1F469}", "\u{200D}", "\u{1F4BB}"], // ZWJ sequence in pieces
        ["\u{1100}", "\u{1161}", "\u{11A8}"], // Hangul built from jamo
        ["e", "\u{0301}", "\u{0327}", "\u{0308}"], // stacked marks
    ])
    func scalarsTypedOneAtATimeJoinIntoOneCharacter(keys: [String]) {
        var field = TextFieldState()
        for key in keys {
            field.handle(.character(Character(key)))
            #expect(field.cursor <= field.text.count)
        }
        let joined = keys.joined()
        #expect(field.text == joined)
        #expect(field.cursor == joined.count)
        field.handle(.backspace)
        #expect(field.text == "")
        #expect(field.cursor == 0)
    }

    @Test func markTypedInTheMiddleAttachesToTheCharacterBefore() {
        var field = TextFieldState(text: "Zoe!")
        field.handle(.left)
        field.handle(.character("\u{0308}"))
        #expect(field.text == "Zoë!")
        #expect(field.cursor == 3)
        field.handle(.right)
        #expect(field.cursor == 4)
        field.handle(.ctrl("w"))
        #expect(field.text == "")
    }

    @Test func indicatorInsertedBeforeAnotherMergesAndTheCursorStaysOnABoundary() {
        var field = TextFieldState(text: "\u{1F1F8}x") // a lone indicator, then x
        field.handle(.home)
        field.handle(.character("\u{1F1FA}")) // makes the pair 🇺🇸
        #expect(field.text == "\u{1F1FA}\u{1F1F8}x")
        #expect(field.cursor == 1)
        field.handle(.delete)
        #expect(field.text == "\u{1F1FA}\u{1F1F8}")
    }

    @Test func removingACharacterBetweenTwoThatThenMergeKeepsTheCursorValid() {
        // "🇺" "x" "🇸": deleting x joins the indicators into one flag.
        var field = TextFieldState(text: "\u{1F1FA}x\u{1F1F8}")
        field.handle(.home)
        field.handle(.right)
        field.handle(.delete)
        #expect(field.text.count == 1)
        #expect(field.cursor <= 1)
        var screen = Screen(size: Size(width: 4, height: 1))
        TextField().render(into: &screen, area: screen.bounds, state: &field)
    }

    // MARK: - Properties

    /// Random keys and pastes never trap, the cursor stays on a character boundary, and the
    /// drawn field never leaves its box, whatever the width.
    @Test(arguments: Array(UInt64(1)...UInt64(40)))
    func randomEditingNeverTrapsAndStaysInItsBox(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var field = TextFieldState(maxLength: 64)
        let width = Int.random(in: 1...12, using: &generator)
        let keys: [Key] = [
            .left, .right, .home, .end, .backspace, .delete, .ctrl("u"), .ctrl("k"), .ctrl("w"), .ctrl("a"), .ctrl("e"),
        ]
        for _ in 0..<300 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<6:
                field.handle(.character(Character(HostileScalars.scalar(&generator))))
            case 6:
                field.paste(HostileScalars.string(&generator, maxScalars: 12))
            default:
                field.handle(keys[Int.random(in: 0..<keys.count, using: &generator)])
            }
            #expect(field.cursor >= 0 && field.cursor <= field.text.count, "seed \(seed)")
            #expect(field.text.count <= field.maxLength, "seed \(seed)")
            #expect(
                !field.text.unicodeScalars.contains { Sanitizer.placeholder(for: $0) != nil && $0 != " " },
                "seed \(seed)")
            var screen = Screen(size: Size(width: width + 4, height: 1))
            let box = Rect(x: 2, y: 0, width: width, height: 1)
            TextField().render(into: &screen, area: box, state: &field)
            for x in [0, 1, width + 2, width + 3] {
                #expect(screen[x, 0] == Cell(" "), "drew outside its box at \(x), seed \(seed)")
            }
            if let cursor = screen.cursor {
                #expect(cursor.x >= box.x && cursor.x < box.maxX, "cursor outside the box, seed \(seed)")
            }
        }
    }

    /// Any bytes, in any chunks, decode without trapping, and the same text split differently
    /// gives the same keys (when it holds no Esc, whose meaning depends on timing).
    @Test(arguments: Array(UInt64(1)...UInt64(30)))
    func decodingIsIndependentOfChunking(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var text = ""
        for _ in 0..<40 {
            // No Esc (its meaning depends on timing) and no line break (a burst holding one
            // with text after it is a paste, by design: see `unbracketedPasteBursts`).
            let scalar = HostileScalars.scalar(&generator)
            if scalar.value != 0x1B, scalar.value != 0x0A, scalar.value != 0x0D { text.unicodeScalars.append(scalar) }
        }
        let bytes = Array(text.utf8)
        var whole = KeyDecoder()
        let expected = whole.feed(bytes) + whole.flushPending()
        var chunked = KeyDecoder()
        var events: [TerminalEvent] = []
        var index = 0
        while index < bytes.count {
            let length = Int.random(in: 1...5, using: &generator)
            events += chunked.feed(bytes[index..<min(bytes.count, index + length)])
            index += length
        }
        events += chunked.flushPending()
        #expect(events == expected, "seed \(seed)")
    }

    @Test(arguments: Array(UInt64(1)...UInt64(30)))
    func randomBytesNeverTrapTheDecoder(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var decoder = KeyDecoder()
        let alphabet: [UInt8] = [
            0x1B, 0x5B, 0x4F, 0x3B, 0x3C, 0x7E, 0x32, 0x30, 0x31, 0x4D, 0x6D, 0x03, 0xC3, 0xA9, 0xE4, 0xF0, 0x9F, 0x80,
            0xFF, 0x61,
        ]
        for _ in 0..<200 {
            let chunk = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            _ = decoder.feed(chunk)
            if Bool.random(using: &generator) { _ = decoder.flushPending() }
        }
        _ = decoder.flushPending()
        #expect(!decoder.hasPending)
    }
}
