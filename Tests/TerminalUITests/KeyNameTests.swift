import Testing

@testable import TerminalUI

/// Issue 22: key names as a person writes them in the config file.
@Suite struct KeyNameTests {
    @Test func namesReadAsKeys() throws {
        let cases: [(String, Key)] = [
            ("j", .character("j")), ("G", .character("G")), ("/", .character("/")), ("é", .character("é")),
            ("Space", .character(" ")), ("space", .character(" ")), ("Enter", .enter), ("Return", .enter),
            ("Esc", .escape), ("escape", .escape), ("Tab", .tab), ("Shift-Tab", .backTab), ("S-Tab", .backTab),
            ("Up", .up), ("↓", .down), ("Left", .left), ("→", .right), ("Home", .home), ("End", .end),
            ("PgUp", .pageUp), ("PageDown", .pageDown), ("F1", .function(1)), ("f12", .function(12)),
            ("Ctrl-D", .ctrl("d")), ("C-d", .ctrl("d")), ("^D", .ctrl("d")), ("ctrl+x", .ctrl("x")),
            ("Alt-x", .alt("x")), ("M-x", .alt("x")), ("Backspace", .backspace), ("Delete", .delete),
            // vim's way of writing them
            ("<C-d>", .ctrl("d")), ("<Esc>", .escape), ("<CR>", .enter), ("<Space>", .character(" ")),
            ("<S-Tab>", .backTab), ("<PageDown>", .pageDown), ("<", .character("<")), (">", .character(">")),
            ("Ctrl-Space", .ctrl(" ")), ("C-@", .ctrl(" ")),
        ]
        for (name, key) in cases {
            #expect(try Key(name: name) == key, "\(name)")
        }
    }

    /// What `description` writes (the help's and footers' names) reads back as the same key.
    @Test func descriptionsReadBack() throws {
        let keys: [Key] = [
            .character("q"), .character(" "), .ctrl("a"), .ctrl(" "), .alt("b"), .enter, .escape, .tab, .backTab,
            .backspace,
            .delete, .insert, .up, .down, .left, .right, .home, .end, .pageUp, .pageDown, .function(5),
        ]
        for key in keys {
            #expect(try Key(name: key.description) == key)
        }
    }

    @Test func mistakesAreNamed() {
        let cases: [(String, String)] = [
            ("F13", "\"F13\" is not a key bbtui reads: F1 to F12 are read"),
            ("Ctrl-1", "\"Ctrl-1\" is not a key bbtui reads: Ctrl goes with a letter, a to z"),
            ("Ctrl-I", "\"Ctrl-I\" is not a key bbtui reads: a terminal sends it as Tab: write Tab"),
            ("Ctrl-M", "\"Ctrl-M\" is not a key bbtui reads: a terminal sends it as Enter: write Enter"),
            ("Ctrl-ab", "\"Ctrl-ab\" is not a key bbtui reads: Ctrl goes with one character"),
            ("Hyper-x", "\"Hyper-x\" is not a key bbtui reads: not a key name"),
            (" ", "\" \" is not a key bbtui reads: write Space, Tab or Enter by name"),
            ("", "\"\" is not a key bbtui reads: not a key name"),
        ]
        for (name, message) in cases {
            #expect(throws: KeyNameError.self) { try Key(name: name) }
            do {
                _ = try Key(name: name)
            } catch {
                #expect(error.description == message)
            }
        }
    }
}
