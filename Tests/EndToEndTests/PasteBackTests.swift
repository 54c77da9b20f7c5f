import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized covers them: the tmux tests block a thread of the
// concurrency pool while they wait, and two at once would starve every other test's timers.
extension TUITests {
    /// Issue 24: the paste-back login cannot mislead a person who follows its advice, and every
    /// error can be read whole. Each test drives the real binary in tmux, as over `ssh -t`.
    @Suite struct PasteBackTests {
        /// bbtui's login screen in tmux for a new account, and the redirect the emulator gives once
        /// its URL is approved (as a browser elsewhere would).
        func loginScreen(width: Int = 100) async throws -> (E2EAccount, Tmux, String) {
            let account = try E2EAccount()
            let tmux = try account.tmux(width: width)
            try #require(tmux.waitFor("3. Paste the code"), "login screen: \(tmux.capture())")
            let redirect = try await account.emulator.approve(try #require(tmux.loginURL))
            return (account, tmux, redirect)
        }

        /// Pastes the redirect, Enter: the browser must open.
        func logIn(_ tmux: Tmux, _ redirect: String) throws {
            tmux.paste(redirect)
            tmux.keys("Enter")
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
        }

        func codeGrants(_ emulator: EmulatorProcess) async throws -> Int {
            (try await emulator.stats()["grants"] as? [String: Int])?["authorization_code"] ?? 0
        }

        /// Item 1: an old redirect, Enter, then the screen's advice followed: the new paste replaces
        /// the old text (it used to be appended to it, and the same error came forever).
        @Test func aPasteAfterAnOldRedirectReplacesItAndLogsIn() async throws {
            let (account, tmux, redirect) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            let old = redirect.replacingOccurrences(of: "state=", with: "state=0ld")
            tmux.paste(old)
            tmux.keys("Enter")
            try #require(tmux.waitFor("different login attempt"), "\(tmux.capture())")
            tmux.paste(redirect)
            // The old message goes as soon as the field changes.
            try #require(tmux.waitUntil { !tmux.contains("different login attempt") }, "\(tmux.capture())")
            tmux.keys("Enter")
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
        }

        /// Item 2: clipboard junk with spaces is explained and sends nothing; the approval stays good.
        @Test func junkWithSpacesSendsNoRequest() async throws {
            let (account, tmux, redirect) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            let emulator = account.emulator
            tmux.paste("hello this is junk from my clipboard")
            tmux.keys("Enter")
            try #require(tmux.waitFor("nothing was sent"), "\(tmux.capture())")
            #expect(tmux.contains("has spaces in it"))
            #expect(!tmux.contains("approve it again"))
            #expect(try await codeGrants(emulator) == 0)
            #expect(
                (try await emulator.stats()["requests"] as? [String: Int])?["POST /site/oauth2/access_token"] == nil)
            try logIn(tmux, redirect)
        }

        /// Item 3: a redirect typed in three pieces with Enter between them (a slow link delivering a
        /// terminal's typed paste) sends nothing until it is whole.
        @Test func aRedirectInThreePiecesSendsNothingUntilWhole() async throws {
            let (account, tmux, redirect) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            let emulator = account.emulator
            let pieces = [
                String(redirect.prefix(50)), String(redirect.dropFirst(50).prefix(25)), String(redirect.dropFirst(75)),
            ]
            for (index, piece) in pieces.enumerated() {
                tmux.type(piece)
                tmux.keys("Enter")
                if index < pieces.count - 1 {
                    try #require(tmux.waitFor("was cut off"), "piece \(index): \(tmux.capture())")
                    #expect(try await codeGrants(emulator) == 0, "piece \(index) sent a code")
                    // The next piece clears the message as it arrives.
                    tmux.type(" ")
                    tmux.keys("BSpace")
                    try #require(tmux.waitUntil { !tmux.contains("was cut off") })
                }
            }
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
            #expect(try await codeGrants(emulator) == 1)
        }

        /// Item 4: a long network error is readable whole at 80 columns (`e`), and the status line
        /// does not go on saying "retrying" once the pane says the refresh failed.
        @Test func aLongNetworkErrorIsReadableWholeAt80Columns() async throws {
            let (account, tmux, redirect) = try await loginScreen(width: 80)
            defer {
                tmux.kill()
                account.close()
            }
            try logIn(tmux, redirect)
            account.emulator.stop()
            tmux.keys("r")
            try #require(tmux.waitFor("refresh failed", timeout: .seconds(60)), "\(tmux.capture())")
            #expect(!tmux.contains("retrying in"), "\(tmux.capture())")
            tmux.keys("e")
            try #require(
                tmux.waitFor(
                    "Could not connect to 127.0.0.1: the connection was refused. Is the server running, and is "
                        + "the address right?"), "\(tmux.capture())")
            #expect(tmux.contains("Press any key to return to bbtui."))
            tmux.keys("x")
            try #require(tmux.waitFor("refresh failed"), "\(tmux.capture())")
        }

        /// Item 5: Ctrl-Z where nothing could resume bbtui (it is in its session's own process group,
        /// as under `ssh -t host bbtui`) says so, and help does not offer it.
        @Test func ctrlZWithoutJobControlSaysSo() async throws {
            // tmux's pane runs `sh script`: a shell without job control, leading the session.
            let (account, tmux, _) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            tmux.keys("C-z")
            try #require(tmux.waitFor("Ctrl-Z does nothing here"), "\(tmux.capture())")
            #expect(tmux.display("#{alternate_on}") == "1")
            tmux.keys("?")
            try #require(tmux.waitFor("Keys"), "\(tmux.capture())")
            #expect(!tmux.contains("suspend"))
        }

