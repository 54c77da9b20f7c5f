import App
import BitbucketEmulator
import BitbucketKit
import Foundation
import NcursesTerminal
import Synchronization
import TerminalUI

// bbtui's benchmarks. Run in release: `swift run -c release BBTUIBench [section …]`.
// Sections: table, keystroke, filter, bytes, refresh, pages, decode, keys, memory, startup, idle.

let requested = Set(CommandLine.arguments.dropFirst())
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

let now = Date(timeIntervalSince1970: 1_795_000_000)
let words = [
    "api", "gateway", "infra", "billing", "search", "mobile", "web", "auth", "payments", "docs", "cli", "sdk", "ml",
    "pipeline",
]

func makeRepositories(_ count: Int) -> [Repository] {
    (0..<count).map { index in
        let name = words[index % words.count] + "-" + words[(index / words.count) % words.count] + "-\(index)"
        let workspace = ["acme-platform", "data-science", "mobile-guild", "ops"][index % 4]
        return Repository(
            uuid: "{\(index)}", name: name, slug: name, fullName: "\(workspace)/\(name)", workspaceSlug: workspace,
            description: index % 3 == 0 ? "" : "Service for \(words[index % 7]) and \(words[index % 11]).",
            isPrivate: index % 3 != 0,
            language: ["swift", "go", "python", "rust", ""][index % 5], size: Int64(index * 7919 % 5_000_000_000),
            createdOn: now.addingTimeInterval(-Double(index % 5000) * 86_400),
            updatedOn: now.addingTimeInterval(-Double((index * 37) % 100_000) * 600),
            cloneHTTPS: "https://zoe@bitbucket.org/\(workspace)/\(name).git",
            cloneSSH: "git@ssh.bitbucket.org:\(workspace)/\(name).git",
            webURL: "https://bitbucket.org/\(workspace)/\(name)"
        )
    }
}

func browserState(repositories: [Repository], size: Size) -> AppState {
    var browser = BrowserState(
        account: AccountSummary(
            id: "{u}", username: "zoe", displayName: "Zoë Ångström-李", tokenExpiresAt: now.addingTimeInterval(7000),
            storePath: "~/.config/bbtui"))
    browser.repositories.replaceAll(repositories)
    browser.repositories.progress = .done(fetchedAt: now, isCached: false)
    return AppState(page: .browser(browser), size: size, now: now, environment: Environment())
}

print("# bbtui benchmarks (\(ProcessInfo.processInfo.processorCount) cores)")

// MARK: - Table frame cost is independent of the row count

if wants("table") {
    let columns = [
        TableColumn("Name", width: .fill(3)), TableColumn("Workspace", width: .fill(2)),
        TableColumn("Access", width: .fixed(7)),
        TableColumn("Language", width: .fixed(10)), TableColumn("Updated", width: .fixed(10)),
        TableColumn("Size", width: .fixed(8), alignment: .right),
    ]
    for count in [100, 100_000] {
        let rows = makeRepositories(count).map {
            [$0.name, $0.workspaceSlug, $0.isPrivate ? "private" : "public", $0.language, "3 d ago", "1.2 GB"]
        }
        var state = ListState(selected: count / 2)
        var screen = Screen(size: Size(width: 200, height: 60))
        let stats = measure(iterations: 300) {
            screen.clear()
            Table(columns: columns).render(
                into: &screen, area: screen.bounds, count: rows.count, state: &state, row: { rows[$0] })
        }
        report("table frame 200×60, \(count) rows", stats.summary)
    }
}

// MARK: - One keystroke, and one filter keystroke, over 100,000 repositories

