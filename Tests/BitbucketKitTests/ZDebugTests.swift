import BitbucketEmulator
import Foundation
import Testing
import TestSupport
@testable import BitbucketKit

@Suite(.stopsEmulators) struct ZDebugTests {
    @Test func debugLatency() async throws {
        let h = try await KitHarness.start { $0.repositoryCount = 5000; $0.workspaceCount = 5; $0.latency = .milliseconds(200) }
        let request = AuthorizationRequest.make(configuration: h.configuration)
        let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state).get()
        let token = try await h.tokenClient().exchange(code: code, for: request)
        let client = h.client(tokens: StaticTokenSource(token))
        let clock = ContinuousClock()
        var start = clock.now
        let workspaces = try await client.workspaces()
        print("DEBUG workspaces", clock.now - start)
        start = clock.now
        var last: RepositoryBatch?
        var count = 0
        for try await batch in client.repositories(in: workspaces) { last = batch; count += 1; if count < 12 { print("DEBUG batch", clock.now - start, batch.loaded, batch.expectedTotal ?? -1) } }
        print("DEBUG listing", clock.now - start, h.stats.requests, last!.mismatches, last!.failures, last!.isSnapshot)
    }
}
