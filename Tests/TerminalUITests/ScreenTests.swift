import Testing

@testable import TerminalUI

@Suite struct ScreenTests {
    @Test func putsAndClips() {
        var screen = Screen(size: Size(width: 10, height: 2))
        let end = screen.put("hello world", x: 2, y: 0)
        #expect(end == 10)
        #expect(screen.lines == ["  hello wo", ""])
    }

    @Test func neverSplitsAWideCharacterAtTheRightEdge() {
        var screen = Screen(size: Size(width: 5, height: 1))
        screen.put("ab世界", x: 0, y: 0)
        #expect(screen.lines == ["ab世"])
        #expect(screen[4, 0] == Cell(" "))
    }

    @Test func wideCharacterCutAtTheLeftClipBecomesBlank() {
        var screen = Screen(size: Size(width: 6, height: 1))
        screen.put("世界x", x: -1, y: 0)
        #expect(screen.lines == [" 界x"])
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var screen = Screen(size: Size(width: 6, height: 1))
        screen.put("世界", x: 0, y: 0)
        screen.put("x", x: 1, y: 0)
        #expect(screen.lines == [" x界"])
        screen.put("y", x: 2, y: 0)
        #expect(screen.lines == [" xy"])
        #expect(screen[3, 0].text == " ")
    }

    @Test func truncatesWithEllipsisAndAligns() {
        var screen = Screen(size: Size(width: 12, height: 3))
        screen.put("repository", x: 0, y: 0, width: 6)
        screen.put("42", x: 0, y: 1, width: 6, alignment: .right)
        screen.put("mid", x: 0, y: 2, width: 7, alignment: .center)
        #expect(screen.lines == ["repos…", "    42", "  mid"])
    }

    @Test func outOfBoundsWritesAreIgnored() {
        var screen = Screen(size: Size(width: 3, height: 1))
        screen.put("abc", x: 0, y: 5)
        screen.put("abc", x: 7, y: 0)
        screen[9, 9] = Cell("x")
        screen.fill(Rect(x: 2, y: 0, width: 10, height: 10), style: .reverse)
        #expect(screen.lines == [""])
        #expect(screen[2, 0].style == .reverse)
    }

    @Test func zeroSizedScreenIsSafe() {
        var screen = Screen(size: Size(width: 0, height: 0))
        screen.put("x", x: 0, y: 0)
        Box(title: "t").render(into: &screen, area: screen.bounds)
        #expect(screen.lines == [])
    }
}

@Suite struct RectTests {
    @Test func splitsRowsAndColumns() {
        let rect = Rect(x: 0, y: 0, width: 80, height: 24)
        #expect(rect.splitRows([.fixed(1), .fill(1), .fixed(1)]).map(\.height) == [1, 22, 1])
        #expect(rect.splitColumns([.fixed(20), .fill(1), .fill(2)]).map(\.width) == [20, 20, 40])
        #expect(rect.splitColumns([.fixed(20), .fill(1), .fill(2)]).map(\.x) == [0, 20, 40])
        #expect(
            Rect(x: 0, y: 0, width: 10, height: 1).splitColumns([.fill(1), .fill(1), .fill(1)]).map(\.width) == [
                4, 3, 3,
            ])
    }

    @Test func tooSmallGivesZeroNotNegative() {
        let tiny = Rect(x: 0, y: 0, width: 1, height: 1)
        #expect(tiny.splitRows([.fixed(3), .fixed(2), .fill(1)]).map(\.height) == [1, 0, 0])
        #expect(tiny.inset(by: 2).isEmpty)
        #expect(tiny.inset(by: 2).width == 0)
    }

    @Test func centersAndIntersects() {
        let rect = Rect(x: 0, y: 0, width: 80, height: 24)
        #expect(rect.centered(width: 20, height: 4) == Rect(x: 30, y: 10, width: 20, height: 4))
        #expect(
            rect.intersection(Rect(x: 70, y: 20, width: 20, height: 20)) == Rect(x: 70, y: 20, width: 10, height: 4))
    }
}

@Suite struct UnsanitizedInputTests {
    @Test func aControlHandedToTheScreenIsDroppedAndCounted() {
        var screen = Screen(size: Size(width: 20, height: 1))
        screen.put("evil\u{1B}[2J\u{202E}x", x: 0, y: 0)
        #expect(screen.unsanitizedDrops == 2)
        var clean = Screen(size: Size(width: 20, height: 1))
        clean.put(Sanitizer.sanitize("evil\u{1B}[2J\u{202E}x"), x: 0, y: 0)
        #expect(clean.unsanitizedDrops == 0)
        #expect(clean.lines == ["evil␛[2J�x"])
    }
}

@Suite struct HyperlinkTests {
    @Test func onlyPlainHTTPURLsBecomeLinks() {
        var screen = Screen(size: Size(width: 40, height: 4))
        screen.putLink("https://bitbucket.org/a/b", url: "https://bitbucket.org/a/b", x: 2, y: 0, width: 30)
        screen.putLink("evil", url: "https://x/\u{1B}]8;;https://phish/\u{1B}\\", x: 0, y: 1, width: 30)
        screen.putLink("space", url: "https://x/a b", x: 0, y: 2, width: 30)
        screen.putLink("js", url: "javascript:alert(1)", x: 0, y: 3, width: 30)
        #expect(screen.links == [Hyperlink(x: 2, y: 0, width: 25, url: "https://bitbucket.org/a/b")])
        #expect(screen.lines[1] == "evil")
        screen.clear()
        #expect(screen.links.isEmpty)
    }

    @Test(arguments: [
        (["TERM_PROGRAM": "iTerm.app"], true), (["KITTY_WINDOW_ID": "1"], true), (["VTE_VERSION": "6800"], true),
        (["VTE_VERSION": "4200"], false), (["WT_SESSION": "x"], true), ([:], false), (["TMUX": "/tmp/t,1,0"], false),
        (["BBTUI_HYPERLINKS": "1"], true), (["BBTUI_HYPERLINKS": "0", "TERM_PROGRAM": "iTerm.app"], false),
    ])
    func hyperlinksOnlyWhereTheyAreKnownToWorkOrAskedFor(environment: [String: String], expected: Bool) {
        #expect(TerminalCapabilities.hyperlinks(environment: environment) == expected)
    }
}
