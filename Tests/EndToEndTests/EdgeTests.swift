import BitbucketKit
import Foundation
import Testing

/// The edges, through the real binary: forged redirects, the listener racing stdin, partial
/// listings, revoked tokens, JSON safety, and command-line wording.
@Suite struct EdgeTests {
    /// A free loopback port, for a listener nobody else uses.
    static func freePort() -> Int {
        let (fd, port) = LoopbackSocket.listen()
        close(fd)
        return port
    }

    @Test func theBrowsersRedirectFinishesTheLoginWhileStdinIsOpenAndForgeriesAreIgnored() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        let port = Self.freePort()
        let callback = "http://127.0.0.1:\(port)/callback"
        let emulator = try EmulatorProcess(["--redirect-uri", callback])
        defer { emulator.stop() }
        var environment = emulator.environment(home: home.path)
        environment["BBTUI_REDIRECT_URI"] = callback
        let (process, input, _, errors, url) = try startLoginByCLI(environment: environment)
        defer { if process.isRunning { process.terminate() } }

        // Another local process forges redirects: no state, a wrong state, a stray request.
        // Each gets a page saying why it was ignored; none ends the login.
        let forgedCode = try await emulator.approve(url.replacingOccurrences(of: "state=", with: "state=x"))
        let code = try #require(URLComponents(string: forgedCode)?.queryItems?.first { $0.name == "code" }?.value)
        for forged in [
            "\(callback)?code=\(code)", "\(callback)?code=\(code)&state=not-this-one", "\(callback)?xcode=1",
            "\(callback)?error=access_denied",
        ] {
            let page = try await plainTransport.send(HTTPRequest(url: URL(string: forged)!))
            #expect(page.status == 400, "\(forged)")
            #expect(page.text.contains("It was ignored; bbtui is still waiting"), "\(forged)")
        }
        #expect(process.isRunning)