if wants("keystroke") || wants("filter") {
    let repositories = makeRepositories(100_000)
    var state = browserState(repositories: repositories, size: Size(width: 100, height: 30))
    if wants("keystroke") {
        var flip = false
        let stats = measure(iterations: 500) {
            flip.toggle()
            _ = Update.update(&state, .event(.key(.character(flip ? "j" : "k"))))
            _ = AppView.render(state)
        }
        report("keystroke (j/k) update + render 100×30, 100,000 repositories", stats.summary)
        let paging = measure(iterations: 200) {
            flip.toggle()
            _ = Update.update(&state, .event(.key(flip ? .pageDown : .pageUp)))
            _ = AppView.render(state)
        }
        report("page down/up update + render, 100,000 repositories", paging.summary)
    }
    if wants("filter") {
        _ = Update.update(&state, .event(.key(.character("/"))))
        let first = measure(iterations: 30, warmup: 2) {
            _ = Update.update(&state, .event(.key(.character("g"))))
            _ = AppView.render(state)
            _ = Update.update(&state, .event(.key(.backspace)))
        }
        report(
            "filter: type 'g' into an empty filter, then backspace (2 keystrokes, 2 full passes, 2 renders), 100,000",
            first.summary)
        _ = Update.update(&state, .event(.key(.character("g"))))
        let narrowing = measure(iterations: 30, warmup: 2) {
            _ = Update.update(&state, .event(.key(.character("a"))))
            _ = AppView.render(state)
            _ = Update.update(&state, .event(.key(.backspace)))
        }
        report("filter: 'g' → 'ga' (narrowing) and backspace (full pass), with a render, 100,000", narrowing.summary)
        let typing = measure(iterations: 30, warmup: 2) {
            for c in "pay" { _ = Update.update(&state, .event(.key(.character(c)))) }
            _ = AppView.render(state)
            for _ in 0..<3 { _ = Update.update(&state, .event(.key(.backspace))) }
        }
        report("filter: type 'pay' after 'g' and delete it again (6 keystrokes, one render), 100,000", typing.summary)
    }
}

// MARK: - Bytes written to the terminal

if wants("bytes") {
    setlocale(LC_ALL, "C.UTF-8")
    let pty = PseudoTerminal(width: 100, height: 30)
    let terminal = try NcursesTerminal(
        inputFD: pty.slave, outputFD: pty.slave, environment: ["TERM": "xterm-256color"], setsLocale: false)
    var state = browserState(repositories: makeRepositories(1000), size: terminal.size)
    func frame() -> Int {
        terminal.draw(AppView.render(state))
        return pty.drain().count
    }
    report("first paint 100×30 (browser, 1,000 repositories)", "\(frame()) bytes")
    var moves: [Int] = []
    for _ in 0..<10 {
        _ = Update.update(&state, .event(.key(.character("j"))))
        moves.append(frame())
    }
    report(
        "move the selection one row",
        "\(moves.sorted()[moves.count / 2]) bytes (median of 10; min \(moves.min()!), max \(moves.max()!))")
    var pages: [Int] = []
    for _ in 0..<5 {
        _ = Update.update(&state, .event(.key(.pageDown)))
        pages.append(frame())
    }
    report("page down", "\(pages.sorted()[pages.count / 2]) bytes (median of 5)")
    _ = Update.update(&state, .event(.key(.character("2"))))
    report("switch pane (repositories → emails)", "\(frame()) bytes")
    terminal.restore()
}

// MARK: - Parallel pages against following `next`, at 50 ms latency

/// Starts an emulator and logs in over HTTP; returns the emulator and an authorized client.
func emulatorSession(
    _ configure: (inout EmulatorConfiguration) -> Void
) async throws -> (BitbucketEmulator, EmulatorEndpoints, BitbucketClient, any HTTPTransport) {
    var configuration = EmulatorConfiguration()
    configure(&configuration)
    let emulator = BitbucketEmulator(configuration: configuration)
    let endpoints = try await emulator.start()
    let transport = AsyncHTTPClientTransport(requestTimeout: .seconds(120))
    let oauth = OAuthConfiguration(
        clientID: endpoints.clientID, clientSecret: endpoints.clientSecret,
        authorizeURL: URL(string: endpoints.authorizeURL)!, tokenURL: URL(string: endpoints.tokenURL)!,
        apiURL: URL(string: endpoints.apiURL)!)
    let request = AuthorizationRequest.make(configuration: oauth)
    let redirect = try await transport.send(HTTPRequest(url: request.url)).headers["location"] ?? ""
    let code = try PastedAuthorization.code(from: redirect, expectedState: request.state).get()
    let token = try await TokenClient(configuration: oauth, transport: transport).exchange(code: code, for: request)
    let authorized = AuthorizedTransport(base: transport, tokens: StaticTokenSource(token), apiURL: oauth.apiURL)
    return (emulator, endpoints, BitbucketClient(transport: authorized, apiURL: oauth.apiURL), authorized)
}

// MARK: - The refresh window: from the token response's last byte to the committed pair

/// Remembers when the token response was fully received.
final class ArrivalClock: HTTPTransport {
    let base: any HTTPTransport
    let arrived = Mutex<ContinuousClock.Instant?>(nil)
    init(_ base: any HTTPTransport) { self.base = base }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await base.send(request)
        arrived.withLock { $0 = ContinuousClock.now }
        return response
    }
}

