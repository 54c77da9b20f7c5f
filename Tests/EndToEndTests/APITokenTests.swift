import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// Issue 19: an Atlassian API token as a second way in: `login --api-token`, sent as HTTP Basic
    /// with the email, never refreshed; its expiry and its missing scopes say what to do.
    @Suite struct APITokenTests {
        /// An account with no consumer at all, logged in with the emulator's API token.
        func apiTokenAccount(_ arguments: [String] = []) async throws -> E2EAccount {
            let account = try E2EAccount(arguments)
            account.environment["BITBUCKET_CLIENT_ID"] = nil
            account.environment["BITBUCKET_CLIENT_SECRET"] = nil
            let (email, token) = (account.emulator.endpoints["api_email"]!, account.emulator.endpoints["api_token"]!)
            let wrong = try await account.run(["login", "--api-token", "--email", email], stdin: "ATATT-not-it\n")
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("Bitbucket refused the email and API token (HTTP 401)"), "\(wrong.stderr)")
            let login = try await account.run(["login", "--api-token", "--email", email], stdin: token + "\n")
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stderr.contains("with an API token"))
            return account
        }

        @Test func everyCommandWorksWithAnAPITokenAndNoConsumer() async throws {
            let account = try await apiTokenAccount()
            defer { account.close() }
            let stored = try #require(try account.store().activeAccount())
            #expect(stored.token.isAPIToken)
            #expect(stored.token.basicUser == account.emulator.endpoints["api_email"])
            #expect(stored.token.refreshToken == nil)
            for command in [["whoami"], ["emails"], ["workspaces"], ["keys"], ["accounts"]] {
                let result = try await account.run(command)
                #expect(
                    result.status == 0 || (command == ["keys"] && result.status == 4), "\(command): \(result.stderr)")
            }
            let repos = try await account.run(["repos", "--json"])
            #expect(repos.status == 0, "\(repos.stderr)")
            #expect(try (JSONSerialization.jsonObject(with: Data(repos.stdout.utf8)) as? [Any])?.count == 60)
            let status = try await account.run(["status", "--check"])
            #expect(status.stdout.contains("an API token, and Bitbucket accepted it"), "\(status.stdout)")
            #expect(!status.stdout.contains("expires in"))
        }

        @Test func anExpiredTokenSaysWhereToMakeANewOne() async throws {
            let account = try await apiTokenAccount()
            defer { account.close() }
            try await account.emulator.post("/_emulator/api-token/expire")
            let result = try await account.run(["whoami"])
            #expect(result.status == 3)
            #expect(
                result.stderr
                    == "bbtui: Not authorised: Bitbucket refused the API token: it expired or was revoked. Make a new one at https://id.atlassian.com/manage-profile/security/api-tokens (app: Bitbucket, with the read scopes), then run `bbtui login --api-token`.\n"
            )
        }

        @Test func aMissingScopeIsNamedAsAnAPITokenScope() async throws {
            let account = try await apiTokenAccount([
                "--api-token-scopes", "read:user:bitbucket,read:workspace:bitbucket,read:ssh-key:bitbucket",
            ])
            defer { account.close() }
            let repos = try await account.run(["repos"])
            #expect(repos.status != 0)
            #expect(repos.stderr.contains("The API token lacks the read:repository:bitbucket scope"), "\(repos.stderr)")
            let status = try await account.run(["status", "--check", "--json"])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let panes = try #require(object["panes"] as? [[String: Any]])
            #expect(panes.map { $0["works"] as? Bool } == [true, true, true, false, true])
            #expect(
                (panes[3]["detail"] as? String)?.hasPrefix(
                    "missing the read:repository:bitbucket scope: make a new API token") == true)
        }

        @Test func withoutATerminalTheEmailMustBeGiven() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let result = try await runProcess(
                "/usr/bin/setsid", ["-w", Binary.path, "login", "--api-token"], environment: account.environment,
                stdin: "token\n")
            #expect(result.status == 64)
            #expect(result.stderr.contains("give the email with --email"), "\(result.stderr)")
        }
    }
}

extension TUITests {
    /// The browser with an API token: every pane as with OAuth, and the header says "API token"
    /// where an OAuth login counts down to its expiry.
    @Suite struct APITokenBrowserTests {
        @Test func theHeaderSaysAPITokenAndThePanesLoad() async throws {
            let account = try await APITokenTests().apiTokenAccount()
            defer { account.close() }
            let tmux = try account.tmux(width: 120)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
            let header = tmux.capture().split(separator: "\n").first.map(String.init) ?? ""
            #expect(header.contains("│ API token │"), "\(header)")
            #expect(!header.contains("token in"))
        }

        /// `t` on the login screen: the email and the token, a wrong token named, the right one
        /// opens the account, all in the full screen.
        @Test func tOnTheLoginScreenLogsInWithAnAPIToken() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let (email, token) = (account.emulator.endpoints["api_email"]!, account.emulator.endpoints["api_token"]!)
            let tmux = try account.tmux()
            defer { tmux.kill() }
            try #require(tmux.waitFor("3. Paste the code"), "login: \(tmux.capture())")
            tmux.keys("t")
            try #require(tmux.waitFor("Log in with an Atlassian API token"), "form: \(tmux.capture())")
            #expect(
                tmux.capture().split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains(
                    OAuthError.apiTokenPage))
            tmux.keys("i")
            tmux.type(email)
            tmux.keys("Enter")
            tmux.type("ATATT-wrong")
            tmux.keys("Enter")
            try #require(tmux.waitFor("Bitbucket refused the email and API token (HTTP 401)"), "\(tmux.capture())")
            #expect(!tmux.contains("ATATT-wrong"))
            tmux.keys("C-u")
            tmux.paste(token)
            tmux.keys("Enter")
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
            #expect(tmux.capture().split(separator: "\n").first?.contains("│ API token │") == true)
            #expect(try account.store().activeAccount()?.token.isAPIToken == true)
        }
    }
}
