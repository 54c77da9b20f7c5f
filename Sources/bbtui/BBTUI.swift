import ArgumentParser

/// The `bbtui` command: the account browser, and its subcommands for scripts and tests.
@main
struct BBTUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bbtui",
        abstract: "A terminal account browser for Bitbucket Cloud.",
        version: "0.1.0",
        subcommands: [EmulatorCommand.self]
    )
}
