import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// `bbtui setup`: from an empty home to a saved, checked consumer, and then a login that needs
    /// nothing else; every unusable answer says why and saves nothing.
    @Suite struct SetupTests {
        /// An account whose environment names the servers but no consumer, with a config file that
        /// already holds a comment and a setting of the person's own.
        func freshAccount() throws -> (E2EAccount, key: String, secret: String, config: String) {
            let account = try E2EAccount()
            let (key, secret) = (
                account.environment["BITBUCKET_CLIENT_ID"]!, account.environment["BITBUCKET_CLIENT_SECRET"]!
            )
            account.environment["BITBUCKET_CLIENT_ID"] = nil
            account.environment["BITBUCKET_CLIENT_SECRET"] = nil
            let config = account.home.path + "/config"
            FileManager.default.createFile(
                atPath: config,
                contents: Data("# mine\nBBTUI_TIMEOUT = \"20\"   # seconds\n\nBITBUCKET_CLIENT_ID = \"old\"\n".utf8),
                attributes: [.posixPermissions: 0o600])
            return (account, key, secret, config)
        }

        @Test func aWrongSecretIsRefusedThenTheRightOneIsSavedAndLogsIn() async throws {
            let (account, key, secret, config) = try freshAccount()
            defer { account.close() }
            let before = try String(contentsOfFile: config, encoding: .utf8)

            let wrong = try await account.run(["setup", "--key", key], stdin: "not-the-secret\n")
            #expect(wrong.status == 1)
            #expect(
                wrong.stderr.contains("Bitbucket refused this Key and Secret (Invalid OAuth client credentials)"),
                "\(wrong.stderr)")
            #expect(wrong.stderr.hasSuffix("Nothing was saved.\n"), "\(wrong.stderr)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == before)

            let right = try await account.run(["setup", "--key", key], stdin: secret + "\n")
            #expect(right.status == 0, "\(right.stderr)")
            #expect(right.stdout.contains("Key and Secret accepted. Saved in \(config) (mode 0600)."))
            #expect(right.stdout.contains("callback URL must be exactly http://127.0.0.1:8976/callback"))
            // Every other line stays as it was; the key is replaced in place, the secret added.
            #expect(
                try String(contentsOfFile: config, encoding: .utf8)
                    == "# mine\nBBTUI_TIMEOUT = \"20\"   # seconds\n\nBITBUCKET_CLIENT_ID = \"\(key)\"\nBITBUCKET_CLIENT_SECRET = \"\(secret)\"\n"
            )
            let attributes = try FileManager.default.attributesOfItem(atPath: config)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: account.home.path).filter { $0.contains(".tmp-") }
                    .isEmpty)

            // The next step needs nothing else: the login reads the saved consumer.
            let login = try await loginByCLI(account.emulator, environment: account.environment)
            #expect(login.status == 0, "\(login.stderr)")
            #expect(try await account.run(["whoami"]).status == 0)
        }

        @Test(arguments: [
            ("", "the Secret is empty"),
            ("two words\n", "the Secret has a space in it"),
            ("quo\"te\n", "the Secret has a quote, backslash or control character in it"),
        ])
        func unusableInputExits64AndSavesNothing(stdin: String, message: String) async throws {
            let (account, key, _, config) = try freshAccount()
            defer { account.close() }
            let before = try String(contentsOfFile: config, encoding: .utf8)
            let result = try await account.run(["setup", "--key", key], stdin: stdin)
            #expect(result.status == 64)
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == before)
        }

        @Test func anUnreachableHostOrAProxysPageSaysSoAndSavesNothing() async throws {
            let (account, key, secret, config) = try freshAccount()
            defer { account.close() }
            let before = try String(contentsOfFile: config, encoding: .utf8)
            let (fd, port) = LoopbackSocket.listen()
            close(fd)
            account.environment["BBTUI_TOKEN_URL"] = "http://127.0.0.1:\(port)/site/oauth2/access_token"
            let unreachable = try await account.run(["setup", "--key", key], stdin: secret + "\n")
            #expect(unreachable.status == 1)
            #expect(
                unreachable.stderr.contains("Could not check the Key and Secret with 127.0.0.1"),
                "\(unreachable.stderr)")
            #expect(unreachable.stderr.contains("refused"))

            // A captive portal or proxy answering with its own page.
            let (portal, portalPort) = LoopbackSocket.listen()
            defer { close(portal) }
            let served = Thread {
                let connection = accept(portal, nil, nil)
                guard connection >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 65536)
                _ = read(connection, &buffer, buffer.count)
                let page = "<html><body>Sign in to the guest network</body></html>"
                let response = Array(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(page.utf8.count)\r\nConnection: close\r\n\r\n\(page)"
                        .utf8)
                _ = response.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                close(connection)
            }
            served.start()
            account.environment["BBTUI_TOKEN_URL"] = "http://127.0.0.1:\(portalPort)/site/oauth2/access_token"
            let html = try await account.run(["setup", "--key", key], stdin: secret + "\n")
            #expect(html.status == 1)
            #expect(html.stderr.contains("Nothing was saved."), "\(html.stderr)")
            #expect(html.stderr.contains("is not a token (not JSON)"), "\(html.stderr)")
            #expect(html.stderr.contains("a proxy may be in the way"))
            #expect(try String(contentsOfFile: config, encoding: .utf8) == before)
        }

        @Test func withoutATerminalTheKeyMustBeGiven() async throws {
            let (account, _, secret, _) = try freshAccount()
            defer { account.close() }
            // Without a controlling terminal (setsid), as under cron or CI.
            let result = try await runProcess(
                "/usr/bin/setsid", ["-w", Binary.path, "setup"], environment: account.environment, stdin: secret + "\n")
            #expect(result.status == 64)
            #expect(result.stderr.contains("give the Key with --key"), "\(result.stderr)")
        }
    }
}
