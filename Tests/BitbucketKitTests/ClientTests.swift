import BitbucketEmulator
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BitbucketKit

/// Cuts every response body in half, as a dropped connection would.
struct TruncatingTransport: HTTPTransport {
    let base: any HTTPTransport
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var response = try await base.send(request)
        response.body = Array(response.body.prefix(response.body.count / 2))
        return response
    }
}

/// Records retry delays instead of sleeping.
final class SleepLog: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }
    func record(_ delay: Duration) { delays.withLock { $0.append(delay) } }
}

@Suite(.stopsEmulators) struct ClientTests {
    func loggedIn(_ h: KitHarness, base: any HTTPTransport = sharedTransport) async throws -> BitbucketClient {
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let token = try await h.tokenClient().exchange(code: code, for: request)
        return h.client(tokens: StaticTokenSource(token), base: base)
    }

    @Test func userWithScopesEmailsAndWorkspaces() async throws {
        let h = try await KitHarness.start()
        let client = try await loggedIn(h)
        let user = try await client.currentUser()
        #expect(user.displayName == "Zoë Ångström-李")
        #expect(user.grantedScopes == ["account", "email", "repository"])
        #expect(user.hasTwoFactorAuthentication == nil)
        #expect(user.createdOn == BitbucketDate.parse("2013-04-12T09:31:07.051573+00:00"))
        #expect(user.location == "Zürich")
        let emails = try await client.emails()
        #expect(emails.map(\.address) == ["zoe@example.com", "zoe.angstrom@work.example.org", "zoe+old@example.net"])
        #expect(emails.map(\.isConfirmed) == [true, true, false])
        let workspaces = try await client.workspaces()
        #expect(workspaces.map(\.slug) == ["acme-platform", "data-science", "mobile-guild", "zoe-angstrom"])
        #expect(workspaces.map(\.name) == ["ACME Platform", nil, "Mobile Guild 📱", "Zoë Ångström-李"])
        #expect(workspaces.map(\.title) == ["ACME Platform", "data-science", "Mobile Guild 📱", "Zoë Ångström-李"])
    }

