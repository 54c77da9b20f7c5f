import BitbucketKit
import Foundation
import Testing

/// Every command against a real emulator process: output contracts, JSON shapes, exit codes.
@Suite struct CLITests {
    @Test func loginNoTUIThenEveryCommand() async throws {
        let account = try E2EAccount(["--repos", "150"])
        defer { account.close() }
        let environment = account.environment
        let emulator = account.emulator

        // Logged out: status says so and exits 3; token and whoami too.
        let loggedOut = try await runBBTUI(["status"], environment: environment)
        #expect(loggedOut.status == 3)
        #expect(loggedOut.stdout.contains("no (run `bbtui login`)"))
        #expect(try await runBBTUI(["token"], environment: environment).status == 3)
        let whoamiOut = try await runBBTUI(["whoami"], environment: environment)
        #expect(whoamiOut.status == 3)
        #expect(whoamiOut.stderr.contains("not logged in"))

        // login --no-tui: the URL alone on stdout, messages on stderr.
        let login = try await loginByCLI(emulator, environment: environment)
        #expect(login.status == 0, "\(login.stderr)")
        let stdoutLines = login.stdout.split(separator: "\n")
        #expect(stdoutLines.count == 1)
        #expect(stdoutLines.first?.hasPrefix(emulator.endpoints["authorize_url"]! + "?client_id=") == true)
        #expect(login.stderr.contains("Logged in as Zoë Ångström-李 (zoe)"))

        // status: 0, with the store's permissions.
        let status = try await runBBTUI(["status", "--json"], environment: environment)
        #expect(status.status == 0)
        let statusJSON = try #require(
            try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(statusJSON["logged_in"] as? Bool == true)
        #expect(statusJSON["store_mode"] as? String == "0600")
        #expect(statusJSON["scopes"] as? [String] == ["account", "email", "repository"])
        #expect(
            Set(statusJSON.keys) == [
                "logged_in", "uuid", "username", "display_name", "token_expires_at", "token_usable", "token_checked",
                "scopes", "api_url", "store", "store_mode", "requests_this_hour", "request_limit",
            ])
        // No request to /repositories yet: nothing spent of the hour's 1,000.
        #expect(statusJSON["requests_this_hour"] as? Int == 0)
        #expect(statusJSON["request_limit"] as? Int == 1000)

