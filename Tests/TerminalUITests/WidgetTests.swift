import TerminalUITesting
import Testing

@testable import TerminalUI

@Suite struct BoxTests {
    @Test func framesWithTitle() {
        var screen = Screen(size: Size(width: 12, height: 4))
        let inner = Box(title: "Repos").render(into: &screen, area: screen.bounds)
        #expect(inner == Rect(x: 1, y: 1, width: 10, height: 2))
        #expect(screen.lines == ["┌ Repos ───┐", "│          │", "│          │", "└──────────┘"])
    }

    @Test func asciiGlyphsAndLongTitle() {
        var screen = Screen(size: Size(width: 8, height: 3), glyphs: .ascii)
        Box(title: "A very long title").render(into: &screen, area: screen.bounds)
        #expect(screen.lines == ["+ A ve~+", "|      |", "+------+"])
    }
}

@Suite struct TableTests {
    let columns = [TableColumn("Name", width: .fill(1)), TableColumn("Size", width: .fixed(5), alignment: .right)]

    @Test func rendersHeaderRowsAndSelection() {
        var screen = Screen(size: Size(width: 20, height: 4))
        var state = ListState()
        let rows = [["alpha", "1 KB"], ["beta", "20 MB"], ["世界repo", "3 GB"]]
        Table(columns: columns).render(
            into: &screen, area: screen.bounds, count: rows.count, state: &state, row: { rows[$0] })
        #expect(
            screen.lines == [
                "Name            Size", "alpha           1 KB", "beta           20 MB", "世界repo        3 GB",
            ])
        #expect(screen[0, 1].style == .reverse)
        #expect(screen[0, 2].style == .plain)
    }

    @Test func onlyVisibleRowsAreRequested() {
        var screen = Screen(size: Size(width: 20, height: 6))
        var state = ListState(selected: 50_000)
        var requested: [Int] = []
        Table(columns: columns).render(
            into: &screen, area: screen.bounds, count: 100_000, state: &state,
            row: { index in
                requested.append(index)
                return ["row \(index)", ""]
            })
        #expect(requested == [49_996, 49_997, 49_998, 49_999, 50_000])
        #expect(state.offset == 49_996)
        #expect(screen.line(5).hasPrefix("row 50000"))
    }

    @Test func scrollbarAppearsWhenRowsOverflow() {
        var screen = Screen(size: Size(width: 10, height: 3))
        var state = ListState()
        Table(columns: [TableColumn("", width: .fill(1))], showsHeader: false)
            .render(into: &screen, area: screen.bounds, count: 9, state: &state, row: { ["r\($0)"] })
        #expect(screen.lines == ["r0       █", "r1       │", "r2       │"])
    }

    @Test func emptyTableClearsSelection() {
        var screen = Screen(size: Size(width: 10, height: 3))
        var state = ListState(selected: 4, offset: 3)
        Table(columns: columns).render(into: &screen, area: screen.bounds, count: 0, state: &state, row: { _ in [] })
        #expect(state == ListState(selected: nil, offset: 0))
    }
}

@Suite struct ListStateTests {
    @Test func movesAndClamps() {
        var state = ListState()
        state.move(by: 1, count: 10, visible: 3)
        #expect(state == ListState(selected: 1, offset: 0))
        state.move(by: 5, count: 10, visible: 3)
        #expect(state == ListState(selected: 6, offset: 4))
        state.move(by: 100, count: 10, visible: 3)
        #expect(state == ListState(selected: 9, offset: 7))
        state.move(by: -100, count: 10, visible: 3)
        #expect(state == ListState(selected: 0, offset: 0))
    }

    @Test func pagesAndEnds() {
        var state = ListState()
        state.page(1, count: 100, visible: 10)
        #expect(state == ListState(selected: 9, offset: 9))
        state.page(-1, count: 100, visible: 10)
        #expect(state == ListState(selected: 0, offset: 0))
        state.last(count: 100, visible: 10)
        #expect(state == ListState(selected: 99, offset: 90))
        state.first(count: 100, visible: 10)
        #expect(state == ListState(selected: 0, offset: 0))
    }

    @Test func shrinkingDataClampsSelection() {
        var state = ListState(selected: 80, offset: 75)
        state.clamp(count: 10, visible: 5)
        #expect(state == ListState(selected: 9, offset: 5))
    }
}