        // The real redirect, followed by the "browser", finishes at once with stdin still open,
        // and the page says what really happened.
        let location = try await emulator.approve(url)
        let page = try await plainTransport.send(HTTPRequest(url: URL(string: location)!))
        #expect(page.status == 200)
        #expect(page.text.contains("<h1>Logged in</h1>"))
        #expect(page.text.contains("bbtui is logged in as Zoë Ångström-李."))
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("Logged in as Zoë Ångström-李 (zoe)"))
        // The account stored is the real one's, not the forger's code's.
        let whoami = try await runBBTUI(["whoami", "--json"], environment: environment)
        #expect(whoami.stdout.contains("\"nickname\" : \"zoe\""))
    }

    @Test func aBadPasteIsExplainedAndTheNextLineStillLogsIn() async throws {
        let account = try E2EAccount()
        defer { account.close() }
        var environment = account.environment
        let emulator = account.emulator
        environment["BBTUI_REDIRECT_URI"] = nil
        let (process, input, _, errors, url) = try startLoginByCLI(environment: environment)
        let location = try await emulator.approve(url)
        input.fileHandleForWriting.write(
            Data("not a code!\n\(location.replacingOccurrences(of: "state=", with: "state=old"))\n\(location)\n".utf8))
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("has spaces in it"))
        #expect(stderr.contains("belongs to a different login attempt"))
        #expect(stderr.contains("Logged in as"))
    }

    @Test func aPartialListingExitsTwoSaysSoOnceAndStaysJSON() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        // 1,500 repositories in 2 workspaces is 16 pages; the rate limit lets 6 through.
        let emulator = try EmulatorProcess(["--repos", "1500", "--workspaces", "2", "--rate-limit", "6"])
        defer { emulator.stop() }
        let environment = emulator.environment(home: home.path)
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let result = try await runBBTUI(["repos", "--json"], environment: environment)
        #expect(result.status == 2, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        // Six pages' worth: the two first pages, then any four of the rest, in whatever order
        // they were sent. The personal workspace's second page holds only 50 (150 = 100 + 50),
        // so six pages are 450 to 600 repositories.
        #expect((450...600).contains(rows.count))
        let failureLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("bbtui: workspace ") }
        #expect(
            failureLines.count == Set(failureLines.map { $0.split(separator: ":")[1] }).count,
            "one line per workspace: \(result.stderr)")
        #expect(!failureLines.isEmpty)
        #expect(result.stderr.contains("rate limit"))
        #expect(result.stderr.contains("Run the command again in a few minutes"))
        #expect(result.stderr.contains("the listing is incomplete: \(rows.count) of the 1500 repositories"))
        #expect(!result.stderr.contains("Press r"))
    }

    @Test func statusCheckAndTokenAskBitbucketAndNeverPrintARevokedToken() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let environment = account.environment
        let emulator = account.emulator
        let checked = try await runBBTUI(["status", "--check", "--json"], environment: environment)
        #expect(checked.status == 0)
        #expect(checked.stdout.contains("\"token_checked\" : true"))
        #expect(checked.stdout.contains("\"token_usable\" : true"))

        try await emulator.post("/_emulator/revoke")
        // Without --check the store alone cannot know, and says it did not ask.
        let unchecked = try await runBBTUI(["status"], environment: environment)
        #expect(unchecked.status == 0)
        #expect(unchecked.stdout.contains("not checked with Bitbucket"))
        let revoked = try await runBBTUI(["status", "--check", "--json"], environment: environment)
        #expect(revoked.status == 3)
        #expect(revoked.stdout.contains("\"token_usable\" : false"))
        let token = try await runBBTUI(["token"], environment: environment)
        #expect(token.status == 3)
        #expect(token.stdout.isEmpty)
        #expect(token.stderr.contains("bbtui login"))
        let unverified = try await runBBTUI(["token", "--no-check"], environment: environment)
        #expect(unverified.status == 0)
        #expect(unverified.stderr.contains("not checked with Bitbucket"))
    }

    @Test func jsonOutputEscapesEveryControlAndBidiCharacter() async throws {
        let account = try await E2EAccount.loggedIn(["--hostile", "--repos", "200"])
        defer { account.close() }
        let environment = account.environment
        for command in [
            ["repos", "--json"], ["whoami", "--json"], ["emails", "--json"], ["accounts", "--json"],
            ["status", "--json"],
        ] {
            let result = try await runBBTUI(command, environment: environment)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            let raw = result.stdout.unicodeScalars.filter {
                $0.value == 0x1B || $0.value == 0x7F || (0x80...0x9F).contains($0.value)
                    || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
            }
            #expect(raw.isEmpty, "\(command) wrote \(raw.map { String($0.value, radix: 16) })")
            #expect(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) is [Any] || command[0] != "repos")
        }
        let repos = try await runBBTUI(["repos", "--json"], environment: environment).stdout
        #expect(repos.contains("\\u009b") || repos.contains("\\u202e"))
    }

    @Test func aServerThatNeverFinishesEndsTheCommandAndNamesTheHost() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        var environment = account.environment
        // A listening socket that never answers: the stored account's API is pointed at it.
        let (fd, port) = LoopbackSocket.listen()
        defer { close(fd) }
        let store = try account.store()
        var stored = try #require(try store.activeAccount())
        stored.configuration.apiURL = URL(string: "http://127.0.0.1:\(port)/2.0")!
        try store.save(stored)
        environment["BBTUI_API_URL"] = stored.configuration.apiURL.absoluteString
        environment["BBTUI_TIMEOUT"] = "1"
        let started = ContinuousClock.now
        let result = try await runBBTUI(["whoami"], environment: environment)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("127.0.0.1 did not answer in time (no complete answer within 1 s)"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("Press r"))
        // One request and one retry at most, each bounded.
        #expect(ContinuousClock.now - started < .seconds(15))

        environment["BBTUI_TIMEOUT"] = "30"
        environment["BBTUI_COMMAND_TIMEOUT"] = "1.5"
        let bounded = try await runBBTUI(["whoami"], environment: environment)
        #expect(bounded.status == 1)
        #expect(bounded.stderr.contains("gave up after 1 s"), "\(bounded.stderr)")
    }
}

@Suite struct CompletionTests {
    /// Runs the generated bash completion for `words` (the last one being completed).
    func complete(_ words: [String], script: String, environment: [String: String]) async throws -> [String] {
        var environment = environment
        environment["PATH"] = (Binary.path as NSString).deletingLastPathComponent + ":/usr/bin:/bin"
        let result = try await runProcess(
            "/bin/bash",
            [
                "-c",
                #"source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _bbtui "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf "%s\n" "${COMPREPLY[@]}""#,
                "_", script,
            ] + words, environment: environment)
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func switchAndWorkspaceCompleteFromTheLocalStoreOnly() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        let environment = account.environment
        let (home, emulator) = (account.home, account.emulator)
        let script = home.path + "/bbtui.bash"
        try await runBBTUI(["--generate-completion-script", "bash"], environment: environment).stdout.write(
            toFile: script, atomically: true, encoding: .utf8)
        #expect(try await complete(["bbtui", "switch", "z"], script: script, environment: environment) == ["zoe"])
        // Workspaces are offered once a listing cached them; completing asks no server.
        #expect(
            try await complete(["bbtui", "repos", "--workspace", ""], script: script, environment: environment).isEmpty)
        #expect(try await runBBTUI(["repos"], environment: environment).status == 0)
        let before = try await emulator.stats()["requests"] as? [String: Int]
        let slugs = try await complete(["bbtui", "repos", "--workspace", ""], script: script, environment: environment)
        #expect(slugs == ["acme-platform", "data-science", "mobile-guild", "zoe-angstrom"])
        let after = try await emulator.stats()["requests"] as? [String: Int]
        #expect(before?.filter { $0.key.contains("/2.0") } == after?.filter { $0.key.contains("/2.0") })
    }
}
