import Testing

@testable import TerminalUI

@Suite struct DisplayWidthTests {
    @Test(arguments: [
        ("a", 1), ("é", 1), ("e\u{301}", 1), ("世", 2), ("界", 2), ("ｗ", 2), ("🚀", 2), ("❤️", 2),
        ("🇩🇪", 2), ("\u{200B}", 0), ("\u{301}", 0), ("한", 2), ("ア", 2), ("ｱ", 1), ("\u{1B}", 0),
    ])
    func characterWidth(text: String, expected: Int) {
        #expect(DisplayWidth.of(Character(text)) == expected)
    }

    @Test func stringWidth() {
        #expect(DisplayWidth.of("Zoë 世界 🚀") == 11)
        #expect(DisplayWidth.of("") == 0)
    }
}

@Suite struct SanitizerTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a\u{1B}[31mred", "a␛[31mred"),
        ("\u{1B}]52;c;ZXZpbA==\u{07}", "␛]52;c;ZXZpbA==␇"),
        ("\u{1B}]8;;http://evil\u{1B}\\link\u{1B}]8;;\u{1B}\\", "␛]8;;http://evil␛\\link␛]8;;␛\\"),
        ("\u{1B}[2J\u{1B}[H", "␛[2J␛[H"),
        ("nul\u{0}bell\u{7}", "nul␀bell␇"),
        ("del\u{7F}", "del␡"),
        ("c1\u{9B}31m", "c1�31m"),
        ("\u{85}next", "�next"),
        ("abc\u{202E}fdp.exe", "abc�fdp.exe"),
        ("\u{2066}iso\u{2069}", "�iso�"),
        ("tab\there", "tab here"),
        ("line\nbreak", "line↵break"),
        ("crlf\r\nend", "crlf↵end"),
        ("cr\rend", "cr↵end"),
        ("sep\u{2028}x", "sep↵x"),
        ("Zoë 世界 🚀", "Zoë 世界 🚀"),
    ])
    func placeholders(input: String, expected: String) {
        #expect(Sanitizer.sanitize(input) == expected)
    }

    @Test func keepsNewlinesWhenAsked() {
        #expect(Sanitizer.sanitize("a\r\nb\nc\u{1B}", newlines: .keep) == "a\nb\nc␛")
        #expect(Sanitizer.sanitize("a\nb", newlines: .space) == "a b")
    }

    @Test func capsCombiningRuns() {
        let zalgo = "a" + String(repeating: "\u{301}", count: 500)
        let clean = Sanitizer.sanitize(zalgo)
        #expect(clean.unicodeScalars.count == Sanitizer.maxScalarsPerCluster)
        #expect(DisplayWidth.of(clean) == 1)
    }

    @Test func noEscapeSurvives() {
        var hostile = ""
        for value in UInt32(0)...0x9F { hostile.unicodeScalars.append(Unicode.Scalar(value)!) }
        let clean = Sanitizer.sanitize(hostile)
        #expect(!clean.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }
}

@Suite struct TextLayoutTests {
    @Test(arguments: [
        ("hello", 5, "hello"), ("hello world", 8, "hello w…"), ("世界世界", 5, "世界…"), ("世界世界", 4, "世…"),
        ("abc", 0, ""), ("abc", 1, "…"), ("ab", 1, "…"), ("a", 1, "a"),
    ])
    func truncate(text: String, width: Int, expected: String) {
        #expect(TextLayout.truncate(text, to: width) == expected)
        #expect(DisplayWidth.of(TextLayout.truncate(text, to: width)) <= width)
    }

    @Test func pad() {
        #expect(TextLayout.pad("ab", to: 4) == "ab  ")
        #expect(TextLayout.pad("ab", to: 4, alignment: .right) == "  ab")
        #expect(TextLayout.pad("ab", to: 5, alignment: .center) == " ab  ")
        #expect(TextLayout.pad("世", to: 3) == "世 ")
    }

    @Test func wrap() {
        #expect(TextLayout.wrap("the quick brown fox jumps", width: 10) == ["the quick", "brown fox", "jumps"])
        #expect(TextLayout.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        #expect(TextLayout.wrap("a\n\nb", width: 4) == ["a", "", "b"])
        #expect(TextLayout.wrap("世界世界世", width: 4) == ["世界", "世界", "世"])
        #expect(TextLayout.wrap("", width: 4) == [""])
    }
}

@Suite struct AsciiFallbackTests {
    @Test(arguments: [
        ("a", "a"), ("ë", "e"), ("Å", "A"), ("ö", "o"), ("ß", "s"), ("Ł", "L"), ("ó", "o"), ("ź", "z"), ("ø", "o"),
        ("Ç", "C"), ("e\u{301}", "e"), ("×", "x"), ("│", "|"), ("…", "~"), ("李", "?"), ("🚀", "?"), ("ǅ", "?"),
    ])
    func eachCellBecomesOneReadableASCIICharacter(text: String, expected: String) {
        #expect(AsciiFallback.character(for: text) == expected)
    }

    @Test func aNameStaysReadable() {
        let name = "Zoë Ångström-Łódź"
        #expect(name.map { AsciiFallback.character(for: String($0)) }.joined() == "Zoe Angstrom-Lodz")
    }
}