        /// Item 6: `ssh host bbtui` (no tty) names `ssh -t` and `login --no-tui`, with one "bbtui:".
        @Test func withoutATerminalTheMessageNamesTheWaysOut() async throws {
            let result = try await runBBTUI([], environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("bbtui: the full screen needs a terminal"), "\(result.stderr)")
            #expect(result.stderr.contains("ssh -t HOST bbtui"))
            #expect(result.stderr.contains("bbtui login --no-tui"))
            #expect(result.stderr.components(separatedBy: "bbtui:").count == 2)
        }

        /// Item 6: an unknown command is named as such, with the nearest one.
        @Test(arguments: [("frobnicate", nil), ("statsu", "status"), ("whomai", "whoami"), ("repo", "repos")])
        func anUnknownCommandIsNamedWithTheNearest(word: String, nearest: String?) async throws {
            let result = try await runBBTUI([word], environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"])
            #expect(result.status == 64)
            #expect(result.stderr.hasPrefix("bbtui: '\(word)' is not a bbtui command."), "\(result.stderr)")
            if let nearest { #expect(result.stderr.contains("Did you mean '\(nearest)'?")) }
            #expect(result.stderr.contains("whoami"))
            #expect(!result.stderr.contains("Usage: bbtui browse"))
        }

        /// Item 6: the login URL written with `w` goes when the login succeeds.
        @Test func theWrittenURLFileIsRemovedAfterLogin() async throws {
            let (account, tmux, redirect) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            tmux.keys("w")
            let file = account.home.path + "/login-url.txt"
            try #require(tmux.waitFor("Wrote the URL"), "\(tmux.capture())")
            #expect(FileManager.default.fileExists(atPath: file))
            try logIn(tmux, redirect)
            let gone = FileEvents(watching: account.home.path, mask: UInt32(IN_DELETE))
            try #require(waitUntil(on: gone) { !FileManager.default.fileExists(atPath: file) }, "login-url.txt stayed")
        }

        /// Item 6: a filter typed decomposed finds the composed name.
        @Test func aDecomposedFilterFindsTheComposedName() async throws {
            let (account, tmux, redirect) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            try logIn(tmux, redirect)
            // The emulator's data has "한국어-wiki" in composed syllables; type them decomposed, as
            // jamo (canonically equivalent: U+1112 U+1161 U+11AB is 한).
            tmux.keys("/")
            tmux.type("\u{1112}\u{1161}\u{11AB}\u{1100}\u{116E}\u{11A8}\u{110B}\u{1165}")
            // The syllable matches only once its last jamo arrives; the screen settles on the match.
            #expect(
                tmux.waitUntil { tmux.contains("-wiki") && !tmux.contains("No repository matches") },
                "\(tmux.capture())")
        }

        /// Item 6: the `p` screen's sentence breaks between words at 80 columns, and over SSH the
        /// `ssh -L` command stays whole on a row of its own at 60, with HOST, not this machine's name.
        @Test func thePlainScreenAndTheForwardHintBreakBetweenWords() async throws {
            // A port of its own: another test's listener may hold 8976.
            let port = EdgeTests.freePort()
            let account = try E2EAccount(extra: [
                "SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22",
                "BBTUI_REDIRECT_URI": "http://127.0.0.1:\(port)/callback",
            ])
            let tmux = try account.tmux(width: 60, height: 40)
            defer {
                tmux.kill()
                account.close()
            }
            try #require(tmux.waitFor("3. Paste the code"), "login screen: \(tmux.capture())")
            #expect(tmux.lines.contains("   ssh -L \(port):127.0.0.1:\(port) HOST"), "\(tmux.capture())")
            #expect(tmux.contains("being how you reach this machine"), "\(tmux.capture())")
            tmux.resize(width: 80, height: 40)
            tmux.keys("p")
            try #require(tmux.waitFor("Press any key"), "\(tmux.capture())")
            let lines = tmux.lines
            let prompt = try #require(lines.firstIndex { $0.hasPrefix("Select the line above") })
            // Each row of the sentence ends with a whole word.
            #expect(
                lines[prompt] == "Select the line above to copy it (it is one unbroken line). Press any key to",
                "\(lines)")
            #expect(lines[prompt + 1] == "return to bbtui.")
        }

        /// Issue 21: a bracketed paste whose end marker never comes (a terminal killed mid-paste)
        /// lands in the field as a paste after a second of silence, and the keys after it act:
        /// Esc leaves the field and q quits.
        @Test func aPasteWithoutItsEndMarkerDoesNotHoldTheKeys() async throws {
            let (account, tmux, _) = try await loginScreen()
            defer {
                tmux.kill()
                account.close()
            }
            // ESC [ 2 0 0 ~ "stuck-paste", and no ESC [ 2 0 1 ~.
            tmux.keys(
                "-H", "1b", "5b", "32", "30", "30", "7e", "73", "74", "75", "63", "6b", "2d", "70", "61", "73", "74",
                "65")
            try #require(tmux.waitFor("> stuck-paste"), "\(tmux.capture())")
            tmux.keys("Escape")
            try #require(tmux.waitFor("paste here") || tmux.waitUntil { !tmux.contains("Esc leave field") })
            tmux.keys("q")
            try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
        }
    }
}