if wants("refresh") {
    let emulator = BitbucketEmulator(configuration: EmulatorConfiguration())
    let endpoints = try await emulator.start()
    let transport = AsyncHTTPClientTransport()
    let oauth = OAuthConfiguration(
        clientID: endpoints.clientID, clientSecret: endpoints.clientSecret,
        authorizeURL: URL(string: endpoints.authorizeURL)!, tokenURL: URL(string: endpoints.tokenURL)!,
        apiURL: URL(string: endpoints.apiURL)!)
    // Side by side in one run: the rollback journal the store used before, and the WAL it uses now.
    for mode in [TokenStore.JournalMode.rollback, .wal, .rollback, .wal] {
        let directory = NSTemporaryDirectory() + "bbtui-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TokenStore(
            paths: StorePaths(configDirectory: directory, cacheDirectory: directory + "/cache"), journalMode: mode)
        let request = AuthorizationRequest.make(configuration: oauth)
        let redirect = try await transport.send(HTTPRequest(url: request.url)).headers["location"] ?? ""
        let code = try PastedAuthorization.code(from: redirect, expectedState: request.state).get()
        let token = try await TokenClient(configuration: oauth, transport: transport).exchange(code: code, for: request)
        try store.save(
            StoredAccount(id: "{u}", username: "zoe", displayName: "Zoë", configuration: oauth, token: token))
        let arrival = ArrivalClock(transport)
        var windows: [Duration] = []
        for _ in 0..<60 {
            guard let account = try store.activeAccount() else { break }
            // A clock three hours ahead: the stored token looks expired, so every call refreshes.
            let source = RefreshingTokenSource(
                account: account, store: store, client: TokenClient(configuration: oauth, transport: arrival),
                now: { Date().addingTimeInterval(3 * 3600) })
            _ = try await source.token()
            let committed = ContinuousClock.now
            if let arrived = arrival.arrived.withLock({ $0 }) { windows.append(committed - arrived) }
        }
        report(
            "refresh window (response received → pair committed), \(mode == .wal ? "WAL" : "rollback journal")",
            Stats(samples: windows).summary)
        let commit = try measure(iterations: 60) {
            try store.updateToken(token, accountID: "{u}")
        }
        report("commit of one token pair, \(mode == .wal ? "WAL" : "rollback journal")", commit.summary)
    }
    await emulator.stop()
}

if wants("pages") {
    // At 200 ms a round trip, elapsed time over 200 ms counts the round trips.
    let latency = 200
    let (emulator, endpoints, client, transport) = try await emulatorSession {
        $0.repositoryCount = 5000
        $0.workspaceCount = 5
        $0.latency = .milliseconds(latency)
    }
    let clock = ContinuousClock()
    func requests() -> Int { emulator.core.stats.requests["GET /2.0/repositories/{workspace}"] ?? 0 }
    func roundTrips(_ duration: Duration) -> String {
        String(
            format: "%.1f round trips",
            (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) * 1000
                / Double(latency))
    }

    // The whole listing as the app and `repos` do it: the workspace list, then every page.
    var before = requests()
    var start = clock.now
    let workspaces = try await client.workspaces(names: false)
    var listed: [Repository] = []
    var final: RepositoryBatch?
    for try await batch in client.repositories(in: workspaces) {
        listed = batch.isSnapshot ? batch.repositories : listed + batch.repositories
        final = batch
    }
    let parallelTime = clock.now - start
    if let final, final.isIncomplete || final.isSnapshot {
        print("  (listing: snapshot \(final.isSnapshot), failures \(final.failures), mismatches \(final.mismatches))")
    }
    let parallelRequests = requests() - before
    report(
        "5,000 repositories over 5 workspaces at \(latency) ms latency, workspaces + pages (bbtui's client)",
        "\(format(parallelTime)) = \(roundTrips(parallelTime)), \(parallelRequests) page requests, \(listed.count) repositories, peak \(emulator.core.stats.peakConcurrency) in flight"
    )

    before = requests()
    start = clock.now
    var sequential = 0
    for workspace in workspaces {
        var next: String? =
            endpoints.apiURL + "/repositories/\(workspace.slug)?role=member&pagelen=100&sort=-updated_on"
        while let url = next {
            let response = try await transport.send(HTTPRequest(url: URL(string: url)!))
            let page = try BitbucketClient.decodeRepositoryPage(response.body)
            sequential += page.repositories.count
            next = page.next
        }
    }
    let sequentialTime = clock.now - start
    report(
        "same, following next one by one",
        "\(format(sequentialTime)) = \(roundTrips(sequentialTime)), \(requests() - before) requests, \(sequential) repositories"
    )
    report(
        "speed-up",
        String(
            format: "%.1f×",
            (Double(sequentialTime.components.seconds) + Double(sequentialTime.components.attoseconds) / 1e18)
                / (Double(parallelTime.components.seconds) + Double(parallelTime.components.attoseconds) / 1e18)))

    // A refresh of the unchanged account from that listing.
    before = requests()
    start = clock.now
    let snapshot = RepositorySnapshot(workspaces: workspaces.map(\.slug), repositories: listed)
    var refreshed = 0
    for try await batch in client.repositories(in: try await client.workspaces(names: false), previous: snapshot)
    where batch.isSnapshot { refreshed = batch.repositories.count }
    let refreshTime = clock.now - start
    report(
        "refresh of the unchanged account (workspaces + first pages)",
        "\(format(refreshTime)) = \(roundTrips(refreshTime)), \(requests() - before) page requests (a full pass: \(parallelRequests)), \(refreshed) repositories"
    )

    // Bytes per repository with and without fields=.
    for (label, fields) in [("every field", ""), ("fields=", "&fields=" + BitbucketClient.repositoryFieldsQuery)] {
        let response = try await transport.send(
            HTTPRequest(
                url: URL(
                    string: endpoints.apiURL + "/repositories/acme-platform?pagelen=100&sort=-updated_on" + fields)!))
        let count = try BitbucketClient.decodeRepositoryPage(response.body).repositories.count
        report(
            "bytes per repository, \(label)",
            "\(response.body.count / max(1, count)) B (\(response.body.count) B for \(count))")
    }
    await emulator.stop()
}

