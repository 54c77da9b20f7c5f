import ArgumentParser
import BitbucketEmulator
import Foundation
import TerminalUI

#if canImport(Glibc)
import Glibc
#endif

/// `bbtui emulator`: a local Bitbucket Cloud for demos, tests and trying bbtui without an account.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local Bitbucket Cloud emulator (OAuth and REST API 2.0).",
        discussion: """
            Prints one JSON line with authorize_url, token_url, api_url, client_id, client_secret and \
            redirect_uri, then serves until SIGINT or SIGTERM. Point bbtui at it with \
            BBTUI_AUTHORIZE_URL, BBTUI_TOKEN_URL, BBTUI_API_URL, BITBUCKET_CLIENT_ID and \
            BITBUCKET_CLIENT_SECRET. GET /_emulator/stats reports request counts.
            """
    )

    @Option(help: "Address to bind (loopback unless told).") var host = "127.0.0.1"
    @Option(help: "Port; 0 picks a free one.") var port = 0
    @Option(help: "Seed for the deterministic account data.") var seed: UInt64 = 1
    @Option(help: "Number of repositories (up to 100000).") var repos = 60
    @Option(help: "Number of workspaces, the personal one included.") var workspaces = 4
    @Option(help: "Delay added to every response, in milliseconds.") var latency = 0
    @Option(name: .customLong("token-ttl"), help: "Access token lifetime in seconds.") var tokenTTL = 7200
    @Option(name: .customLong("fail-rate"), help: "Share of API requests (0...1) answered with an HTML 5xx.")
    var failRate = 0.0
    @Option(name: .customLong("rate-limit"), help: "Requests per rolling hour on /2.0/repositories/* before 429.")
    var rateLimit: Int?
    @Option(help: "Comma-separated scopes the consumer grants (account,email,repository).") var scopes =
        "account,email,repository"
    @Option(
        name: .customLong("api-token-scopes"),
        help: "Comma-separated scopes of the account's API token (read:user:bitbucket,…).")
    var apiTokenScopes = "read:user:bitbucket,read:workspace:bitbucket,read:repository:bitbucket,read:ssh-key:bitbucket"
    @Flag(help: "Deny every authorization (access_denied).") var deny = false
    @Flag(help: "Mix hostile strings (escape sequences, bidi overrides, huge text) into the data.") var hostile = false
    @Option(name: .customLong("redirect-uri"), help: "The consumer's registered callback URL.") var redirectURI =
        "http://127.0.0.1:8976/callback"
    @Flag(name: .customLong("reject-role"), help: "Answer role=member on /2.0/repositories/{workspace} with 410.")
    var rejectRole = false
    @Flag(
        name: .customLong("legacy-scopes-field"),
        help: "Name the token's scopes 'scopes' (responses before 2026-05-04).") var legacyScopes = false
    @Option(
        name: .customLong("refresh-grace"), help: "Seconds a rotated refresh token keeps working (0: it dies at once).")
    var refreshGrace = 600.0
    @Option(
        name: .customLong("token-length"),
        help: "Characters in access and refresh tokens (real ones often exceed 2,500).") var tokenLength = 2_600
    @Option(
        name: .customLong("refresh-answer-delay-ms"),
        help: "Hold each refresh's answer N ms after the token endpoint has acted (POST /_emulator/release lets it go)."
    )
    var refreshAnswerDelay = 0
    @Option(
        name: .customLong("drip-ms"),
        help: "Send REST API bodies one byte every N milliseconds (a server that never quite answers).")
    var dripMilliseconds: Int?
    @Option(name: .customLong("ssh-keys"), help: "How many SSH keys the account has (0: none).") var sshKeys: Int = 4
    @Option(
        name: .customLong("churn"),
        help:
            "Make N changes to the account while listings run (one per repository listing request): creations, deletions, renames, updates and moves, deterministic from the seed."
    ) var churn: Int = 0
    @Option(
        name: .customLong("page-cap"),
        help: "Serve at most N items per page whatever pagelen asks, reporting the real pagelen.") var pageCap: Int?

    func validate() throws {
        guard (0...100_000).contains(repos) else { throw ValidationError("--repos must be between 0 and 100000.") }
        guard workspaces >= 1 else { throw ValidationError("--workspaces must be at least 1.") }
        guard (0.0...1.0).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1.") }
        guard tokenTTL >= 1 else { throw ValidationError("--token-ttl must be at least 1 second.") }
        guard latency >= 0 else { throw ValidationError("--latency cannot be negative.") }
        guard refreshGrace >= 0, refreshGrace.isFinite else {
            throw ValidationError("--refresh-grace cannot be negative.")
        }
        if let pageCap, pageCap < 1 { throw ValidationError("--page-cap must be at least 1.") }
        guard (16...65_536).contains(tokenLength) else {
            throw ValidationError("--token-length must be between 16 and 65536.")
        }
        guard refreshAnswerDelay >= 0 else { throw ValidationError("--refresh-answer-delay-ms cannot be negative.") }
    }

    var emulatorConfiguration: EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.seed = seed
        configuration.repositoryCount = repos
        configuration.workspaceCount = workspaces
        configuration.latency = .milliseconds(latency)
        configuration.tokenLifetime = tokenTTL
        configuration.failureRate = failRate
        configuration.rateLimit = rateLimit
        configuration.scopes = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        configuration.apiTokenScopes = apiTokenScopes.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        configuration.deniesAuthorization = deny
        configuration.isHostile = hostile
        configuration.redirectURI = redirectURI
        configuration.rejectsRoleFilter = rejectRole
        configuration.usesLegacyScopesField = legacyScopes
        configuration.refreshGrace = .milliseconds(Int64(refreshGrace * 1000))
        configuration.tokenLength = tokenLength
        configuration.refreshAnswerDelay = .milliseconds(refreshAnswerDelay)
        configuration.pageCap = pageCap
        configuration.churn = max(0, churn)
        configuration.sshKeyCount = max(0, min(sshKeys, 1_000))
        configuration.dripInterval = dripMilliseconds.map { .milliseconds(max(1, $0)) }
        return configuration
    }

    func run() async throws {
        let emulator = BitbucketEmulator(configuration: emulatorConfiguration)
        do {
            try await emulator.run { endpoints in
                writeLine(endpoints.jsonLine, to: STDOUT_FILENO)
            }
        } catch {
            printError("bbtui emulator: could not serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }
}
