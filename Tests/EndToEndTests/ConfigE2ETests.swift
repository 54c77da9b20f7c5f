import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// Issue 22 (its first part): a mistake in the config file is named with its line; a command
    /// exits 64, the full screen starts without the file and shows it.
    @Suite struct ConfigE2ETests {
        @Test func aCommandExits64AndNamesTheLine() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let config = account.home.path + "/config"
            try "# mine\nBBTUI_TIMOUT = \"3\"\n".write(toFile: config, atomically: true, encoding: .utf8)
            let result = try await account.run(["whoami"])
            #expect(result.status == 64)
            #expect(
                result.stderr == "bbtui: \(config):2: bbtui has no setting BBTUI_TIMOUT. Did you mean BBTUI_TIMEOUT?\n")
        }

        @Test func theFullScreenStartsWithoutTheFileAndSaysWhy() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            let config = account.home.path + "/config"
            try "BBTUI_TIMEOUT = \"30\"\nBBTUI_API_URL = https://example.org/2.0\n".write(
                toFile: config, atomically: true, encoding: .utf8)
            let tmux = try account.tmux(width: 120, height: 30)
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            try #require(tmux.waitFor("The config file was not used: \(config):2:"), "\(tmux.capture())")
            // `e` shows it whole, with what to write instead.
            tmux.keys("e")
            try #require(
                tmux.waitFor("(write the value in quotes: BBTUI_API_URL = \"https://example.org/2.0\")"),
                "\(tmux.capture())")
        }
    }
}
