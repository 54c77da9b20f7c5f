/// Everything that shapes an emulator instance: where it listens, what account it serves, and
/// which faults it injects.
public struct EmulatorConfiguration: Sendable, Equatable {
    /// The address to bind; loopback unless asked otherwise.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port = 0
    /// Seed for the deterministic account data.
    public var seed: UInt64 = 1
    /// How many repositories, spread over the workspaces (up to 100,000).
    public var repositoryCount = 60
    /// How many workspaces, the personal one included.
    public var workspaceCount = 4
    /// How many SSH keys the account has (0: none).
    public var sshKeyCount = 4
    /// Delay added to every response.
    public var latency: Duration = .zero
    /// Lifetime of access tokens, reported as `expires_in`.
    public var tokenLifetime = 7200
    /// Share of API requests answered with an HTML 500/502/503.
    public var failureRate = 0.0
    /// Requests allowed per rolling hour on `/2.0/repositories/*`; nil for no limit.
    public var rateLimit: Int?
    /// The scopes the consumer was granted (its ticked permissions).
    public var scopes: [String] = ["account", "email", "repository"]
    /// The Atlassian account email an API token is sent with (HTTP Basic user name).
    public var apiTokenEmail = "zoe@example.com"
    /// The account's one API token (made at id.atlassian.com in real life).
    public var apiToken = "ATATT3xFfGF0emuApiToken4bbtuiDemo0do0not0use"
    /// The scopes chosen when the API token was made.
    public var apiTokenScopes = [
        "read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket", "read:ssh-key:bitbucket",
    ]
    /// Every authorization is denied, as if the person clicked "Deny".
    public var deniesAuthorization = false
    /// Mixes escape sequences, controls, bidi overrides and huge strings into the data.
    public var isHostile = false
    /// The consumer's registered callback URL.
    public var redirectURI = "http://127.0.0.1:8976/callback"
    /// The consumer key.
    public var clientID = "emuKey4bbtuiDemo01"
    /// The consumer secret.
    public var clientSecret = "emuSecret0bbtui0demo0do0not0use0"
    /// How long an authorization code stays valid.
    public var codeLifetime: Duration = .seconds(60)
    /// Send REST API bodies one byte per interval (a server that drips: every read timeout
    /// stays happy, only a deadline on the whole request ends it); nil sends at once.
    public var dripInterval: Duration?
    /// Serve at most this many items per page, whatever `pagelen` asks (as some endpoints and
    /// proxies do), reporting the real `pagelen`; nil for Bitbucket's own cap of 100.
    public var pageCap: Int?
    /// How long a rotated refresh token keeps working after its replacement was issued
    /// (Bitbucket's: about 10 minutes).
    public var refreshGrace: Duration = .seconds(600)
    /// How many characters access and refresh tokens have: real ones often exceed 2,500.
    public var tokenLength = 2_600
    /// How long the token endpoint holds its answer to a refresh after it has acted (tokens
    /// issued, the old refresh token replaced): an answer still on its way over a slow link.
    /// `POST /_emulator/release` lets held answers go at once, and ends the holding.
    public var refreshAnswerDelay: Duration = .zero
    /// Changes to make while listings run: each repository listing request first creates,
    /// deletes, renames, updates or moves one repository (in a cycle, deterministic from the
    /// seed), until this many changes were made.
    public var churn = 0
    /// Answer `role=member` on `/2.0/repositories/{workspace}` with 410, as some reports say
    /// Bitbucket now does.
    public var rejectsRoleFilter = false
    /// Name the token's scopes `scopes`, as responses before 2026-05-04 did, instead of `scope`.
    public var usesLegacyScopesField = false

    /// The default configuration: the account `bbtui demo` shows.
    public init() {}
}

/// Where a running emulator answers, and the consumer credentials that work with it.
public struct EmulatorEndpoints: Sendable, Equatable {
    public var authorizeURL: String
    public var tokenURL: String
    /// The REST API base, ending in `/2.0`.
    public var apiURL: String
    public var clientID: String
    public var clientSecret: String
    public var redirectURI: String
    /// The server's own base URL (scheme, host and port).
    public var baseURL: String
    /// The account's email and API token (HTTP Basic on the API).
    public var apiTokenEmail = ""
    public var apiToken = ""

    /// The one JSON line `bbtui emulator` prints on start.
    public var jsonLine: String {
        JSONValue.object([
            ("authorize_url", .string(authorizeURL)),
            ("token_url", .string(tokenURL)),
            ("api_url", .string(apiURL)),
            ("client_id", .string(clientID)),
            ("client_secret", .string(clientSecret)),
            ("redirect_uri", .string(redirectURI)),
            ("api_email", .string(apiTokenEmail)),
            ("api_token", .string(apiToken)),
        ]).serialized
    }
}
