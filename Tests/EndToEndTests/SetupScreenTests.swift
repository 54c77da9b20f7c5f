import BitbucketKit
import Foundation
import Testing

extension TUITests {
    /// Issue 19: with nothing configured, `bbtui` opens a setup screen, not a login screen that
    /// cannot work; a wrong Secret is named, the right one is saved, and the login URL appears on
    /// the same screen, with no restart.
    @Suite struct SetupScreenTests {
        @Test func fromAnEmptyHomeToTheRepositoriesWithoutEditingAFile() async throws {
            let account = try E2EAccount()
            defer { account.close() }
            let (key, secret) = (
                account.environment["BITBUCKET_CLIENT_ID"]!, account.environment["BITBUCKET_CLIENT_SECRET"]!
            )
            account.environment["BITBUCKET_CLIENT_ID"] = nil
            account.environment["BITBUCKET_CLIENT_SECRET"] = nil
            let tmux = try account.tmux(height: 32)
            defer { tmux.kill() }
            try #require(tmux.waitFor("First, an OAuth consumer for bbtui"), "setup: \(tmux.capture())")
            let screen = tmux.capture()
            // The steps, the callback URL alone on its row from column 0, the permissions, and
            // only keys that work here.
            #expect(screen.contains("Workspace settings → OAuth consumers → Add consumer"))
            #expect(screen.split(separator: "\n").contains("http://127.0.0.1:8976/callback"), "\(screen)")
            #expect(screen.contains("Repositories: Read"))
            #expect(screen.contains("copy URL"))
            #expect(!screen.contains("o open"))
            #expect(!screen.contains("w file"))

            // A wrong Secret first.
            tmux.keys("i")
            tmux.type(key)
            tmux.keys("Enter")
            tmux.type("wrong-secret-123")
            try #require(tmux.waitFor("•••••••••••••••• "), "masked: \(tmux.capture())")
            #expect(!tmux.contains("wrong-secret"))
            tmux.keys("Enter")
            try #require(
                tmux.waitFor("Bitbucket refused this Key and Secret (Invalid OAuth client credentials)"),
                "refused: \(tmux.capture())")
            let config = account.home.path + "/config"
            #expect(!FileManager.default.fileExists(atPath: config))

            // Then the right one, pasted: the login URL appears on the same screen.
            tmux.keys("C-u")
            tmux.paste(secret + "\n")
            tmux.keys("Enter")
            try #require(tmux.waitFor("Key and Secret accepted"), "saved: \(tmux.capture())")
            try #require(tmux.waitFor("3. Paste the code"), "login: \(tmux.capture())")
            #expect(
                try String(contentsOfFile: config, encoding: .utf8)
                    == "BITBUCKET_CLIENT_ID = \"\(key)\"\nBITBUCKET_CLIENT_SECRET = \"\(secret)\"\n")
            let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let redirect = try await account.emulator.approve(try #require(tmux.loginURL))
            tmux.paste(redirect)
            tmux.keys("Enter")
            try #require(tmux.waitFor("Repositories · 60"), "browser: \(tmux.capture())")
        }
    }
}
