import BitbucketKit
import Foundation
import Testing

/// The real binary in tmux against a real emulator process.
@Suite(.serialized) struct TUITests {
    /// The login URL as shown: its rows from column 0, joined.
    func loginURL(_ tmux: Tmux) -> String? { tmux.loginURL }

    /// Starts bbtui in tmux (with `extra` added to its environment) and logs in by pasting the redirect.
    func startAndLogIn(
        _ emulator: EmulatorProcess, home: TemporaryDirectory, width: Int = 100, height: Int = 30,
        extra: [String: String] = [:]
    ) async throws -> Tmux {
        let tmux = try Tmux(
            width: width, height: height, command: Binary.path,
            environment: emulator.environment(home: home.path).merging(extra) { $1 }, directory: home.path)
        try #require(tmux.waitFor("3. Paste the code"), "login screen: \(tmux.capture())")
        let url = try #require(loginURL(tmux))
        #expect(url.hasPrefix(emulator.endpoints["authorize_url"]!))
        let redirect = try await emulator.approve(url)
        #expect(redirect.contains("code="))
        tmux.paste(redirect)
        try #require(tmux.waitFor(String(redirect.prefix(30))), "pasted: \(tmux.capture())")
        tmux.keys("Enter")
        try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
        return tmux
    }

    @Test func loginBrowseFilterSortDetailCopyResizeQuit() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        let tmux = try await startAndLogIn(emulator, home: home)
        defer { tmux.kill() }