// MARK: - Decode throughput

if wants("decode") {
    // The same pages through the one-pass parser and through JSONDecoder, side by side; every
    // field, and the fields= bbtui asks for.
    let (emulator, endpoints, _, transport) = try await emulatorSession {
        $0.repositoryCount = 5000
        $0.workspaceCount = 2
    }
    for (label, fields) in [("every field", ""), ("fields=", "&fields=" + BitbucketClient.repositoryFieldsQuery)] {
        var bodies: [[UInt8]] = []
        for page in 1...20 {
            let response = try await transport.send(
                HTTPRequest(
                    url: URL(
                        string: endpoints.apiURL + "/repositories/acme-platform?pagelen=100&page=\(page)" + fields)!))
            bodies.append(response.body)
        }
        let total = bodies.map { (try? BitbucketClient.decodeRepositoryPage($0).repositories.count) ?? 0 }.reduce(0, +)
        let bytes = bodies.map(\.count).reduce(0, +)
        for (decoder, decode) in [
            ("one-pass parser", BitbucketClient.decodeRepositoryPage),
            ("JSONDecoder", BitbucketClient.decodeRepositoryPageWithCodable),
        ] {
            let stats = measure(iterations: 20) {
                for body in bodies { _ = try? decode(body) }
            }
            let seconds = Double(stats.median.components.attoseconds) / 1e18 + Double(stats.median.components.seconds)
            report(
                "decode \(total) repositories, \(label) (\(bytes / 1024) KiB), \(decoder)",
                "\(stats.summary); \(String(format: "%.1f", seconds * 1e6 / Double(total))) µs a repository")
        }
    }
    await emulator.stop()
}

// MARK: - Matching the account's SSH keys against this machine's

if wants("keys") {
    // 100 account keys, 50 local ones (ten of them on the account): parse, fingerprint, match.
    func ed25519(_ seed: Int) -> String {
        var blob: [UInt8] = [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32]
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        blob += (0..<32).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        return "ssh-ed25519 " + Data(blob).base64EncodedString()
    }
    let accountKeys = (0..<100).map { SSHKey(uuid: "{\($0)}", key: ed25519($0), label: "key \($0)", lastUsed: now) }
    let local = LocalKeys.Found(
        keys: (90..<140).map { LocalKey(key: SSHPublicKey(line: ed25519($0) + " me")!, source: "~/.ssh/k\($0).pub") })
    var usable = 0
    let stats = measure(iterations: 200) {
        usable = SSHKeyReport(accountKeys: accountKeys, local: local, now: now).usableCount
    }
    report("match 100 account keys against 50 local keys (parse, SHA-256, match)", "\(stats.summary); \(usable) usable")
}

// MARK: - Memory with 100,000 repositories

