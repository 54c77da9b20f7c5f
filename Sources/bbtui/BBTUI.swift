import ArgumentParser
import BitbucketKit
import Foundation
import TerminalUI

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
            BrowseCommand.self, SetupCommand.self, LoginCommand.self, LogoutCommand.self, AccountsCommand.self,
            SwitchCommand.self,
            StatusCommand.self, TokenCommand.self, WhoamiCommand.self, EmailsCommand.self, ReposCommand.self,
            WorkspacesCommand.self, KeysCommand.self, CloneCommand.self, SetupGitCommand.self,
            GitCredentialCommand.self, DoctorCommand.self, DemoCommand.self, EmulatorCommand.self,
        ],
        defaultSubcommand: BrowseCommand.self
    )

    /// Every command runs with handlers that never let a terminating signal cut a token
    /// refresh between Bitbucket's answer and the store (`TokenCommitGuard`).
    static func main() async {
        TokenCommitGuard.installExitingHandlers()
        if let word = CommandLine.arguments.dropFirst().first, let message = unknownCommand(word) {
            printError(message)
            Foundation.exit(ExitStatus.usage)
        }
        await main(nil)
    }

    /// The names a first argument may be.
    static var commandNames: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }

    /// What to say when the first word is not a command (`bbtui doctor`): the browser takes no
    /// words, so ArgumentParser would only say "unexpected argument" under the browser's usage.
    static func unknownCommand(_ word: String) -> String? {
        guard !word.hasPrefix("-"), !commandNames.contains(word) else { return nil }
        return "bbtui: '\(Sanitizer.sanitize(word))' is not a bbtui command."
            + (EditDistance.nearest(to: word, among: commandNames).map { " Did you mean '\($0)'?" } ?? "")
            + " The commands: \(commandNames.joined(separator: ", ")) (`bbtui --help` describes each)."
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