        // whoami: human and JSON with the API's field names.
        let whoami = try await runBBTUI(["whoami"], environment: environment)
        #expect(whoami.status == 0)
        #expect(whoami.stdout.contains("Name        Zoë Ångström-李"))
        let whoamiJSON = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try await runBBTUI(["whoami", "--json"], environment: environment).stdout.utf8))
                as? [String: Any])
        #expect(whoamiJSON["display_name"] as? String == "Zoë Ångström-李")
        #expect(whoamiJSON["nickname"] as? String == "zoe")
        #expect(whoamiJSON["account_status"] as? String == "active")
        #expect(whoamiJSON["created_on"] as? String == "2013-04-12T09:31:07Z")

        // emails: primary first.
        let emails = try await runBBTUI(["emails"], environment: environment)
        #expect(
            emails.stdout.split(separator: "\n").map { String($0.split(separator: " ").first ?? "") } == [
                "EMAIL", "zoe@example.com", "zoe.angstrom@work.example.org", "zoe+old@example.net",
            ])
        let emailsJSON = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try await runBBTUI(["emails", "--json"], environment: environment).stdout.utf8))
                as? [[String: Any]])
        #expect(emailsJSON.map { Set($0.keys) } == Array(repeating: ["email", "is_primary", "is_confirmed"], count: 3))

        // repos: every page of every workspace; --workspace and --limit.
        let all = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try await runBBTUI(["repos", "--json"], environment: environment).stdout.utf8))
                as? [[String: Any]])
        #expect(all.count == 150)
        #expect(Set(all.compactMap { $0["uuid"] as? String }).count == 150)
        #expect(
            Set(all[0].keys).isSuperset(of: [
                "uuid", "name", "full_name", "is_private", "language", "size", "updated_on", "links",
            ]))
        let acme = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    try await runBBTUI(["repos", "--json", "--workspace", "acme-platform"], environment: environment)
                        .stdout.utf8)) as? [[String: Any]])
        #expect(!acme.isEmpty && acme.allSatisfy { ($0["full_name"] as? String)?.hasPrefix("acme-platform/") == true })
        let limited = try await runBBTUI(["repos", "--limit", "3"], environment: environment)
        #expect(limited.status == 0)
        #expect(limited.stdout.split(separator: "\n").count == 4)
        #expect(limited.stdout.hasPrefix("NAME"))

        // accounts and switch.
        let accounts = try await runBBTUI(["accounts"], environment: environment)
        #expect(accounts.stdout.contains("*  zoe"))
        #expect(try await runBBTUI(["switch", "zoe"], environment: environment).status == 0)
        let missing = try await runBBTUI(["switch", "nobody"], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no stored account is called nobody"))

        // token: never printed elsewhere, printed here.
        let token = try await runBBTUI(["token"], environment: environment)
        #expect(token.status == 0)
        #expect(token.stdout.trimmingCharacters(in: .newlines).count == 2_600)
        for output in [status, whoami, emails, accounts, login] {
            #expect(!output.stdout.contains(token.stdout.trimmingCharacters(in: .newlines)))
            #expect(!output.stderr.contains(token.stdout.trimmingCharacters(in: .newlines)))
        }

        // Usage errors exit 64.
        let usage = try await runBBTUI(["repos", "--limit", "0"], environment: environment)
        #expect(usage.status == 64)
        #expect(try await runBBTUI(["no-such-command"], environment: environment).status == 64)

        // logout.
        let logout = try await runBBTUI(["logout"], environment: environment)
        #expect(logout.status == 0)
        #expect(logout.stderr.contains("Logged out of zoe"))
        #expect(try await runBBTUI(["status"], environment: environment).status == 3)
    }

    @Test func tokenAfterExpiryRefreshesAndTwoProcessesRefreshOnce() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        // A second spend of the rotated refresh token would show up in refresh_token_reuses.
        // With no grace at all, a rotated refresh token dies at once: two processes must not
        // both spend it.
        let emulator = try EmulatorProcess(["--token-ttl", "3600", "--refresh-grace", "0"])
        defer { emulator.stop() }
        let environment = emulator.environment(home: home.path)
        #expect(try await loginByCLI(emulator, environment: environment).status == 0)
        let before = try await runBBTUI(["token"], environment: environment).stdout

        // Mark the stored token expired, as if its two hours had passed.
        let store = try TokenStore(paths: StorePaths(configDirectory: home.path, cacheDirectory: home.path + "/cache"))
        var account = try #require(try store.activeAccount())
        account.token.expiresAt = Date(timeIntervalSinceNow: -10)
        try store.updateToken(account.token, accountID: account.id)

        // Two processes at once: exactly one refresh, and both print the same fresh token.
        async let first = Task.detached { try await runBBTUI(["token"], environment: environment) }.value
        async let second = Task.detached { try await runBBTUI(["token"], environment: environment) }.value
        let (a, b) = try await (first, second)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != before)
        let grants = try await emulator.stats()["grants"] as? [String: Int]
        #expect(grants?["refresh_token"] == 1)
        #expect(try await emulator.stats()["refresh_token_reuses"] as? Int == 0)
        // And both keep working.
        #expect(try await runBBTUI(["whoami"], environment: environment).status == 0)

        // A revoked grant: exit 3 with what to do.
        try await emulator.post("/_emulator/revoke")
        account = try #require(try store.activeAccount())
        account.token.expiresAt = Date(timeIntervalSinceNow: -10)
        try store.updateToken(account.token, accountID: account.id)
        let dead = try await runBBTUI(["token"], environment: environment)
        #expect(dead.status == 3)
        #expect(dead.stderr.contains("Log in again"))
        let deadStatus = try await runBBTUI(["status"], environment: environment)
        #expect(deadStatus.status == 3)
        #expect(deadStatus.stdout.contains("not usable"))
    }

    @Test func aKilledRefreshLeavesTheOldOrTheNewTokens() async throws {
        let account = try await E2EAccount.loggedIn(["--latency", "20"])
        defer { account.close() }
        let environment = account.environment
        let home = account.home
        let store = try account.store()
        // Where to kill it, seen in its own file activity: at once; once it holds the refresh
        // lock (before the network); and while its commit appends to the write-ahead log (the
        // store is in WAL mode: the database file itself changes only at checkpoints).
        let killPoints: [(name: String, mask: Int32)?] = [
            nil, ("refresh.lock", IN_OPEN), ("credentials.sqlite-wal", IN_MODIFY),
        ]
        for round in 0..<12 {
            var account = try #require(try store.activeAccount())
            account.token.expiresAt = Date(timeIntervalSinceNow: -10)
            try store.updateToken(account.token, accountID: account.id)
            let events = FileEvents(watching: home.path, mask: UInt32(IN_OPEN | IN_CREATE | IN_MODIFY))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binary.path)
            process.arguments = ["token"]
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            if let point = killPoints[round % killPoints.count] {
                let deadline = ContinuousClock.now + .seconds(10)
                var seen = false
                while !seen, let batch = events.next(until: deadline) {
                    seen = batch.contains { $0.name == point.name && $0.mask & UInt32(point.mask) != 0 }
                }
                #expect(seen, "never saw \(point.name)")
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = output.fileHandleForReading.readDataToEndOfFile()
            // The store opens and holds a whole pair: the old one or a new one, never half.
            let after = try #require(
                try TokenStore(paths: StorePaths(configDirectory: home.path, cacheDirectory: home.path + "/cache"))
                    .activeAccount())
            #expect(after.token.accessToken.count == 2_600)
            #expect(after.token.refreshToken?.count == 2_600)
        }
        // Whatever happened, the next run works (a rotated token is adopted or refreshed).
        let final = try await runBBTUI(["whoami"], environment: environment)
        #expect(final.status == 0, "\(final.stderr)")
    }

    @Test func loginFailuresExplainThemselves() async throws {
        let account = try E2EAccount(["--deny"])
        defer { account.close() }
        let emulator = account.emulator
        let denied = try await loginByCLI(emulator, environment: account.environment)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("Access was denied"))
        let garbage = try await runBBTUI(
            ["login", "--no-tui"], environment: account.environment, stdin: "not a code!\n")
        #expect(garbage.status == 1)
        #expect(garbage.stderr.contains("has spaces in it"))
        var unconfigured = account.environment
        unconfigured["BITBUCKET_CLIENT_ID"] = nil
        let missing = try await runBBTUI(["login", "--no-tui"], environment: unconfigured)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("BITBUCKET_CLIENT_ID is not set"))
        var insecure = account.environment
        insecure["BBTUI_API_URL"] = "http://api.example.com/2.0"
        let refused = try await runBBTUI(["login", "--no-tui"], environment: insecure)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("plain http to a non-loopback host"))
    }

    @Test func hostileDataNeverReachesTheTerminalRaw() async throws {
        let account = try await E2EAccount.loggedIn(["--hostile", "--repos", "200"])
        defer { account.close() }
        let environment = account.environment
        for command in [["whoami"], ["emails"], ["repos"], ["accounts"], ["status"]] {
            let result = try await runBBTUI(command, environment: environment)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            for output in [result.stdout, result.stderr] {
                #expect(
                    !output.unicodeScalars.contains {
                        $0.value == 0x1B || $0.value == 0x07 || (0x80...0x9F).contains($0.value)
                            || (0x202A...0x202E).contains($0.value)
                    }, "\(command) wrote a raw control")
            }
        }
        // JSON keeps the data exactly, escaped.
        let json = try await runBBTUI(["whoami", "--json"], environment: environment).stdout
        #expect(json.contains("\\u001b[31m"))
    }

    @Test func insecureStoreIsRefusedWithTheFix() async throws {
        let home = TemporaryDirectory()
        defer { home.remove() }
        chmod(home.path, 0o755)
        let result = try await runBBTUI(["status"], environment: ["BBTUI_HOME": home.path, "PATH": "/usr/bin:/bin"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("chmod 700 '\(home.path)'"))
    }
}

