import Synchronization

/// Request counts and concurrency, served at `GET /_emulator/stats` for tests and benchmarks.
public struct EmulatorStats: Sendable, Equatable {
    /// Requests per route, keyed like `GET /2.0/repositories/{workspace}`.
    public var requests: [String: Int] = [:]
    /// The most requests in flight at once.
    public var peakConcurrency = 0
    /// Token grants issued, by grant type.
    public var grants: [String: Int] = [:]
    /// Refresh tokens used again after they had been rotated (within the grace period).
    public var refreshTokenReuses = 0
    /// Requests answered 429.
    public var rateLimited = 0
    /// Requests answered with an injected 5xx.
    public var injectedFailures = 0
    /// Requests answered 304 (`If-None-Match` named the current page).
    public var notModified = 0

    var json: JSONValue {
        .object([
            ("requests", .object(requests.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("total_requests", .int(requests.values.reduce(0, +))),
            ("peak_concurrency", .int(peakConcurrency)),
            ("grants", .object(grants.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("refresh_token_reuses", .int(refreshTokenReuses)),
            ("rate_limited", .int(rateLimited)),
            ("injected_failures", .int(injectedFailures)),
            ("not_modified", .int(notModified)),
        ])
    }
}

/// The emulator's brain: routes a request to the OAuth or REST handlers, keeps tokens, codes,
/// counters and fault state. Framework-free, so contract tests can also call it directly.
public final class EmulatorCore: Sendable {
    let configuration: EmulatorConfiguration
    /// The account, and the churn that changes it (`--churn`, `POST /_emulator/churn`).
    let live: Mutex<LiveData>
    /// A consistent snapshot of the account (copy-on-write: taking one copies nothing).
    var data: EmulatorData { live.withLock { $0.data } }
    let state: Mutex<MutableState>
    let clock = ContinuousClock()
    /// Sorted orders of repository indices, computed once per workspace and sort key.
    let sortCache = Mutex<[String: [Int]]>([:])
    /// Filled in once the server knows its port.
    let base = Mutex<String>("http://127.0.0.1")
    /// The repositories served over git's smart HTTP, made on first access.
    let git = EmulatorGit()

    struct CodeRecord {
        var redirectURI: String?
        var challenge: String?
        var challengeMethod: String?
        var issuedAt: ContinuousClock.Instant
        var isUsed = false
    }

    struct AccessRecord {
        var expiresAt: ContinuousClock.Instant
        var scopes: [String]
    }

    struct RefreshRecord {
        var issuedAt: ContinuousClock.Instant
        var rotatedAt: ContinuousClock.Instant?
    }

    struct MutableState {
        var random: SeededRandom
        var codes: [String: CodeRecord] = [:]
        var accessTokens: [String: AccessRecord] = [:]
        /// The API token expired or was revoked (`POST /_emulator/api-token/expire`).
        var apiTokenRevoked = false
        var refreshTokens: [String: RefreshRecord] = [:]
        var stats = EmulatorStats()
        var inFlight = 0
        /// Bumped by `POST /_emulator/release`: held refresh answers go.
        var releaseGeneration = 0
        /// Refresh answers are held (`POST /_emulator/hold`, or `refreshAnswerDelay` set).
        var holdsRefreshAnswers = false
        var rateWindow: [ContinuousClock.Instant] = []
    }

    /// Creates the core and generates its account data.
    public init(configuration: EmulatorConfiguration) {
        self.configuration = configuration
        let data = EmulatorData.make(
            seed: configuration.seed,
            repositoryCount: min(max(0, configuration.repositoryCount), 100_000),
            workspaceCount: max(1, configuration.workspaceCount),
            hostile: configuration.isHostile,
            sshKeyCount: configuration.sshKeyCount
        )
        live = Mutex(
            LiveData(data: data, churn: Churn(seed: configuration.seed, pending: configuration.churn, data: data)))
        var initial = MutableState(random: SeededRandom(seed: configuration.seed ^ 0x5EED))
        initial.holdsRefreshAnswers = configuration.refreshAnswerDelay > .zero
        state = Mutex(initial)
    }

    /// Sets the base URL (`http://host:port`) used in links and `next`.
    public func setBaseURL(_ url: String) {
        base.withLock { $0 = url }
    }

    var baseURL: String { base.withLock { $0 } }
    var apiBase: String { baseURL + "/2.0" }

    /// The endpoints for the current base URL.
    public var endpoints: EmulatorEndpoints {
        EmulatorEndpoints(
            authorizeURL: baseURL + "/site/oauth2/authorize",
            tokenURL: baseURL + "/site/oauth2/access_token",
            apiURL: apiBase,
            clientID: configuration.clientID,
            clientSecret: configuration.clientSecret,
            redirectURI: configuration.redirectURI,
            baseURL: baseURL,
            apiTokenEmail: configuration.apiTokenEmail,
            apiToken: configuration.apiToken
        )
    }

    /// A snapshot of the counters.
    public var stats: EmulatorStats { state.withLock { $0.stats } }

    // MARK: - Routing

    /// Answers one request.
    public func respond(to request: EmulatorRequest) async -> EmulatorResponse {
        let route = routeKey(for: request)
        state.withLock { state in
            state.stats.requests[route, default: 0] += 1
            state.inFlight += 1
            state.stats.peakConcurrency = max(state.stats.peakConcurrency, state.inFlight)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if configuration.latency > .zero, !request.path.hasPrefix("/_emulator") {
            try? await Task.sleep(for: configuration.latency)
        }
        if request.path == "/_emulator/wait" { return await wait(request) }
        // Whether to hold is decided before the endpoint acts: a release that comes right after
        // (a test that saw the grant) must find this answer already counted as held.
        let hold = state.withLock { $0.holdsRefreshAnswers ? $0.releaseGeneration : nil }
        let response = dispatch(request, key: route)
        if let hold, request.path == "/site/oauth2/access_token",
            FormEncoding.decode(String(decoding: request.body, as: UTF8.self)).contains(where: {
                $0 == ("grant_type", "refresh_token")
            })
        {
            await holdTokenAnswer(until: hold)
        }
        return response
    }

    /// Holds a refresh's answer for `refreshAnswerDelay`, or until `POST /_emulator/release` lets every
    /// held answer go (a test then knows the client is between the server's action and its answer
    /// for exactly as long as it needs, however loaded the machine is).
    private func holdTokenAnswer(until generation: Int) async {
        let limit = configuration.refreshAnswerDelay > .zero ? configuration.refreshAnswerDelay : .seconds(30)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, state.withLock({ $0.releaseGeneration }) == generation {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// `GET /_emulator/wait?grant=refresh_token&count=N&timeout_ms=T`: answers once N grants of
    /// that kind were issued (200), or after T milliseconds (408), so a test can act at the
    /// moment the server has replaced a token without looking again and again.
    private func wait(_ request: EmulatorRequest) async -> EmulatorResponse {
        let grant = request.queryValue("grant") ?? "refresh_token"
        let count = request.queryValue("count").flatMap(Int.init) ?? 1
        let timeout = Duration.milliseconds(request.queryValue("timeout_ms").flatMap(Int.init) ?? 10_000)
        let deadline = ContinuousClock.now + timeout
        while true {
            let issued = stats.grants[grant, default: 0]
            if issued >= count { return .json(200, .object([("grants", .int(issued))])) }
            if ContinuousClock.now >= deadline { return .json(408, .object([("grants", .int(issued))])) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func dispatch(_ request: EmulatorRequest, key: String) -> EmulatorResponse {
        let path = request.path
        if path.hasPrefix("/_emulator/") { return control(request) }
        if path == "/site/oauth2/authorize" {
            // HEAD too, so `curl -sI URL` shows the redirect carrying the code.
            return request.method == "GET" || request.method == "HEAD"
                ? authorize(request) : .text(405, "Method Not Allowed")
        }
        if path == "/site/oauth2/access_token" {
            return request.method == "POST" ? token(request) : .text(405, "Method Not Allowed")
        }
        guard path.hasPrefix("/2.0/") || path == "/2.0" else {
            return .text(404, "<html><body><h1>404 Not Found</h1></body></html>", type: "text/html")
        }
        if let failure = injectedFailure() { return failure }
        return api(request, routeKey: key)
    }

    /// The stats key of a request: its method and path with identifiers replaced by names.
    func routeKey(for request: EmulatorRequest) -> String {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var pattern = parts
        if parts.count >= 2, parts[0] == "2.0" {
            if parts[1] == "repositories" {
                if parts.count >= 3 { pattern[2] = "{workspace}" }
                if parts.count >= 4 { pattern[3] = "{repo_slug}" }
            } else if parts[1] == "workspaces", parts.count >= 3 {
                pattern[2] = "{workspace}"
            } else if parts[1] == "users", parts.count >= 3 {
                pattern[2] = "{selected_user}"
            }
        }
        return request.method + " /" + pattern.joined(separator: "/")
    }

    private func injectedFailure() -> EmulatorResponse? {
        guard configuration.failureRate > 0 else { return nil }
        let (fails, status) = state.withLock { state -> (Bool, Int) in
            let fails = state.random.chance(configuration.failureRate)
            if fails { state.stats.injectedFailures += 1 }
            return (fails, [500, 502, 503][state.random.int(0..<3)])
        }
        guard fails else { return nil }
        let title =
            status == 500 ? "500 Internal Server Error" : status == 502 ? "502 Bad Gateway" : "503 Service Unavailable"
        return .text(
            status,
            "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n</body>\r\n</html>\r\n",
            type: "text/html")
    }

    // MARK: - Control endpoints (not part of Bitbucket)

    private func control(_ request: EmulatorRequest) -> EmulatorResponse {
        switch (request.method, request.path) {
        case ("GET", "/_emulator/stats"):
            return .json(200, stats.json)
        case ("POST", "/_emulator/release"):
            // Every held refresh answer goes now, and none is held after.
            state.withLock { state in
                state.releaseGeneration += 1
                state.holdsRefreshAnswers = false
            }
            return .json(200, .object([("released", .bool(true))]))
        case ("POST", "/_emulator/hold"):
            // From now on, each refresh's answer is held after the endpoint has acted, until
            // `release` (or `refreshAnswerDelay`, 30 s by default).
            state.withLock { $0.holdsRefreshAnswers = true }
            return .json(200, .object([("holding", .bool(true))]))
            return .json(200, .object([("released", .bool(true))]))
        case ("POST", "/_emulator/expire-tokens"):
            // Every access token expires now, as if its lifetime had passed.
            state.withLock { state in
                for key in state.accessTokens.keys { state.accessTokens[key]?.expiresAt = clock.now }
            }
            return .json(200, .object([("expired", .bool(true))]))
        case ("POST", "/_emulator/api-token/expire"):
            // The API token reached its expiry (or was revoked at id.atlassian.com).
            state.withLock { $0.apiTokenRevoked = true }
            return .json(200, .object([("expired", .bool(true))]))
        case ("POST", "/_emulator/revoke"):
            // The person revoked access in Bitbucket's settings: every token dies.
            state.withLock { state in
                state.accessTokens.removeAll()
                state.refreshTokens.removeAll()
            }
            return .json(200, .object([("revoked", .bool(true))]))
        case ("POST", "/_emulator/churn"):
            // Changes the account now (`now=N` changes, `kind=delete` etc. for one kind only) or
            // during the next listings (`during=N`, one change per repository listing request),
            // deterministically from the seed.
            let now = request.queryValue("now").flatMap(Int.init) ?? 0
            let during = request.queryValue("during").flatMap(Int.init) ?? 0
            let only = request.queryValue("kind").flatMap(Churn.Kind.init(rawValue:))
            let changes = churn(now: max(0, now), queue: max(0, during), only: only)
            return .json(200, .object([("changes", .array(changes.map(JSONValue.string)))]))
        case ("GET", "/_emulator/repositories"):
            // The truth, for tests: every repository that exists now, by uuid and full name.
            let data = self.data
            let values: [JSONValue] = data.repositories.filter { !$0.isDeleted }.map {
                .object([
                    ("uuid", .string($0.uuid)),
                    ("full_name", .string("\(data.workspaces[$0.workspace].slug)/\($0.slug)")),
                    ("updated_on", .string(ISODate.format($0.updatedOn))),
                ])
            }
            return .json(200, .object([("size", .int(values.count)), ("values", .array(values))]))
        case ("POST", "/_emulator/authorize"):
            // Approves without a browser: returns a fresh code as the redirect would carry it.
            let items = request.queryItems
            let code = issueCode(redirectURI: items.first { $0.0 == "redirect_uri" }?.1, challenge: nil, method: nil)
            return .json(200, .object([("code", .string(code))]))
        default:
            return .text(404, "Not Found")
        }
    }
}