@Suite struct TextFieldTests {
    @Test func editsLikeReadline() {
        var field = TextFieldState()
        for c in "hello world" { field.handle(.character(c)) }
        #expect(field.text == "hello world" && field.cursor == 11)
        field.handle(.ctrl("w"))
        #expect(field.text == "hello " && field.cursor == 6)
        field.handle(.ctrl("a"))
        field.handle(.character(">"))
        #expect(field.text == ">hello " && field.cursor == 1)
        field.handle(.delete)
        #expect(field.text == ">ello ")
        field.handle(.end)
        field.handle(.backspace)
        #expect(field.text == ">ello" && field.cursor == 5)
        field.handle(.left)
        field.handle(.left)
        field.handle(.ctrl("k"))
        #expect(field.text == ">el" && field.cursor == 3)
        field.handle(.ctrl("u"))
        #expect(field.text == "" && field.cursor == 0)
        #expect(field.handle(.up) == false)
    }

    @Test func pasteIsOneCleanEdit() {
        var field = TextFieldState(text: "ab")
        field.handle(.left)
        field.paste("X\r\nY\u{1B}[31m\tZ")
        #expect(field.text == "aX Y[31m Zb")
        #expect(field.cursor == 10)
    }

    @Test func capsLength() {
        var field = TextFieldState(maxLength: 5)
        field.paste("abcdefgh")
        #expect(field.text == "abcde")
        #expect(field.wasTruncated)
        field.handle(.backspace)
        #expect(!field.wasTruncated)
    }

    @Test func scrollsHorizontallyToKeepTheCursorVisible() {
        var screen = Screen(size: Size(width: 6, height: 1))
        var state = TextFieldState(text: "abcdefghij")
        TextField().render(into: &screen, area: screen.bounds, state: &state)
        #expect(screen.lines == ["fghij"])
        #expect(screen.cursor == Point(x: 5, y: 0))
        state.handle(.home)
        TextField().render(into: &screen, area: screen.bounds, state: &state)
        #expect(screen.lines == ["abcdef"])
        #expect(screen.cursor == Point(x: 0, y: 0))
    }

    /// The login field after a paste: the start of a long text, an ellipsis at the cut, the
    /// cursor on the ellipsis; wide characters are never split.
    @Test func showsTheStartOfALongTextWithAnEllipsis() {
        var screen = Screen(size: Size(width: 6, height: 1))
        var state = TextFieldState(text: "abcdefghij")
        TextField(showsStart: true).render(into: &screen, area: screen.bounds, state: &state)
        #expect(screen.lines == ["abcde…"])
        #expect(screen.cursor == Point(x: 5, y: 0))
        var wide = TextFieldState(text: "日本語ドキュメント")
        TextField(showsStart: true).render(into: &screen, area: screen.bounds, state: &wide)
        #expect(screen.lines == ["日本…"])
        // A text that fits is drawn as usual.
        var short = TextFieldState(text: "abc")
        TextField(showsStart: true).render(into: &screen, area: screen.bounds, state: &short)
        #expect(screen.lines == ["abc"])
    }

    @Test func placeholderWhenEmpty() {
        var screen = Screen(size: Size(width: 12, height: 1))
        var state = TextFieldState()
        TextField(placeholder: "paste here").render(into: &screen, area: screen.bounds, state: &state)
        #expect(screen.lines == ["paste here"])
        #expect(screen[0, 0].style.attributes == [.underline, .dim])
    }
}

@Suite struct OverlayTests {
    @Test func statusBarShowsHintsThatFit() {
        var screen = Screen(size: Size(width: 30, height: 1))
        StatusBar(
            hints: [KeyHint("q", "quit"), KeyHint("?", "help"), KeyHint("/", "filter"), KeyHint("r", "refresh")],
            trailing: "3/9"
        )
        .render(into: &screen, area: screen.bounds)
        #expect(screen.lines == [" q quit  ? help  / filter 3/9"])
    }

    @Test func statusBarMessageReplacesHints() {
        var screen = Screen(size: Size(width: 20, height: 1))
        StatusBar(hints: [KeyHint("q", "quit")], message: StatusMessage("Copied via OSC 52", kind: .success))
            .render(into: &screen, area: screen.bounds)
        #expect(screen.lines == [" Copied via OSC 52"])
        #expect(screen[1, 0].style.foreground == .green)
    }

