import Foundation
import Testing

@testable import BitbucketKit

/// Issue 22: the config file's `[keys]` and `[[commands]]` tables, their shapes and mistakes,
/// and the placeholders of a custom command.
@Suite struct ConfigTablesTests {
    static let path = "/c/config"

    static func read(_ text: String) throws(ConfigurationError) -> ConfigDocument.Contents {
        try ConfigDocument.read(text, path: path, known: Settings.keys)
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try read(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func keysAndCommandsReadWithTheirLines() throws {
        let text = """
            BBTUI_TIMEOUT = "30"

            [keys]
            down = ["n", "Down"]
            quit = "Q"

            [keys.repositories]
            clone = "C-o"
            unbind = []

            [[commands]]
            key = "b"
            title = "Browse"
            run = ["tig", "-C", "{clone_dir}"]

            [[commands]]
            key = "Ctrl-T"
            run = ["sh", "-c", "echo \\"$1\\"", "_", "{slug}"]
            context = "details"
            background = true
            """
        let contents = try Self.read(text)
        #expect(contents.settings.map(\.0) == ["BBTUI_TIMEOUT"])
        #expect(
            contents.keys == [
                KeyEntry(context: nil, command: "down", keys: ["n", "Down"], line: 4),
                KeyEntry(context: nil, command: "quit", keys: ["Q"], line: 5),
                KeyEntry(context: "repositories", command: "clone", keys: ["C-o"], line: 8),
                KeyEntry(context: "repositories", command: "unbind", keys: [], line: 9),
            ])
        #expect(
            contents.commands == [
                CustomCommand(
                    key: "b", title: "Browse", run: ["tig", "-C", "{clone_dir}"], context: "repositories",
                    background: false, line: 11),
                CustomCommand(
                    key: "Ctrl-T", title: "sh", run: ["sh", "-c", "echo \"$1\"", "_", "{slug}"], context: "details",
                    background: true, line: 16),
            ])
    }

    /// Every shape of mistake has its message, with the line.
    @Test func everyMistakeNamesItsLine() {
        let cases: [(String, String)] = [
            (
                "[keys]\ndown = 3\n",
                "/c/config:2: down takes a key (\"j\") or a list of keys ([\"j\", \"Down\"], [] for none)."
            ),
            ("keys = \"x\"\n", "/c/config:1: keys takes a table: [keys], then one command = \"key\" per line."),
            (
                "[keys.browser.extra]\nquit = \"x\"\n",
                "/c/config:1: [keys.browser.extra]: a context's keys are not nested"
            ),
            (
                "[[commands]]\nkey = \"b\"\n",
                "/c/config:1: [[commands]] needs run = [\"program\", \"argument\", …] (no shell reads it)"
            ),
            ("[[commands]]\nrun = [\"ls\"]\n", "/c/config:1: [[commands]] needs key = \"…\""),
            (
                "[[commands]]\nkey = \"b\"\nrun = \"tig {slug}\"\n",
                "/c/config:3: run takes a list of strings, the program and its arguments (for a shell: [\"sh\", \"-c\", \"…\", \"_\", \"{slug}\"])."
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"tig\", \"{slgu}\"]\n",
                "/c/config:3: {slgu} is not a placeholder. Did you mean {slug}? They are: {full_name}, {workspace}, {slug}, {ssh_url}, {https_url}, {web_url}, {mainbranch}, {project}, {clone_dir}"
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"echo\", \"{slug\"]\n",
                "/c/config:3: \"{slug\" has an unmatched brace (write {{ or }} for a brace itself)"
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = []\n",
                "/c/config:3: run needs a program: run = [\"program\", \"argument\", …]"
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"ls\"]\ntitel = \"x\"\n",
                "/c/config:4: [[commands]] has no field titel. Did you mean title?"
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"ls\"]\ncontext = \"profile\"\n",
                "/c/config:4: context \"profile\" is not one of repositories, details, browser"
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"ls\"]\nbackground = \"yes\"\n",
                "/c/config:4: background takes true or false."
            ),
            (
                "[[commands]]\nkey = \"b\"\nrun = [\"ls\"]\n\n[[commands]]\nkey = 1\nrun = [\"ls\"]\n",
                "/c/config:6: key takes a string (\"…\"), not an integer."
            ),
        ]
        for (text, expected) in cases {
            #expect(Self.error(text) == expected, "\(text)")
        }
    }

    /// Each placeholder fills exactly one argument, whole, whatever it holds; `{{` and `}}` are
    /// braces; a value that is not there is refused, never an empty argument.
    @Test func placeholdersFillOneArgumentEach() throws {
        let command = CustomCommand(
            key: "b", title: "t", run: ["prog", "{slug}", "--repo={full_name}", "{{slug}}", "{workspace}{slug}", "-"],
            context: "repositories", background: false, line: 1)
        let hostile = "a b; rm -rf ~ $(id) `x` 'q' \"d\"\n-\u{1B}[2J"
        #expect(
            try command.arguments(["slug": hostile, "full_name": "w/" + hostile, "workspace": "-w"]) == [
                "prog", hostile, "--repo=w/" + hostile, "{slug}", "-w" + hostile, "-",
            ])
        #expect(command.usedPlaceholders == ["slug", "full_name", "workspace"])
        let noWorkspace: [String: String?] = ["slug": "x", "full_name": "w/x", "workspace": nil]
        #expect(throws: CustomCommand.ExpansionError.missing("workspace")) {
            try command.arguments(noWorkspace)
        }
    }

    /// Random values, random argument templates: the expansion is the template with each
    /// placeholder replaced by its value, and the argument count never changes.
    @Test func expansionPropertyRandomValues() throws {
        var random = SystemRandomNumberGenerator()
        let names = CustomCommand.placeholders.map(\.name)
        for _ in 0..<300 {
            var values: [String: String?] = [:]
            for name in names {
                let scalars = (0..<Int.random(in: 0...12, using: &random)).compactMap { _ in
                    Unicode.Scalar(UInt32.random(in: 0...0x2FFF, using: &random))
                }
                values[name] = String(String.UnicodeScalarView(scalars))
            }
            var run: [String] = []
            var expected: [String] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let name = names.randomElement(using: &random)!
                let prefix = ["", "x=", "--", " "].randomElement(using: &random)!
                run.append(prefix + "{" + name + "}")
                expected.append(prefix + (values[name]! ?? ""))
            }
            let command = CustomCommand(
                key: "b", title: "t", run: run, context: "repositories", background: true, line: 1)
            #expect(try command.arguments(values) == expected)
        }
    }

    /// A new setting goes in before the first table, where TOML still reads it as a setting.
    @Test func configFileUpdateWritesAboveTheTables() throws {
        let text = "BBTUI_TIMEOUT = \"30\"\n\n[keys]\nquit = \"Q\"\n"
        let updated = ConfigFile.updating(
            text, with: [(key: "BITBUCKET_CLIENT_ID", value: "k"), (key: "quit", value: "x")])
        #expect(
            updated
                == "BBTUI_TIMEOUT = \"30\"\nBITBUCKET_CLIENT_ID = \"k\"\nquit = \"x\"\n\n[keys]\nquit = \"Q\"\n")
        let contents = try Self.read(updated.replacingOccurrences(of: "quit = \"x\"\n", with: ""))
        #expect(contents.settings.map(\.0).sorted() == ["BBTUI_TIMEOUT", "BITBUCKET_CLIENT_ID"])
    }
}