if wants("memory") {
    let baseline = memory()
    let (emulator, _, client, _) = try await emulatorSession {
        $0.repositoryCount = 100_000
        $0.workspaceCount = 6
    }
    let afterEmulator = memory()
    let workspaces = try await client.workspaces()
    var state = RepositoriesState()
    for try await batch in client.repositories(in: workspaces) { state.append(batch.repositories) }
    let loaded = memory()
    report(
        "100,000 repositories loaded into the app state",
        "\(state.all.count) rows; RSS \(Int(baseline.current)) MiB → \(Int(afterEmulator.current)) MiB with the emulator's data → \(Int(loaded.current)) MiB loaded; peak \(Int(loaded.peak)) MiB"
    )
    await emulator.stop()
}

// MARK: - The real binary: first frame with cached data, and idle

if wants("startup") || wants("idle") {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "bbtui"
    ).path
    let (emulator, endpoints, _, _) = try await emulatorSession {
        $0.repositoryCount = 1000
        $0.latency = .milliseconds(300)
    }
    let home = NSTemporaryDirectory() + "bbtui-bench-\(getpid())"
    let paths = StorePaths(configDirectory: home, cacheDirectory: home + "/cache")
    let store = try TokenStore(paths: paths)
    let cache = try CacheStore(paths: paths)
    // A logged-in account whose cache holds 1,000 repositories.
    let oauth = OAuthConfiguration(
        clientID: endpoints.clientID, clientSecret: endpoints.clientSecret,
        authorizeURL: URL(string: endpoints.authorizeURL)!, tokenURL: URL(string: endpoints.tokenURL)!,
        apiURL: URL(string: endpoints.apiURL)!)
    let transport = AsyncHTTPClientTransport()
    let request = AuthorizationRequest.make(configuration: oauth)
    let redirect = try await transport.send(HTTPRequest(url: request.url)).headers["location"] ?? ""
    let token = try await TokenClient(configuration: oauth, transport: transport).exchange(
        code: try PastedAuthorization.code(from: redirect, expectedState: request.state).get(), for: request)
    try store.save(
        StoredAccount(id: "{bench}", username: "zoe", displayName: "Zoë", configuration: oauth, token: token))
    try cache.put(
        RepositorySnapshot(
            workspaces: ["acme-platform", "data-science", "mobile-guild", "ops"], repositories: makeRepositories(1000)),
        key: CacheStore.Key.repositories, accountID: "{bench}", fetchedAt: now)
    let environment = [
        "BBTUI_HOME": home, "TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": home, "PATH": "/usr/bin:/bin",
    ]

    if wants("startup") {
        var samples: [Duration] = []
        for _ in 0..<10 {
            let pty = PseudoTerminal(width: 100, height: 30)
            let clock = ContinuousClock()
            let start = clock.now
            let pid = pty.spawn(binary, arguments: [], environment: environment)
            let shown = pty.waitFor("cached", timeout: .seconds(10))
            samples.append(clock.now - start)
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            precondition(shown, "the first frame never showed cached data")
        }
        report(
            "start to first frame with cached data (1,000 repositories), real binary", Stats(samples: samples).summary)
    }
    if wants("idle") {
        let pty = PseudoTerminal(width: 100, height: 30)
        let pid = pty.spawn(binary, arguments: [], environment: environment)
        _ = pty.waitFor("cached", timeout: .seconds(10))
        // Let the background refresh finish, then watch an idle program for 10 s.
        let settle = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < settle { _ = pty.drain(quiet: 100) }
        let before = processCounters(pid)
        var idleBytes = 0
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end { idleBytes += pty.drain(quiet: 200).count }
        let after = processCounters(pid)
        let deltas = before.switches.compactMap { task, count in after.switches[task].map { (task, $0 - count) } }
            .sorted { $0.0 < $1.0 }
        let main = deltas.first { $0.0 == String(pid) }?.1 ?? -1
        let busiest = deltas.filter { $0.1 > 0 }.map { task, count -> String in
            let name = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? "?")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(name): \(count)"
        }.joined(separator: ", ")
        report(
            "idle 10 s (after the refresh)",
            String(
                format:
                    "CPU %.3f s, %d bytes written; context switches per thread: main thread %d, UI thread and others [%@] of %d threads",
                after.cpu - before.cpu, idleBytes, main, busiest.isEmpty ? "none" : busiest, deltas.count))
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
    try? FileManager.default.removeItem(atPath: home)
    await emulator.stop()
}