/// `repos` against an account that changes under it, and from its cache.
@Suite struct ListingCLITests {
    func repositoryRequests(_ emulator: EmulatorProcess) async throws -> Int {
        let stats = try await emulator.stats()
        return (stats["requests"] as? [String: Any])?["GET /2.0/repositories/{workspace}"] as? Int ?? 0
    }

    func truth(_ emulator: EmulatorProcess) async throws -> Set<String> {
        let response = try await plainTransport.send(
            HTTPRequest(url: URL(string: emulator.baseURL + "/_emulator/repositories")!))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return Set(try #require(object["values"] as? [[String: Any]]).compactMap { $0["full_name"] as? String })
    }

    func listed(_ result: Finished) throws -> Set<String> {
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == Set(rows.compactMap { $0["uuid"] as? String }).count, "no repository twice")
        return Set(rows.compactMap { $0["full_name"] as? String })
    }

    @Test func reposIsExactWhileTheAccountChangesAndARefreshCostsWhatChanged() async throws {
        let account = try await E2EAccount.loggedIn(["--repos", "1500", "--workspaces", "3", "--churn", "6"])
        defer { account.close() }
        let environment = account.environment
        let emulator = account.emulator

        // Six changes land during the first listing: it still comes out exact.
        let first = try await runBBTUI(["repos", "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try listed(first) == (try await truth(emulator)))

        // Nothing changed: one request per workspace, each answered 304 to the ETag kept with
        // the listing.
        var before = try await repositoryRequests(emulator)
        let notModifiedBefore = try await emulator.stats()["not_modified"] as? Int
        let unchanged = try await runBBTUI(["repos", "--json"], environment: environment)
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        #expect(try listed(unchanged) == (try await truth(emulator)))
        #expect(try await repositoryRequests(emulator) - before == 3)
        #expect((try await emulator.stats()["not_modified"] as? Int).map { $0 - (notModifiedBefore ?? 0) } == 3)

        // Changes between runs (create, delete, rename, update, move): still exact.
        let churn = try await plainTransport.send(
            HTTPRequest(method: "POST", url: URL(string: emulator.baseURL + "/_emulator/churn?now=5")!))
        #expect(churn.status == 200)
        before = try await repositoryRequests(emulator)
        let changed = try await runBBTUI(["repos", "--json"], environment: environment)
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(try listed(changed) == (try await truth(emulator)))
        #expect(
            try await repositoryRequests(emulator) - before < 20,
            "far fewer than a full pass of 17 pages per changed workspace")

        // --full walks every page again.
        before = try await repositoryRequests(emulator)
        let full = try await runBBTUI(["repos", "--json", "--full"], environment: environment)
        #expect(try listed(full) == (try await truth(emulator)))
        #expect(try await repositoryRequests(emulator) - before >= 15)
    }

    @Test func endpointSettingsThatDisagreeWithTheAccountAreRefused() async throws {
        let account = try await E2EAccount.loggedIn()
        defer { account.close() }
        var environment = account.environment
        let emulator = account.emulator
        for (key, value, expected) in [
            ("BBTUI_API_URL", "not a url", "BBTUI_API_URL=not a url is not a valid URL"),
            (
                "BBTUI_API_URL", "https://api.example.com/2.0",
                "BBTUI_API_URL is https://api.example.com/2.0, but the account zoe logged in against \(emulator.endpoints["api_url"]!)"
            ),
            (
                "BBTUI_TOKEN_URL", "https://example.com/token",
                "BBTUI_TOKEN_URL is https://example.com/token, but the account zoe"
            ),
        ] {
            var changed = environment
            changed[key] = value
            for command in [["whoami"], ["repos"], ["token"]] {
                let result = try await runBBTUI(command, environment: changed)
                #expect(result.status == 1, "\(command) with \(key)=\(value)")
                #expect(result.stderr.contains(expected), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
        }
        // The same URL with a trailing slash is the same server.
        environment["BBTUI_API_URL"] = emulator.endpoints["api_url"]! + "/"
        #expect(try await runBBTUI(["whoami"], environment: environment).status == 0)
    }
}

extension ListingCLITests {
    /// An account larger than an hour's requests: each `repos` completes workspaces in order and
    /// keeps them; the next (an hour later: the ledger emptied) refreshes those and goes on,
    /// until the listing is whole and exact.
    @Test func anAccountLargerThanAnHoursRequestsIsListedWholeOverSeveralRuns() async throws {
        let account = try await E2EAccount.loggedIn(["--repos", "20000", "--workspaces", "3"])
        defer { account.close() }
        var environment = account.environment
        let emulator = account.emulator
        // A whole listing takes about 206 requests (workspaces of 20, 80 and 100 pages): an hour of
        // 175 leaves it incomplete, and each run still has room for the next workspace even when
        // the first 48 requests in flight went to the largest.
        environment["BBTUI_REQUEST_LIMIT"] = "200"
        let ledger = RequestLedger(
            directory: StorePaths.resolve(environment: environment).cacheDirectory,
            clientID: emulator.endpoints["client_id"]!)
        var incomplete = 0
        var said: [String] = []
        for run in 1...4 {
            try? FileManager.default.removeItem(atPath: ledger.path)
            let result = try await runBBTUI(["repos", "--json"], environment: environment)
            if result.status == 0 {
                #expect(try listed(result) == (try await truth(emulator)))
                #expect(incomplete > 0, "the hour's budget never ran out: the test shows nothing")
                return
            }
            #expect(result.status == 2, "run \(run): \(result.stderr)")
            #expect(
                result.stderr.contains(
                    " listed whole is kept: the next `bbtui repos` refreshes it (one request) and lists the rest.")
                    || result.stderr.contains(
                        " workspaces listed whole are kept: the next `bbtui repos` refreshes them (one request each) and lists the rest."
                    ), "run \(run): \(result.stderr)")
            incomplete += 1
            said.append("run \(run): \(result.stderr)")
        }
        Issue.record("still incomplete after four runs:\n\(said.joined(separator: "\n"))")
    }

    @Test func bbtuiStopsShortOfTheHourlyLimitAndSaysWhatItSpent() async throws {
        let account = try await E2EAccount.loggedIn(["--repos", "600", "--workspaces", "2"])
        defer { account.close() }
        let environment = account.environment
        let emulator = account.emulator
        // 973 requests in the last hour (by this consumer, from any bbtui process).
        let ledger = RequestLedger(
            directory: StorePaths.resolve(environment: environment).cacheDirectory,
            clientID: emulator.endpoints["client_id"]!)
        let now = Date().timeIntervalSince1970
        let lines =
            (0..<973).map { String(format: "%.3f\n", now - 3000 + Double($0)) }.joined()
            + String(format: "%.3f\n", now - 7200)
        #expect(FileManager.default.createFile(atPath: ledger.path, contents: Data(lines.utf8)))
        #expect(ledger.usage().used == 973)

        let before = try await repositoryRequests(emulator)
        let result = try await runBBTUI(["repos", "--json"], environment: environment)
        // Two requests were left before the reserve of 25: the two first pages; the rest were
        // never sent, and the listing says it is partial.
        #expect(result.status == 2, "\(result.stderr)")
        #expect(try await repositoryRequests(emulator) - before == 2)
        #expect(
            result.stderr.contains(
                "bbtui has sent 975 of Bitbucket's 1000 repository requests this hour and stops here rather than run into the limit"
            ), "\(result.stderr)")
        #expect(result.stderr.contains("the listing is incomplete"))
        let status = try await runBBTUI(["status"], environment: environment)
        #expect(status.stdout.contains("975 of 1000 repository requests this hour"), "\(status.stdout)")
    }
}

