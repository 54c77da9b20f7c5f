import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// `bbtui doctor`: every line says how it is and how to fix it, and the exit status says
    /// whether everything needed is usable. Each part is broken in turn.
    @Suite struct DoctorTests {
        /// The doctor's JSON, by check name (status, detail, fix), and its exit status.
        func doctor(
            _ account: E2EAccount, extra: [String: String] = [:]
        ) async throws -> (
            checks: [String: [String: String]], status: Int32
        ) {
            let result = try await runBBTUI(
                ["doctor", "--json"],
                environment: account.environment.merging(["TERM": "xterm"].merging(extra) { $1 }) { $1 })
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                "\(result.stdout) \(result.stderr)")
            var checks: [String: [String: String]] = [:]
            for check in object["checks"] as? [[String: Any]] ?? [] {
                checks[check["check"] as? String ?? ""] = check.compactMapValues { $0 as? String }
            }
            #expect((object["ok"] as? Bool) == (result.status == 0))
            return (checks, result.status)
        }

        @Test func aHealthyAccountPassesEveryCheck() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let (checks, status) = try await doctor(account)
            #expect(status == 0, "\(checks)")
            for name in [
                "Token store", "OAuth consumer", "Account", "Pane: Profile", "Pane: Emails", "Pane: Workspaces",
                "Pane: Repositories", "Pane: SSH keys", "Clock", "Terminal", "Locale",
            ] {
                #expect(checks[name]?["status"] == "ok", "\(name): \(checks[name] ?? [:])")
            }
            #expect(checks["Account"]?["detail"]?.contains("Bitbucket accepted the token") == true)
            #expect(checks["Token store"]?["detail"]?.contains("(0600, in a 0700 directory)") == true)
        }

        @Test func aMissingPermissionIsNamedWithItsBox() async throws {
            let account = try E2EAccount(["--scopes", "account,repository"])
            defer { account.close() }
            // The login names it at once.
            let login = try await loginByCLI(account.emulator, environment: account.environment)
            #expect(login.status == 0)
            #expect(
                login.stderr.contains(
                    "bbtui: note: the Emails pane will not work: missing the email permission: tick Account: Email in the consumer"
                ),
                "\(login.stderr)")
            let (checks, status) = try await doctor(account)
            #expect(status == 1)
            #expect(checks["Pane: Emails"]?["status"] == "problem")
            #expect(
                checks["Pane: Emails"]?["detail"]
                    == "GET /user/emails: missing the email permission: tick Account: Email in the consumer, then log in again (only a new login receives new permissions)"
            )
            #expect(checks["Pane: Repositories"]?["status"] == "ok")
        }

        /// At login the repositories are judged from the token's scopes: named, with no request
        /// spent of the hour's repository budget.
        @Test func aLoginWithoutRepositoriesSaysSoAndSpendsNoRepositoryRequest() async throws {
            let account = try E2EAccount(["--scopes", "account,email"])
            defer { account.close() }
            let login = try await loginByCLI(account.emulator, environment: account.environment)
            #expect(login.status == 0)
            #expect(
                login.stderr.contains(
                    "bbtui: note: the Repositories pane will not work: missing the repository permission: tick Repositories: Read in the consumer"
                ),
                "\(login.stderr)")
            #expect(!login.stderr.contains("Emails pane"))
            let requests = try await account.emulator.stats()["requests"] as? [String: Int]
            #expect(requests?["GET /2.0/repositories/{workspace}"] == nil, "\(requests ?? [:])")
        }

        /// Hostile names and messages from the server reach the terminal escaped, in the doctor's
        /// lines and in status's pane rows.
        @Test func hostileDataNeverReachesTheTerminalRaw() async throws {
            let account = try await E2EAccount.loggedIn(["--hostile"])
            defer { account.close() }
            for command in [["doctor"], ["status", "--check"]] {
                let result = try await account.run(command)
                #expect(!result.stdout.isEmpty, "\(command)")
                #expect(
                    !result.stdout.unicodeScalars.contains {
                        $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x202E
                    },
                    "\(command): \(result.stdout)")
            }
        }

        @Test func notLoggedInSaysToLogIn() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let (checks, status) = try await doctor(account)
            #expect(status == 1)
            #expect(checks["Account"]?["detail"] == "not logged in")
            #expect(checks["Account"]?["fix"] == "bbtui login")
            #expect(checks["OAuth consumer"]?["status"] == "ok")
        }

        @Test func aWrongSecretOrNoConsumerPointsToSetup() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            var (checks, status) = try await doctor(account, extra: ["BITBUCKET_CLIENT_SECRET": "wrong"])
            #expect(status == 1)
            #expect(checks["OAuth consumer"]?["detail"]?.contains("Invalid OAuth client credentials") == true)
            #expect(checks["OAuth consumer"]?["fix"]?.hasPrefix("bbtui setup") == true)
            account.environment["BITBUCKET_CLIENT_ID"] = nil
            (checks, status) = try await doctor(account)
            #expect(status == 1)
            #expect(checks["OAuth consumer"]?["detail"]?.hasPrefix("BITBUCKET_CLIENT_ID is not set") == true)
        }

        @Test func aConfigFileOthersCanReadIsRefused() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let config = account.home.path + "/config"
            FileManager.default.createFile(
                atPath: config, contents: Data("BITBUCKET_CLIENT_SECRET = \"s\"\n".utf8),
                attributes: [.posixPermissions: 0o644])
            let (checks, status) = try await doctor(account)
            #expect(status == 1)
            #expect(checks["Config file"]?["status"] == "problem")
            #expect(checks["Config file"]?["detail"]?.contains("chmod 600") == true, "\(checks["Config file"] ?? [:])")
        }

        @Test func aHeldCallbackPortNamesItsHolder() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let (fd, port) = LoopbackSocket.listen()
            defer { close(fd) }
            let (checks, status) = try await doctor(
                account, extra: ["BBTUI_REDIRECT_URI": "http://127.0.0.1:\(port)/callback"])
            #expect(status == 0)
            #expect(checks["Callback port"]?["status"] == "warning")
            #expect(
                checks["Callback port"]?["detail"]?.contains("127.0.0.1:\(port) is held by") == true
                    && checks["Callback port"]?["detail"]?.contains("(pid \(getpid()))") == true,
                "\(checks["Callback port"] ?? [:])")
        }

        @Test func theTerminalLocaleAndSSHLinesSayWhatWorksHere() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            var (checks, status) = try await doctor(account, extra: ["TERM": "no-such-terminal"])
            #expect(status == 1)
            #expect(
                checks["Terminal"]?["detail"]
                    == "no terminfo entry for TERM=no-such-terminal: the full screen cannot start"
            )
            (checks, status) = try await doctor(
                account, extra: ["LANG": "C", "SSH_CONNECTION": "203.0.113.9 50000 10.0.0.2 22"])
            #expect(status == 0)
            #expect(checks["Locale"]?["status"] == "warning")
            #expect(checks["Locale"]?["fix"] == "export LANG=C.UTF-8")
            #expect(checks["Session"]?["detail"]?.hasPrefix("over SSH from 203.0.113.9") == true)
            #expect(checks["Session"]?["fix"] == "ssh -L 8976:127.0.0.1:8976 HOST")
        }

        /// `status --check` reports each pane too, and a missing permission by name.
        @Test func statusCheckReportsEachPane() async throws {
            let account = try await E2EAccount.loggedIn(["--scopes", "account,repository"])
            defer { account.close() }
            let result = try await account.run(["status", "--check", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let panes = try #require(object["panes"] as? [[String: Any]])
            #expect(
                panes.map { $0["pane"] as? String } == ["Profile", "Emails", "Workspaces", "Repositories", "SSH keys"])
            #expect(panes.map { $0["works"] as? Bool } == [true, false, true, true, true])
            #expect(panes[1]["missing_scopes"] as? [String] == ["email"])
            let text = try await account.run(["status", "--check"])
            let emails = text.stdout.split(separator: "\n").first { $0.hasPrefix("Pane: Emails ") }
            #expect(
                emails?.hasSuffix(
                    "missing the email permission: tick Account: Email in the consumer, then log in again (only a new login receives new permissions)"
                )
                    == true, "\(text.stdout)")
        }

        @Test func aStoreOthersCanReadIsAProblem() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            chmod(account.home.path + "/credentials.sqlite", 0o644)
            let (checks, status) = try await doctor(account)
            #expect(status == 1)
            #expect(checks["Token store"]?["status"] == "problem")
            #expect(checks["Token store"]?["detail"]?.contains("chmod 600") == true, "\(checks["Token store"] ?? [:])")
        }
    }
}

extension TUITests {
    /// Inside tmux, the doctor reads tmux's own set-clipboard and says what `y` can do.
    @Suite struct DoctorInTmuxTests {
        @Test func setClipboardOffIsNamedWithItsFix() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let output = account.home.path + "/doctor.json"
            let tmux = try Tmux(
                width: 100, height: 30,
                command: "tmux set -g set-clipboard off; '\(Binary.path)' doctor --json > '\(output)'",
                environment: account.environment, directory: account.home.path)
            defer { tmux.kill() }
            try #require(tmux.waitFor("EXITED:"), "\(tmux.capture())")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any]
            )
            let line = try #require((object["checks"] as? [[String: Any]])?.first { $0["check"] as? String == "tmux" })
            #expect(line["status"] as? String == "warning")
            #expect(line["detail"] as? String == "set-clipboard off: y cannot reach your clipboard through tmux")
            #expect(line["fix"] as? String == "tmux set -g set-clipboard on (and in ~/.tmux.conf)")
        }
    }
}
