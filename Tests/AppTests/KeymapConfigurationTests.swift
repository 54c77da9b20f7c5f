import Foundation
import TerminalUI
import Testing

@testable import App
@testable import BitbucketKit

/// Issue 22: the config file's `[keys]` and `[[commands]]` change the keymap; every mistake is
/// named with its line; the screens show the person's keys.
@Suite struct KeymapConfigurationTests {
    static let path = "/c/config"

    /// The keymap a config file's text makes.
    static func keymap(_ text: String) throws(ConfigurationError) -> Keymap {
        let contents = try ConfigDocument.read(text, path: path, known: Settings.keys)
        return try Keymap(entries: contents.keys, commands: contents.commands, path: path)
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try keymap(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// A file with the remapped keys the snapshots below use.
    static let remapped = """
        [keys]
        down = ["J", "Down"]
        up = ["K", "Up"]
        help = "H"
        filter = "f"
        quit = ["Z", "Ctrl-C"]
        refresh_pane = "F5"

        [keys.repositories]
        clone = "Ctrl-O"

        [[commands]]
        key = "b"
        title = "browse"
        run = ["tig", "-C", "{clone_dir}"]
        """

    @Test func bbtuisOwnKeysHaveNoConflicts() throws {
        #expect(try Keymap(entries: [], commands: [], path: Self.path) == Keymap.standard)
        #expect(Keymap.commandNames.count == Set(Keymap.commandNames).count)
        #expect(!Keymap.commandNames.contains("edit_text"))
    }

    @Test func remappedKeysReplaceTheOldOnesEverywhere() throws {
        let keymap = try Self.keymap(Self.remapped)
        #expect(keymap.command(for: .character("J"), in: .browser, pane: .repositories) == .down)
        #expect(keymap.command(for: .character("j"), in: .browser, pane: .repositories) == nil)
        #expect(keymap.command(for: .down, in: .browser, pane: .repositories) == .down)
        // `[keys]` reaches every context the command is in: the help and the details too.
        #expect(keymap.command(for: .character("J"), in: .help) == .down)
        #expect(keymap.command(for: .character("J"), in: .detail, pane: .repositories) == .down)
        #expect(keymap.command(for: .character("H"), in: .login) == .help)
        #expect(keymap.command(for: .character("?"), in: .login) == nil)
        #expect(keymap.command(for: .character("Z"), in: .browser) == .quit)
        #expect(keymap.command(for: .character("q"), in: .browser) == nil)
        // Only in the repositories pane.
        #expect(keymap.command(for: .ctrl("o"), in: .browser, pane: .repositories) == .clone)
        #expect(keymap.command(for: .character("c"), in: .browser, pane: .repositories) == nil)
        #expect(keymap.command(for: .character("b"), in: .browser, pane: .repositories) == .custom(0))
        #expect(keymap.command(for: .character("b"), in: .browser, pane: .profile) == nil)
        #expect(keymap.key(for: .refreshPane, in: .browser) == "F5")
        #expect(AppError.api(.server(503, "")).screenText(keymap).hasSuffix("Press F5 to retry."))
        #expect(keymap.warnings == [])
    }

    @Test func aPaneTableSplitsABindingForThatPaneOnly() throws {
        let keymap = try Self.keymap("[keys.repositories]\nrefresh_pane = \"F5\"\n")
        #expect(keymap.command(for: .function(5), in: .browser, pane: .repositories) == .refreshPane)
        #expect(keymap.command(for: .character("r"), in: .browser, pane: .repositories) == nil)
        #expect(keymap.command(for: .character("r"), in: .browser, pane: .profile) == .refreshPane)
        #expect(keymap.command(for: .function(5), in: .browser, pane: .profile) == nil)
    }

    @Test func unbindFreesAKeyAndACommandLeftWithoutOneIsAWarning() throws {
        let keymap = try Self.keymap("[keys]\nunbind = [\"q\", \"F1\"]\n\n[keys.browser]\nredraw = []\n")
        #expect(keymap.command(for: .character("q"), in: .browser) == nil)
        #expect(keymap.command(for: .character("Q"), in: .browser) == .quit)
        #expect(keymap.command(for: .character("q"), in: .help) == nil)
        #expect(keymap.command(for: .escape, in: .help) == .back)
        #expect(keymap.command(for: .function(1), in: .browser) == nil)
        #expect(keymap.warnings == ["/c/config:5: redraw has no key left in the browser"])
        // The help never lists a binding with no key.
        #expect(!keymap.ownTable(.browser).contains { $0.keys.isEmpty })
        #expect(keymap.key(for: .redraw, in: .browser) == "(no key: redraw)")
    }

    @Test func aCommandLeftWithoutKeysIsOneWarningNamingEveryPlace() throws {
        let keymap = try Self.keymap("[keys]\nhelp = []\nunbind = [\"Left\", \"Ctrl-A\"]\n")
        #expect(
            keymap.warnings == [
                "/c/config:2: help has no key left in the browser, the details view, the login screen and the setup screen"
            ])
        #expect(keymap.command(for: .left, in: .browser) == nil)
        // The fields' editing keys are the fields' own: unbind leaves them listed.
        #expect(keymap.ownTable(.filter).contains { $0.command == .editText && $0.keys.contains(.ctrl("a")) })
    }

    /// Every mistake has its message, with the line.
    @Test func everyMistakeNamesItsLine() {
        let cases: [(String, String)] = [
            (
                "[keys]\ndown = \"k\"\n",
                "/c/config:2: k is both down and up in the browser; give one of them another key, or unbind = [\"k\"] first"
            ),
            (
                "[keys.repositories]\nclone = \"y\"\n",
                "/c/config:2: y is both copy_ssh and clone in the repositories pane; give one of them another key, or unbind = [\"y\"] first"
            ),
            (
                "[keys]\nnext_pain = \"n\"\n",
                "/c/config:2: next_pain is not a command bbtui has. Did you mean next_pane?"
            ),
            (
                "[keys]\nfrobnicate = \"n\"\n",
                "/c/config:2: frobnicate is not a command bbtui has (the README's Keys section lists them)"
            ),
            (
                "\n[keys.repos]\nquit = \"x\"\n",
                "/c/config:3: [keys.repos] is not a context. Did you mean repositories?"
            ),
            (
                "[keys]\nquit = \"Ctrl-1\"\n",
                "/c/config:2: \"Ctrl-1\" is not a key bbtui reads: Ctrl goes with a letter, a to z"
            ),
            (
                "[keys.filter]\naccept_filter = \"k\"\n",
                "/c/config:2: k types itself in the filter field: bind a Ctrl-, Alt- or named key there"
            ),
            (
                "[keys.help]\nclone = \"c\"\n",
                "/c/config:2: clone does nothing in the help, so [keys.help] cannot bind it"
            ),
            (
                "[keys]\nedit_text = \"Ctrl-B\"\n",
                "/c/config:2: edit_text is the text fields' own editing keys (←, →, Ctrl-A, Ctrl-E, Ctrl-K, Ctrl-W): they are fixed"
            ),
            (
                "[[commands]]\nkey = \"c\"\nrun = [\"ls\"]\n",
                "/c/config:1: c is both clone and command 1 in the repositories pane; give one of them another key, or unbind = [\"c\"] first"
            ),
            (
                "[[commands]]\nkey = \"Ctrl-\"\nrun = [\"ls\"]\n",
                "/c/config:1: \"Ctrl-\" is not a key bbtui reads: not a key name"
            ),
        ]
        for (text, expected) in cases {
            #expect(Self.error(text) == expected, "\(text)")
        }
        // Once freed, the key is the command's.
        #expect(Self.error("[keys]\nunbind = [\"c\"]\n\n[[commands]]\nkey = \"c\"\nrun = [\"ls\"]\n") == nil)
        #expect(Self.error("[keys]\ndown = \"k\"\nup = \"K\"\n") == nil)
    }

    /// The footer, the legend, the dialogs and the help show the person's keys.
    @Test func screensShowThePersonsKeys() throws {
        let keymap = try Self.keymap(Self.remapped)
        let hints = keymap.hints(.browser, pane: .repositories).map { "\($0.key) \($0.label)" }
        #expect(hints.contains("f filter"))
        #expect(hints.contains("Ctrl-O clone"))
        #expect(hints.contains("b browse"))
        #expect(hints.contains("H help"))
        #expect(hints.contains("Z quit"))
        #expect(keymap.legend(.browser).contains { $0.keys == "H" && $0.label == "all keys" })
        let help = keymap.helpSections([.detail, .browser])
        #expect(
            help.first { $0.title == "Your commands" }?.entries == [HelpEntry(keys: ["b"], summary: "browse")])
        #expect(help.flatMap(\.entries).contains(HelpEntry(keys: ["J", "↓"], summary: "next row")))
    }
}

