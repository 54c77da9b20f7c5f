import ArgumentParser
import BitbucketEmulator
import Foundation

/// `bbtui demo`: the whole program against a private emulator, with a temporary store.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run bbtui against a built-in Bitbucket emulator (no account needed).",
        discussion: """
            Starts a private emulator on a free loopback port and a temporary store that is deleted \
            on exit; your real store is never touched. Log in as on Bitbucket: open the URL (or run \
            the curl command shown), then paste the redirect.
            """
    )

    @Option(help: "Number of repositories (up to 100000).") var repos = 60
    @Option(help: "Delay added to every emulator response, in milliseconds.") var latency = 0
    @Flag(help: "Mix hostile strings (escape sequences, bidi overrides) into the data.") var hostile = false
    @Option(name: .customLong("token-ttl"), help: "Access token lifetime in seconds.") var tokenTTL = 7200
    @Option(help: "Comma-separated scopes the consumer grants.") var scopes = "account,email,repository"
    @Option(help: "Seed for the account data.") var seed: UInt64 = 1

    func validate() throws {
        guard (0...100_000).contains(repos) else { throw ValidationError("--repos must be between 0 and 100000.") }
        guard tokenTTL >= 1 else { throw ValidationError("--token-ttl must be at least 1 second.") }
        guard latency >= 0 else { throw ValidationError("--latency cannot be negative.") }
    }

    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.repositoryCount = repos
        configuration.latency = .milliseconds(latency)
        configuration.isHostile = hostile
        configuration.tokenLifetime = tokenTTL
        configuration.scopes = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        configuration.seed = seed
        let emulator = BitbucketEmulator(configuration: configuration)
        let endpoints: EmulatorEndpoints
        do {
            endpoints = try await emulator.start()
        } catch {
            printError("bbtui demo: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        let home = try makeTemporaryHome()
        defer { try? FileManager.default.removeItem(atPath: home) }
        var environment = ProcessInfo.processInfo.environment
        for key in ["BBTUI_REDIRECT_URI", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"] { environment[key] = nil }
        environment["BBTUI_HOME"] = home
        environment["BITBUCKET_CLIENT_ID"] = endpoints.clientID
        environment["BITBUCKET_CLIENT_SECRET"] = endpoints.clientSecret
        environment["BBTUI_AUTHORIZE_URL"] = endpoints.authorizeURL
        environment["BBTUI_TOKEN_URL"] = endpoints.tokenURL
        environment["BBTUI_API_URL"] = endpoints.apiURL
        let status = await TUI.run(environment: environment, isDemo: true)
        await emulator.stop()
        if status != 0 { throw ExitCode(status) }
    }

    private func makeTemporaryHome() throws -> String {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        var template = Array((base + "/bbtui-demo-XXXXXX").utf8CString)
        guard let pointer = mkdtemp(&template) else {
            printError("bbtui demo: could not create a temporary directory in \(base)")
            throw ExitCode(ExitStatus.failure)
        }
        return String(cString: pointer)
    }
}