        // The panes show the emulator's data.
        #expect(tmux.contains("Zoë Ångström-李 (zoe)"))
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })
        tmux.keys("2")
        try #require(tmux.waitFor("zoe.angstrom@work.example.org"))
        #expect(tmux.contains("zoe@example.com"))
        tmux.keys("1")
        try #require(tmux.waitFor("Zürich"))
        #expect(tmux.contains("account, email, repository"))
        tmux.keys("3")

        // Filter (case-insensitive, also over descriptions): a name-only word narrows to it.
        tmux.keys("/")
        tmux.type("日本")
        tmux.keys("Enter")
        try #require(tmux.waitFor("filter: 日本"), "filter: \(tmux.capture())")
        let rows = tmux.lines.filter { $0.contains("private") || $0.contains("public ") }
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.contains("日本語") })
        tmux.keys("Escape")
        try #require(tmux.waitUntil { !tmux.contains("filter: ") })

        // Sort by name.
        tmux.keys("s")
        try #require(tmux.waitFor("Sorted by name"))
        #expect(tmux.contains("name ↓"))

        // Detail, and copying the SSH clone URL emits OSC 52.
        tmux.keys("g", "Enter")
        try #require(tmux.waitFor("SSH clone"))
        let ssh = try #require(
            tmux.lines.first { $0.contains("git@ssh.bitbucket.org:") }.flatMap { line in
                line.range(of: #"git@ssh\.bitbucket\.org:[^ │]+"#, options: .regularExpression).map { String(line[$0]) }
            })
        tmux.keys("y")
        try #require(tmux.waitFor("Sent the"))
        let encoded = Data(ssh.utf8).base64EncodedString()
        try #require(
            tmux.waitUntil { tmux.raw.contains("\u{1B}]52;c;" + encoded.prefix(20)) }, "OSC 52 not seen for \(ssh)")
        tmux.keys("Escape")
        try #require(tmux.waitFor("Workspace"))

        // Resize down to 40×12 (tabs) and up to 200×60 (sidebar).
        tmux.resize(width: 40, height: 12)
        try #require(tmux.waitFor("3 Repos"), "40×12: \(tmux.capture())")
        #expect(!tmux.contains("Navigate"))
        // Even at 40 columns the footer keeps help and quit (once the copy's message has gone).
        try #require(tmux.waitFor("? help  q quit"), "40×12 footer: \(tmux.capture())")
        tmux.resize(width: 200, height: 60)
        try #require(tmux.waitFor("Navigate"), "200×60: \(tmux.capture())")
        // A wide terminal gives its room to the description.
        try #require(tmux.waitFor("Description"), "200×60: \(tmux.capture())")
        tmux.resize(width: 20, height: 5)
        try #require(tmux.waitFor("too small"))
        tmux.resize(width: 100, height: 30)
        try #require(tmux.waitFor("Navigate"))

        // q restores the terminal.
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
        #expect(tmux.display("#{alternate_on}") == "0")
        #expect(tmux.display("#{cursor_flag}") == "1")
        #expect(!tmux.raw.hasSuffix("\u{1B}[?2004h"))
    }

    @Test func secondStartShowsCachedDataAndSignalsRestore() async throws {
        let account = try E2EAccount(["--latency", "400"])
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        let first = try await startAndLogIn(emulator, home: home)
        #expect(first.waitFor("Repositories · 60 ─"), "first: \(first.capture())")
        #expect(first.waitUntil { !first.contains("loaded ") })
        first.keys("q")
        #expect(first.waitFor("EXITED:0"))
        first.kill()

        // The next start shows the cached data on its first frame, marked with its age.
        let second = try account.tmux()
        defer { second.kill() }
        #expect(second.waitFor("cached"), "second: \(second.capture())")
        #expect(second.contains("Repositories · 60"))

        // SIGTERM: terminal restored, store intact.
        let pid = try #require(second.programPID)
        kill(pid, SIGTERM)
        #expect(second.waitFor("EXITED:143"), "after SIGTERM (128 + 15): \(second.capture())")
        #expect(second.display("#{alternate_on}") == "0")
        let store = try account.store()
        #expect(try store.activeAccount()?.username == "zoe")

        // SIGHUP (a dropped SSH connection): the same.
        let third = try account.tmux()
        defer { third.kill() }
        #expect(third.waitFor("Repositories"))
        let pid3 = try #require(third.programPID)
        kill(pid3, SIGHUP)
        #expect(third.waitFor("EXITED:129"), "after SIGHUP (128 + 1): \(third.capture())")
        #expect(third.display("#{alternate_on}") == "0")
        #expect(try store.activeAccount()?.username == "zoe")
    }

    @Test func ctrlZSuspendsAndFgResumesWithARedraw() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let home = account.home
        // An interactive shell with job control, as a person has.
        let tmux = try Tmux(
            width: 100, height: 30, command: "exec bash --norc --noprofile -i",
            environment: account.environment.merging(["PS1": "$ "]) { $1 }, directory: home.path)
        defer { tmux.kill() }
        try #require(tmux.waitFor("$"))
        tmux.type(Binary.path)
        tmux.keys("Enter")
        try #require(tmux.waitFor("Navigate"), "\(tmux.capture())")
        tmux.keys("C-z")
        try #require(tmux.waitFor("Stopped"), "after Ctrl-Z: \(tmux.capture())")
        #expect(tmux.display("#{alternate_on}") == "0")
        tmux.type("fg")
        tmux.keys("Enter")
        try #require(tmux.waitUntil { tmux.display("#{alternate_on}") == "1" })
        try #require(tmux.waitFor("Navigate"), "after fg: \(tmux.capture())")
        try #require(tmux.waitFor("Repositories · 60"), "after fg: \(tmux.capture())")
        tmux.keys("q")
        try #require(tmux.waitUntil { tmux.display("#{alternate_on}") == "0" })
    }

    @Test func aCrashStillRestoresTheTerminal() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let tmux = try account.tmux()
        defer { tmux.kill() }
        try #require(tmux.waitFor("Navigate"))
        #expect(tmux.display("#{alternate_on}") == "1")
        // A segmentation fault, as a crash would raise it: no cleanup code runs, yet the
        // terminal comes back.
        let pid = try #require(tmux.programPID)
        kill(pid, SIGSEGV)
        try #require(tmux.waitFor("EXITED:139"), "\(tmux.capture())")
        #expect(tmux.display("#{alternate_on}") == "0")
        #expect(tmux.display("#{cursor_flag}") == "1")
    }

    @Test func hostileDataLeavesTheScreenIntact() async throws {
        let account = try E2EAccount(["--hostile", "--repos", "120"])
        defer { account.close() }
        let emulator = account.emulator
        let login = try await loginByCLI(emulator, environment: account.environment)
        #expect(login.status == 0, "\(login.stderr)")
        let tmux = try account.tmux(width: 120, height: 40)
        defer { tmux.kill() }
        try #require(tmux.waitFor("Repositories · 120"), "\(tmux.capture())")
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })
        for pane in ["1", "2", "3"] {
            tmux.keys(pane)
            try #require(tmux.waitFor("┘"))
            let escaped = tmux.capture(escapes: true)
            // Only SGR (colour and attribute) sequences, which tmux itself adds for styles.
            let sequences = escaped.matches(of: #/\x1B(\[[0-9;:?]*[A-Za-z]|\][^\x07]*|.)/#).map { String($0.output.0) }
            #expect(
                sequences.allSatisfy { $0.hasPrefix("\u{1B}[") && $0.hasSuffix("m") },
                "non-SGR sequence on screen: \(sequences.filter { !$0.hasSuffix("m") })")
            let lines = tmux.lines
            #expect(lines.first?.hasPrefix(" bbtui │") == true, "header lost: \(lines.first ?? "")")
            #expect(lines.contains { $0.hasPrefix("┌ Navigate") })
            #expect(lines.contains { $0.hasPrefix("└") })
        }
        tmux.keys("3")
        try #require(tmux.waitFor("␛"), "placeholders shown: \(tmux.capture())")
        #expect(tmux.display("#{pane_title}") != "pwned")
        #expect(!tmux.raw.contains("\u{1B}]52;c;ZXZpbA=="))
        #expect(!tmux.raw.contains("\u{1B}]8;;https://evil"))
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
    }

    @Test func ctrlCExitsWith130AndQClosesBeforeItQuits() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        let tmux = try await startAndLogIn(emulator, home: home)
        defer { tmux.kill() }
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })
        // q closes the details and the help before it quits; Q quits from the help at once.
        tmux.keys("3", "g", "Enter")
        try #require(tmux.waitFor("SSH clone"))
        tmux.keys("q")
        try #require(tmux.waitUntil { !tmux.contains("SSH clone") })
        #expect(!tmux.contains("EXITED"))
        tmux.keys("?")
        try #require(tmux.waitFor("Keys (Esc closes)"))
        tmux.keys("q")
        try #require(tmux.waitUntil { !tmux.contains("Keys (Esc closes)") })
        #expect(!tmux.contains("EXITED"))
        tmux.keys("C-c")
        try #require(tmux.waitFor("EXITED:130"), "after Ctrl-C: \(tmux.capture())")
    }

    @Test func aTerminalWithoutCursorAddressingIsRefusedWithTheWayOut() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        let tmux = try Tmux(
            width: 100, height: 30, command: "TERM=dumb " + Binary.path,
            environment: ["PATH": "/usr/bin:/bin", "HOME": home.path, "BBTUI_HOME": home.path, "LANG": "C.UTF-8"],
            directory: home.path)
        defer { tmux.kill() }
        try #require(tmux.waitFor("EXITED:1"), "\(tmux.capture())")
        #expect(tmux.contains("cannot move the cursor"))
        #expect(tmux.contains("login --no-tui"))
    }

    /// A remote user with no browser makes every mistake, then pastes the real redirect once:
    /// logged in, with the same URL all along.
    @Test func oneGoodPasteLogsInAfterAnyNumberOfMistakes() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let emulator = account.emulator
        let tmux = try account.tmux()
        defer { tmux.kill() }
        try #require(tmux.waitFor("3. Paste the code"), "login screen: \(tmux.capture())")
        let url = try #require(loginURL(tmux))
        let redirect = try await emulator.approve(url)
        // Junk, a cut-off code, a redirect from another attempt: each explained, no new URL.
        for (junk, words) in [
            ("not a code!", "has spaces in it"), ("not-a-code!", "does not look like a code"),
            ("AbCdEf01", "looks cut off"),
            (redirect.replacingOccurrences(of: "state=", with: "state=old"), "different login attempt"),
        ] {
            tmux.paste(junk)
            tmux.keys("Enter")
            try #require(tmux.waitFor(words), "\(junk): \(tmux.capture())")
            tmux.keys("C-u")
        }
        // Something that looks like a code but is not one: Bitbucket refuses it; the URL stays.
        tmux.paste("ZZZZZZZZZZZZZZZZZZ")
        tmux.keys("Enter")
        try #require(tmux.waitFor("still good"), "refused code: \(tmux.capture())")
        #expect(loginURL(tmux) == url)
        tmux.keys("C-u")
        // The real redirect, typed by a terminal that does not bracket pastes and wrapped over two
        // lines: one burst, so its line break is not Enter.
        let middle = redirect.index(redirect.startIndex, offsetBy: redirect.count / 2)
        tmux.type(String(redirect[..<middle]) + "\n" + String(redirect[middle...]))
        try #require(tmux.waitFor(String(redirect.suffix(12))), "typed: \(tmux.capture())")
        #expect(!tmux.contains("Repositories"))
        // The first redirect's code was never spent, so it still works now.
        tmux.keys("Enter")
        try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
    }

    /// A newcomer needs no second shell: one key approves as the demo user.
    @Test func theDemoLogsInWithOneKey() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.path, "TMPDIR": home.path, "LANG": "C.UTF-8",
            "SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22",
        ]
        let tmux = try Tmux(
            width: 100, height: 30, command: Binary.path + " demo", environment: environment, directory: home.path)
        defer { tmux.kill() }
        try #require(tmux.waitFor("Press d to approve as the demo user"), "demo login: \(tmux.capture())")
        // Over SSH the demo does not suggest a forward: its Bitbucket is on this machine.
        #expect(!tmux.contains("ssh -L"))
        tmux.keys("d")
        try #require(tmux.waitFor("Repositories · 60"), "after d: \(tmux.capture())")
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
    }

    /// Over SSH without a UTF-8 locale, names degrade to readable ASCII, not runs of `?`.
    @Test func withoutAUTF8LocaleNamesStayReadable() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let home = account.home
        var environment = account.environment
        environment["LANG"] = "C"
        environment["LC_ALL"] = "C"
        let tmux = try Tmux(
            width: 100, height: 30, command: Binary.path, environment: environment, directory: home.path)
        defer { tmux.kill() }
        try #require(tmux.waitFor("Zoe Angstrom-?? (zoe)"), "ASCII: \(tmux.capture())")
        #expect(tmux.contains("+ Navigate -"))
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
    }

    /// `p` prints the URL on the normal screen; once back and quit, none of it stays under the
    /// shell's prompt.
    @Test func thePlainViewLeavesTheNormalScreenClean() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let tmux = try account.tmux()
        defer { tmux.kill() }
        try #require(tmux.waitFor("3. Paste the code"))
        tmux.keys("p")
        try #require(tmux.waitFor("Press any key to return to bbtui"))
        #expect(tmux.contains("oauth2/authorize?client_id="))
        tmux.keys("x")
        try #require(tmux.waitFor("3. Paste the code"))
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
        #expect(!tmux.contains("client_id="), "left on the normal screen: \(tmux.capture())")
        #expect(!tmux.contains("Press any key"))
    }

    /// A terminal without an alternate screen (vt100) is cleared on quit: the last frame does
    /// not stay under the prompt.
    @Test func withoutAnAlternateScreenQuittingLeavesItClean() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let home = account.home
        let tmux = try Tmux(
            width: 100, height: 30, command: "TERM=vt100 " + Binary.path,
            environment: account.environment, directory: home.path)
        defer { tmux.kill() }
        try #require(tmux.waitFor("3. Paste the code"))
        tmux.keys("q")
        try #require(tmux.waitFor("EXITED:0"))
        #expect(!tmux.contains("Paste the code"), "the last frame stayed: \(tmux.capture())")
    }

    /// The README's tmux setting, proved: with `set-clipboard on`, what `y` sends arrives in
    /// tmux's clipboard (which tmux passes on to the outer terminal).
    @Test func withSetClipboardOnTmuxReceivesTheCopy() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let home = account.home
        let tmux = try Tmux(
            width: 100, height: 30, command: Binary.path, environment: account.environment,
            directory: home.path, extraConfig: "set -g set-clipboard on\n")
        defer { tmux.kill() }
        try #require(tmux.waitFor("Repositories · 60"))
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })
        tmux.keys("g", "Y")
        try #require(tmux.waitFor("Sent the HTTPS clone URL"))
        try #require(
            tmux.waitUntil(.seconds(10)) {
                // The emulator's clone links name its own address, with the user in it.
                tmux.buffer().hasPrefix(
                    account.emulator.baseURL.replacingOccurrences(of: "http://", with: "http://zoe@"))
                    && tmux.buffer().hasSuffix(".git")
            },
            "buffer: \(tmux.buffer())")
    }

    /// URLs become OSC 8 hyperlinks when asked for, and never otherwise; the screen's text is
    /// the same either way.
    @Test func urlsAreHyperlinksOnlyWhenWanted() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        for (setting, expected) in [("1", true), ("0", false)] {
            var environment = account.environment
            environment["BBTUI_HYPERLINKS"] = setting
            let tmux = try Tmux(
                width: 100, height: 30, command: Binary.path, environment: environment, directory: home.path)
            defer { tmux.kill() }
            try #require(tmux.waitFor("3. Paste the code"))
            let url = try #require(loginURL(tmux))
            #expect(url.hasPrefix(emulator.endpoints["authorize_url"]!))
            tmux.keys("q")
            try #require(tmux.waitFor("EXITED:0"))
            let raw = try String(contentsOfFile: tmux.rawOutput, encoding: .utf8)
            #expect(raw.contains("\u{1B}]8;;" + url) == expected, "BBTUI_HYPERLINKS=\(setting)")
            #expect(raw.contains("\u{1B}]8;;") == expected)
        }
    }

    /// The Workspaces and SSH keys panes, with a temporary HOME whose ~/.ssh holds nothing, then
    /// the account's first key.
    @Test func workspacesAndSSHKeysPanesSayWhatWorksFromHere() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        // No agent: only the temporary HOME's keys count.
        let tmux = try await startAndLogIn(emulator, home: home, width: 120, extra: ["SSH_AUTH_SOCK": ""])
        defer { tmux.kill() }
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })

        // SSH keys: this machine has none, so cloning over SSH will fail, and says how to fix it.
        tmux.keys("5")
        try #require(tmux.waitFor("Cloning over SSH from this machine will fail"), "keys: \(tmux.capture())")
        // The verdict wraps inside the pane: read it as one text.
        let pane = tmux.lines.compactMap { line in
            line.components(separatedBy: "││").dropFirst().first?.trimmingCharacters(
                in: CharacterSet(charactersIn: "│ "))
        }.joined(separator: " ")
        #expect(pane.contains("none of the account's 4 keys is on"), "\(pane)")
        #expect(pane.contains("this machine has no SSH key"), "\(pane)")
        #expect(pane.contains("Create one with ssh-keygen -t ed25519"), "\(pane)")
        #expect(tmux.contains("SHA256:"))
        #expect(tmux.contains("expired"))

        // Workspaces: names, roles, counts; Enter shows that workspace's repositories.
        tmux.keys("4")
        try #require(tmux.waitFor("administrator"), "workspaces: \(tmux.capture())")
        #expect(tmux.contains("acme-platform"))
        #expect(tmux.contains("Main project"))
        tmux.keys("g", "Enter")
        try #require(tmux.waitFor("Showing workspace acme-platform only"), "enter: \(tmux.capture())")
        try #require(tmux.waitFor("in acme-platform"))

        // The account's first key on this machine: r reads the machine again, and it is usable.
        let keys = try await runBBTUI(["keys", "--json"], environment: account.environment)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(keys.stdout.utf8)) as? [[String: Any]])
        let first = try #require(rows.first?["key"] as? String)
        try FileManager.default.createDirectory(atPath: home.path + "/.ssh", withIntermediateDirectories: true)
        try Data((first + " zoe@laptop\n").utf8).write(to: URL(fileURLWithPath: home.path + "/.ssh/id_ed25519.pub"))
        try Data("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8).write(
            to: URL(fileURLWithPath: home.path + "/.ssh/id_ed25519"))
        tmux.keys("5", "r")
        try #require(tmux.waitFor("1 of 4 keys is usable from"), "after adding: \(tmux.capture())")
        #expect(tmux.contains("~/.ssh/id_ed25519.pub"))
        // p shows this machine's public key plainly, whole, on the normal screen.
        tmux.keys("p")
        try #require(tmux.waitFor("zoe@laptop"), "plain key: \(tmux.capture())")
    }

    /// The browser's etiquette, as a person meets it in tmux.
    @Test func panesEscapesFiltersHelpAndLongMessagesBehave() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        let (home, emulator) = (account.home, account.emulator)
        let tmux = try await startAndLogIn(emulator, home: home)
        defer { tmux.kill() }
        try #require(tmux.waitUntil { !tmux.contains("loaded ") })
        // l and h switch panes (Repositories → Workspaces, and back).
        tmux.keys("l")
        try #require(tmux.waitFor("administrator"))
        tmux.keys("h")
        try #require(tmux.waitFor("1/60"))
        // Esc then j, sent together (as a quick typist does): Esc, then j moves down.
        tmux.keys("Escape", "j")
        try #require(tmux.waitFor("2/60"), "Esc j: \(tmux.capture())")
        // A new filter jumps to its first match.
        tmux.keys("G")
        try #require(tmux.waitFor("60/60"))
        tmux.keys("/")
        tmux.type("gate")
        // From row 60 of 60 to row 1 of the matches.
        try #require(
            tmux.waitUntil {
                let last = (tmux.lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "")
                    .trimmingCharacters(in: .whitespaces)
                return last.range(of: #" 1/\d+$"#, options: .regularExpression) != nil && !last.hasSuffix("/60")
            }, "filter: \(tmux.capture())")
        tmux.keys("Escape")
        try #require(tmux.waitFor("/60"))
        // Help goes to its end and says when there is more.
        tmux.keys("?")
        try #require(tmux.waitFor("more ↓"))
        tmux.keys("End")
        try #require(tmux.waitUntil { !tmux.contains("more ↓") }, "help end: \(tmux.capture())")
        tmux.keys("q")
        try #require(tmux.waitUntil { !tmux.contains("Keys (Esc closes)") })
        // A message longer than the bar is wrapped, not cut at the edge.
        tmux.keys("g", "Y")
        try #require(tmux.waitFor("see the README for tmux's settings"), "message: \(tmux.capture())")
    }
}