/// Issue 22: a custom command's key runs it on the selected repository; its end is said.
@Suite struct CustomCommandUpdateTests {
    static func state(_ text: String) throws -> AppState {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        state.environment.keymap = try KeymapConfigurationTests.keymap(text)
        return state
    }

    @Test func theKeyRunsItOnTheSelectedRepository() throws {
        var state = try Self.state(
            "[[commands]]\nkey = \"b\"\ntitle = \"Browse\"\nrun = [\"tig\", \"{slug}\"]\nbackground = true\n")
        let selected = try #require(state.browser?.repositories.selected)
        let command = state.keymap.commands[0]
        #expect(Update.update(&state, .event(.key(.character("b")))) == [.runCommand(command, repository: selected)])
        #expect(state.message?.text == "Running Browse…")
        // Another pane: the key is not the command's there.
        _ = Update.update(&state, .event(.key(.character("1"))))
        #expect(Update.update(&state, .event(.key(.character("b")))) == [])
        #expect(state.message?.text == "Running Browse…")
    }

    @Test func aCommandOfEveryPaneThatNeedsARepositorySaysSo() throws {
        var state = try Self.state(
            "[[commands]]\nkey = \"b\"\ntitle = \"Browse\"\nrun = [\"tig\", \"{slug}\"]\ncontext = \"browser\"\n")
        _ = Update.update(&state, .event(.key(.character("1"))))
        #expect(Update.update(&state, .event(.key(.character("b")))) == [])
        #expect(state.message?.text == "Browse needs a repository: select one first (pane 3).")
    }