    @Test func helpOverlayListsEveryBinding() {
        var screen = Screen(size: Size(width: 40, height: 10))
        let help = HelpOverlay(
            sections: [
                HelpSection(
                    title: "Move",
                    entries: [HelpEntry(keys: ["j", "↓"], summary: "down"), HelpEntry(keys: ["k"], summary: "up")]),
                HelpSection(title: "App", entries: [HelpEntry(keys: ["q"], summary: "quit")]),
            ], closeHint: "Esc closes")
        help.render(into: &screen, area: screen.bounds)
        #expect(
            screen.lines == [
                "",
                "         ┌ Keys (Esc closes) ┐",
                "         │ Move              │",
                "         │ j ↓  down         │",
                "         │ k    up           │",
                "         │                   │",
                "         │ App               │",
                "         │ q    quit         │",
                "         └───────────────────┘",
                "",
            ])
    }

    @Test func helpThatDoesNotFitSaysHowMuchMoreThereIs() {
        var screen = Screen(size: Size(width: 30, height: 6))
        let help = HelpOverlay(sections: [
            HelpSection(title: "Move", entries: (1...6).map { HelpEntry(keys: ["\($0)"], summary: "line \($0)") })
        ])
        #expect(help.maxScroll(in: screen.bounds) == 3)
        help.render(into: &screen, area: screen.bounds)
        #expect(
            screen.lines == [
                "        ┌ Keys ─────┐",
                "        │ Move      │",
                "        │ 1  line 1 │",
                "        │ 2  line 2 │",
                "        │ 3  line 3 │",
                "        └ 3 more ↓ ─┘",
            ])
        var scrolled = Screen(size: Size(width: 30, height: 6))
        help.render(into: &scrolled, area: scrolled.bounds, scroll: 3)
        #expect(scrolled.lines.first?.contains("↑") == true)
        #expect(!(scrolled.lines.last ?? "").contains("more"))
        #expect(scrolled.lines[4].contains("6  line 6"))
    }

    @Test func dialogWrapsAndShowsButtons() {
        var screen = Screen(size: Size(width: 30, height: 7))
        Dialog(
            title: "Log out?", message: "Tokens for ada will be deleted.", buttons: ["Yes", "No"], selectedButton: 1
        )
        .render(into: &screen, area: screen.bounds, maxWidth: 24)
        #expect(
            screen.lines == [
                "   ┌ Log out? ────────────┐",
                "   │ Tokens for ada will  │",
                "   │ be deleted.          │",
                "   │                      │",
                "   │ [ Yes ] [ No ]       │",
                "   └──────────────────────┘",
                "",
            ])
        #expect(screen[13, 4].style == .reverse)
        #expect(screen[5, 4].style == .plain)
    }

    @Test func spinnerAndBar() {
        #expect(Spinner.frame(0) == "⠋")
        #expect(Spinner.frame(11) == "⠙")
        #expect(Spinner.frame(5, unicode: false) == "/")
        #expect(Spinner.bar(done: 5, total: 10, width: 10, unicode: false) == "#####.....")
        #expect(Spinner.bar(done: 0, total: nil, width: 4) == "░░░░")
    }

    @Test func osc52Sequences() {
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.encode(Array("hi".utf8)) == "aGk=")
        #expect(Base64.encode(Array("abc".utf8)) == "YWJj")
        #expect(OSC52.sequences(for: "hi", multiplexer: nil) == ("\u{1B}]52;c;aGk=\u{07}", .osc52))
        #expect(
            OSC52.sequences(for: "hi", multiplexer: "tmux") == (
                "\u{1B}]52;c;aGk=\u{07}\u{1B}Ptmux;\u{1B}\u{1B}]52;c;aGk=\u{07}\u{1B}\\", .osc52Passthrough("tmux")
            ))
        #expect(
            OSC52.sequences(for: "hi", multiplexer: "screen") == (
                "\u{1B}P\u{1B}]52;c;aGk=\u{07}\u{1B}\\", .osc52Passthrough("screen")
            ))
        #expect(
            OSC52.sequences(for: String(repeating: "x", count: 60_000), multiplexer: nil).result
                == .tooLarge(bytes: 60_000))
        #expect(OSC52.multiplexer(environment: ["TMUX": "/tmp/t,1,0"]) == "tmux")
        #expect(OSC52.multiplexer(environment: ["STY": "1.pts"]) == "screen")
        #expect(OSC52.multiplexer(environment: [:]) == nil)
    }
}

@Suite struct TestTerminalTests {
    @Test func scriptedEventsThenTerminate() {
        let terminal = TestTerminal(events: [.key(.character("a")), .resize(Size(width: 40, height: 12))])
        #expect(terminal.nextEvent(timeout: nil) == .key(.character("a")))
        #expect(terminal.nextEvent(timeout: nil) == .resize(Size(width: 40, height: 12)))
        #expect(terminal.size == Size(width: 40, height: 12))
        terminal.waker.wake()
        #expect(terminal.nextEvent(timeout: nil) == .wake)
        #expect(terminal.nextEvent(timeout: nil) == .signal(.terminate))
        terminal.draw(Screen(size: terminal.size))
        #expect(terminal.frames.count == 1)
    }
}