    @Test func allRepositoriesInParallelPagesDeduplicated() async throws {
        let h = try await KitHarness.start {
            $0.repositoryCount = 5000
            $0.workspaceCount = 5
            $0.latency = .milliseconds(20)
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        var all: [Repository] = []
        var batches: [RepositoryBatch] = []
        for try await batch in client.repositories(in: workspaces) {
            all += batch.repositories
            batches.append(batch)
        }
        #expect(all.count == 5000)
        #expect(Set(all.map(\.uuid)).count == 5000)
        #expect(batches.last?.loaded == 5000)
        #expect(batches.last?.expectedTotal == 5000)
        #expect(batches.first!.repositories.count <= 100)
        #expect(batches.allSatisfy { $0.failures.isEmpty })
        // Exactly ceil(size/100) requests per workspace, no page fetched twice, none skipped,
        // plus one look at the first page again per workspace that took more than one page
        // (the check that nothing changed during the walk).
        let perWorkspace = Dictionary(grouping: all, by: \.workspaceSlug).values.map { ($0.count + 99) / 100 }
        #expect(
            h.stats.requests["GET /2.0/repositories/{workspace}"]
                == perWorkspace.reduce(0) { $0 + $1 + ($1 > 1 ? 1 : 0) })
        #expect(perWorkspace.count == 5)
        #expect(h.stats.peakConcurrency > 1)
        let sample = try #require(all.first { $0.parentFullName != nil })
        #expect(sample.cloneSSH?.hasPrefix("git@ssh.bitbucket.org:") == true)
        // The emulator's own address, as Bitbucket's links name bitbucket.org, with the user in it.
        #expect(
            sample.cloneHTTPS == h.endpoints.baseURL.replacingOccurrences(of: "http://", with: "http://zoe@") + "/"
                + sample.fullName + ".git")
        #expect(all.contains { $0.mainBranch == nil })
    }

    /// A server that serves fewer per page than asked (and says so in `pagelen`) still yields
    /// every repository: pages are counted from the response's own `pagelen`.
    @Test(arguments: [7, 33, 100])
    func aPageCapStillListsEverything(cap: Int) async throws {
        let h = try await KitHarness.start {
            $0.repositoryCount = 500
            $0.workspaceCount = 3
            $0.pageCap = cap
        }
        let client = try await loggedIn(h)
        let workspaces = try await client.workspaces()
        var all: [Repository] = []
        var last: RepositoryBatch?
        for try await batch in client.repositories(in: workspaces) {
            all += batch.repositories
            last = batch
        }
        #expect(all.count == 500)
        #expect(Set(all.map(\.uuid)).count == 500)
        #expect(last?.expectedTotal == 500)
        let perWorkspace = Dictionary(grouping: all, by: \.workspaceSlug).values.map { ($0.count + cap - 1) / cap }
        #expect(
            h.stats.requests["GET /2.0/repositories/{workspace}"]
                == perWorkspace.reduce(0) { $0 + $1 + ($1 > 1 ? 1 : 0) })
    }

    @Test func roleFilterGoneFallsBackWithoutRole() async throws {
        let h = try await KitHarness.start {
            $0.rejectsRoleFilter = true
            $0.repositoryCount = 300
        }
        let client = try await loggedIn(h)
        var count = 0
        for try await batch in client.repositories(in: try await client.workspaces()) {
            count += batch.repositories.count
        }
        #expect(count == 300)
    }

    @Test func missingScopeIsTyped() async throws {
        let h = try await KitHarness.start { $0.scopes = ["account"] }
        let client = try await loggedIn(h)
        await #expect(throws: APIError.missingScopes(required: ["email"], granted: ["account"])) {
            try await client.emails()
        }
        let error = APIError.missingScopes(required: ["email"], granted: ["account"])
        #expect(error.description.contains("tick Account: Email"))
        await #expect(throws: APIError.missingScopes(required: ["repository"], granted: ["account"])) {
            for try await _ in client.repositories(in: [
                Workspace(uuid: "x", slug: "acme-platform", name: nil, isAdministrator: false)
            ]) {}
        }
    }

    @Test func goneEndpointNamesTheChange() throws {
        let body =
            #"{"type": "error", "error": {"message": "CHANGE-2770 - Functionality has been deprecated", "detail": "Please read the changelog entry for more details."}}"#
        #expect(
            throws: APIError.gone(change: "CHANGE-2770", message: "CHANGE-2770 - Functionality has been deprecated")
        ) {
            try BitbucketClient.check(
                HTTPResponse(status: 410, headers: ["Content-Type": "application/json"], body: Array(body.utf8)))
        }
    }

    @Test func serverErrorsAreRetriedWithBackoffThenReported() async throws {
        let h = try await KitHarness.start { $0.failureRate = 1 }
        let log = SleepLog()
        let retrying = RetryingTransport(
            sharedTransport, maxAttempts: 4, initialDelay: .milliseconds(100), maxDelay: .seconds(1),
            sleep: { log.record($0) }, jitter: { $0 })
        let client = try await loggedIn(h, base: retrying)
        do {
            _ = try await client.currentUser()
            Issue.record("expected a server error")
        } catch {
            guard case .server(let status, _) = error else {
                Issue.record("got \(error)")
                return
            }
            #expect([500, 502, 503].contains(status))
        }
        #expect(log.recorded == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(h.stats.requests["GET /2.0/user"] == 4)
    }

    @Test func rateLimitIsRetriedThenReported() async throws {
        let h = try await KitHarness.start { $0.rateLimit = 1 }
        let log = SleepLog()
        let retrying = RetryingTransport(
            sharedTransport, maxAttempts: 3, initialDelay: .seconds(1), sleep: { log.record($0) }, jitter: { $0 })
        let client = try await loggedIn(h, base: retrying)
        // The first request spends the hour's only allowance, whatever it answers.
        _ = try? await client.repository(fullName: "acme-platform/anything")
        await #expect(throws: APIError.rateLimited) { _ = try await client.repository(fullName: "acme-platform/x") }
        #expect(log.recorded == [.seconds(1), .seconds(2)])
    }

    @Test func tokenPostIsNeverRetried() async throws {
        let h = try await KitHarness.start()
        let log = SleepLog()
        let retrying = RetryingTransport(FailingTransport(), maxAttempts: 4, sleep: { log.record($0) })
        let client = TokenClient(configuration: h.configuration, transport: retrying)
        await #expect(throws: OAuthError.self) { _ = try await client.refresh("r") }
        #expect(log.recorded.isEmpty)
    }

    @Test func truncatedBodyIsADecodingErrorWithContext() async throws {
        let h = try await KitHarness.start()
        let client = try await loggedIn(h, base: TruncatingTransport(base: sharedTransport))
        await #expect(throws: APIError.decoding("emails, page 1: not valid JSON (truncated or not JSON at all)")) {
            try await client.emails()
        }
    }

    @Test func connectionRefusedIsQuickAndClear() async throws {
        let transport = AsyncHTTPClientTransport(connectTimeout: .seconds(2))
        do {
            _ = try await transport.send(HTTPRequest(url: URL(string: "http://127.0.0.1:1/2.0/user")!))
            Issue.record("expected a failure")
        } catch let error as TransportError {
            #expect(error.kind == .connectionRefused)
            #expect(error.description.contains("refused"))
        }
    }

    @Test func plainHTTPToTheInternetIsRefused() async throws {
        await #expect(throws: TransportError(.insecureURL, host: "example.com")) {
            _ = try await sharedTransport.send(HTTPRequest(url: URL(string: "http://example.com/2.0/user")!))
        }
    }

    @Test func oversizedResponsesAreCut() async throws {
        let h = try await KitHarness.start { $0.repositoryCount = 200 }
        let small = AsyncHTTPClientTransport(maxResponseBytes: 500)
        let client = try await loggedIn(h, base: small)
        do {
            _ = try await client.workspaces()
            Issue.record("expected a failure")
        } catch {
            guard case .network(let transport) = error else {
                Issue.record("got \(error)")
                return
            }
            #expect(transport.kind == .responseTooLarge)
        }
    }

    @Test(arguments: [
        ("2013-04-12T09:31:07.051573+00:00", 1_365_759_067.051573),
        ("2013-04-12T09:31:07Z", 1_365_759_067.0),
        ("2013-04-12T11:31:07+02:00", 1_365_759_067.0),
        ("1970-01-01T00:00:00.5+00:00", 0.5),
    ])
    func datesParse(text: String, seconds: Double) throws {
        let date = try #require(BitbucketDate.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_01)
    }

    @Test func badDatesAreNil() {
        #expect(BitbucketDate.parse("yesterday") == nil)
        #expect(BitbucketDate.parse("2013-13-12T09:31:07Z") == nil)
    }

    @Test func proxySettings() {
        let settings = ProxySettings(environment: [
            "HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": ".internal,example.org",
        ])
        #expect(settings.proxy?.host == "proxy.corp")
        #expect(settings.proxy?.port == 3128)
        #expect(settings.applies(to: "api.bitbucket.org"))
        #expect(!settings.applies(to: "git.internal"))
        #expect(!settings.applies(to: "example.org"))
        #expect(!settings.applies(to: "127.0.0.1"))
    }
}

/// Always fails at the network level.
struct FailingTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        throw TransportError(.connectionRefused, host: "nowhere")
    }
}