    @Test func aCommandInEveryPaneRunsWithoutARepository() throws {
        var state = try Self.state("[[commands]]\nkey = \"b\"\nrun = [\"lazygit\"]\ncontext = \"browser\"\n")
        _ = Update.update(&state, .event(.key(.character("1"))))
        let command = state.keymap.commands[0]
        #expect(Update.update(&state, .event(.key(.character("b")))) == [.runCommand(command, repository: nil)])
    }

    @Test func itsEndIsSaidSanitised() throws {
        var state = try Self.state("[[commands]]\nkey = \"b\"\nrun = [\"ls\"]\n")
        _ = Update.update(&state, .commandFinished(title: "Browse", .succeeded(lastLine: nil)))
        #expect(state.message?.text == "Browse: done")
        _ = Update.update(&state, .commandFinished(title: "Browse", .succeeded(lastLine: "42 files")))
        #expect(state.message?.text == "Browse: 42 files")
        _ = Update.update(
            &state, .commandFinished(title: "Br\u{1B}[2Jowse", .failed(status: "exit 3", lastLine: "fatal: no")))
        #expect(state.message?.text == "Br␛[2Jowse failed (exit 3): fatal: no")
        #expect(state.message?.kind == .error)
        _ = Update.update(
            &state,
            .commandFinished(
                title: "Browse", .refused("no program tig on PATH: install it, or write its full path in run")))
        #expect(
            state.message?.text
                == "Browse did not run: no program tig on PATH: install it, or write its full path in run.")
    }
}

/// Issue 22: the runner passes each argument through as it is, and reports how a program ended.
@Suite struct CustomCommandRunnerTests {
    @Test func argumentsArriveWholeAndTheEndIsReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bbtui-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("args").path
        let hostile = "-x; $(touch pwned) `id` 'q' \"d\" a b\n\u{1B}[2Jend"
        let outcome = CustomCommandRunner.run(
            ["sh", "-c", "printf '%s\\0' \"$@\" > \"$0\"; echo listed; echo 'last words' >&2", out, hostile, "two"],
            foreground: false)
        #expect(outcome == .succeeded(lastLine: "listed"))
        let recorded = try String(contentsOfFile: out, encoding: .utf8)
        #expect(recorded == hostile + "\0two\0")
        #expect(!FileManager.default.fileExists(atPath: "pwned"))
        #expect(
            CustomCommandRunner.run(["sh", "-c", "echo 'one\ntwo \u{1B}[31mred' >&2; exit 3"], foreground: false)
                == .failed(status: "exit 3", lastLine: "two ␛[31mred"))
        #expect(
            CustomCommandRunner.run(["sh", "-c", "kill -TERM $$"], foreground: false)
                == .failed(status: "killed by signal 15", lastLine: nil))
        #expect(
            CustomCommandRunner.run(["bbtui-no-such-program"], foreground: false)
                == .refused("no program bbtui-no-such-program on PATH: install it, or write its full path in run"))
    }
}

/// Issue 22: the README's example file is valid, and its table names every command.
@Suite struct KeymapDocumentationTests {
    static let readme: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    @Test func theReadmesExampleIsAValidFile() throws {
        let start = try #require(Self.readme.range(of: "```toml\n[keys]"))
        let end = try #require(Self.readme.range(of: "```", range: start.upperBound..<Self.readme.endIndex))
        let text = String(Self.readme[Self.readme.index(start.lowerBound, offsetBy: 8)..<end.lowerBound])
        let keymap = try KeymapConfigurationTests.keymap(text)
        #expect(keymap.commands.count == 2)
        #expect(keymap.warnings == ["/c/config:6: toggle_mouse has no key left in the browser"])
    }

    @Test func theReadmeNamesEveryCommandAndContext() {
        for name in Keymap.commandNames {
            #expect(Self.readme.contains("| `\(name)` |"), "\(name)")
        }
        for name in Keymap.contextNames {
            #expect(Self.readme.contains("`\(name)`"), "\(name)")
        }
        for placeholder in CustomCommand.placeholders {
            #expect(Self.readme.contains("{\(placeholder.name)}"), "\(placeholder.name)")
        }
    }
}

extension KeymapConfigurationTests {
    @Test func contextIndexesAreTheirPlacesInAllCases() {
        #expect(KeyContext.allCases.map(\.index) == Array(KeyContext.allCases.indices))
    }
}