/// Output that cannot be written is never dropped silently.
@Suite struct OutputFailureTests {
    /// `command` run by bash with `$BBTUI` the binary, logged in to an emulator.
    func shell(_ command: String, repositories: Int = 300) async throws -> Finished {
        let account = try await E2EAccount.loggedIn(["--repos", String(repositories)])
        defer { account.close() }
        var environment = account.environment
        environment["BBTUI"] = Binary.path
        return try await runProcess("/bin/bash", ["-c", command], environment: environment)
    }

    /// A full disk (or any failing write): said on stderr, exit 1, never a quiet exit 0.
    @Test(arguments: [["whoami"], ["repos"], ["repos", "--json"], ["emails", "--json"]])
    func aWriteThatFailsIsSaidAndExitsOne(_ arguments: [String]) async throws {
        let result = try await shell("\"$BBTUI\" \(arguments.joined(separator: " ")) > /dev/full")
        #expect(result.status == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr == "bbtui: could not write the output: No space left on device\n", "\(arguments)")
    }

    /// A reader that goes away (`| head`): bbtui ends as a pipeline's writer does, by SIGPIPE,
    /// quietly.
    @Test func aReaderThatGoesAwayEndsItQuietly() async throws {
        let result = try await shell(
            "\"$BBTUI\" repos --json 2>/tmp/bbtui-epipe-$$ | head -c 10 >/dev/null; status=${PIPESTATUS[0]}; cat /tmp/bbtui-epipe-$$; rm -f /tmp/bbtui-epipe-$$; exit $status",
            repositories: 3000)
        #expect(result.status == 141, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
