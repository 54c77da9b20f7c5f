import ArgumentParser
import BitbucketKit
import Foundation

/// The `bbtui` command: the account browser, and its subcommands for scripts and tests.
@main
struct BBTUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bbtui",
        abstract: "A terminal account browser for Bitbucket Cloud.",
        discussion: """
            Without a subcommand, bbtui opens the full-screen browser (and the login screen when no \
            account is stored). Try `bbtui demo` for the whole program against a local emulator.
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            BrowseCommand.self, LoginCommand.self, LogoutCommand.self, AccountsCommand.self, SwitchCommand.self,
            StatusCommand.self, TokenCommand.self, WhoamiCommand.self, EmailsCommand.self, ReposCommand.self,
            WorkspacesCommand.self, KeysCommand.self, DemoCommand.self, EmulatorCommand.self,
        ],
        defaultSubcommand: BrowseCommand.self
    )

    /// Every command runs with handlers that never let a terminating signal cut a token
    /// refresh between Bitbucket's answer and the store (`TokenCommitGuard`).
    static func main() async {
        TokenCommitGuard.installExitingHandlers()
        await main(nil)
    }
}

/// `bbtui` / `bbtui browse`: the full-screen browser.
struct BrowseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "browse", abstract: "Open the full-screen account browser (the default).")

    func run() async throws {
        let status = await TUI.run(environment: ProcessInfo.processInfo.environment)
        if status != 0 { throw ExitCode(status) }
    }
}
