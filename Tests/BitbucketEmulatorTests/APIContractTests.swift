import AsyncHTTPClient
import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@Suite(.stopsEmulators) struct APIContractTests {
    @Test func userHasEveryField() async throws {
        let h = try await EmulatorHarness.start()
        let result = try await h.get("/2.0/user", token: try await h.accessToken())
        #expect(result.status == 200)
        let user = result.object
        #expect(
            Set(user.keys) == [
                "display_name", "links", "created_on", "type", "uuid", "has_2fa_enabled", "username", "is_staff",
                "account_id", "nickname", "account_status", "location", "website",
            ])
        #expect(user["display_name"] as? String == "Zoë Ångström-李")
        #expect(user["type"] as? String == "user")
        #expect(user["account_status"] as? String == "active")
        #expect(user["has_2fa_enabled"] is NSNull)
        #expect((user["uuid"] as? String)?.hasPrefix("{") == true)
        #expect(user["created_on"] as? String == "2013-04-12T09:31:07.051573+00:00")
        let links = try #require(user["links"] as? [String: Any])
        #expect(Set(links.keys).isSuperset(of: ["avatar", "html", "self", "repositories"]))
        #expect(result.headers["x-oauth-scopes"] == "account, email, repository")
        #expect(result.headers["x-accepted-oauth-scopes"] == "account")
        #expect(result.headers["etag"]?.hasPrefix("\"") == true)
    }

    @Test func etagAnswers304() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let first = try await h.get("/2.0/user", token: token)
        let etag = try #require(first.headers["etag"])
        let second = try await h.get("/2.0/user", token: token, headers: [("If-None-Match", etag)])
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
    }

    @Test func emailsArePaginatedWithPrimaryConfirmedAndUnconfirmed() async throws {
        let h = try await EmulatorHarness.start()
        let result = try await h.get("/2.0/user/emails", token: try await h.accessToken())
        let values = try #require(result.object["values"] as? [[String: Any]])
        #expect(
            values.map { $0["email"] as? String } == [
                "zoe@example.com", "zoe.angstrom@work.example.org", "zoe+old@example.net",
            ])
        #expect(values.map { $0["is_primary"] as? Bool } == [true, false, false])
        #expect(values.map { $0["is_confirmed"] as? Bool } == [true, true, false])
        #expect(result.object["size"] as? Int == 3)
    }

    @Test func workspacesFollowOpaqueCursors() async throws {
        let h = try await EmulatorHarness.start { $0.workspaceCount = 7 }
        let token = try await h.accessToken()
        var url: String? = "/2.0/user/workspaces?pagelen=3&sort=slug"
        var slugs: [String] = []
        var pages = 0
        while let next = url {
            let page = try await h.get(next, token: token)
            #expect(page.status == 200)
            #expect(page.object["size"] == nil)
            for row in page.object["values"] as? [[String: Any]] ?? [] {
                #expect(row["type"] as? String == "workspace_access")
                let workspace = try #require(row["workspace"] as? [String: Any])
                #expect(workspace["name"] == nil)
                slugs.append(try #require(workspace["slug"] as? String))
            }
            url = page.object["next"] as? String
            pages += 1
        }
        #expect(pages == 3)
        #expect(slugs == slugs.sorted())
        #expect(
            Set(slugs) == [
                "zoe-angstrom", "acme-platform", "data-science", "mobile-guild", "ops", "research-lab", "design",
            ])
        let unnamed = try await h.get("/2.0/workspaces/data-science", token: token)
        #expect(unnamed.object["name"] is NSNull)
        let named = try await h.get("/2.0/workspaces/acme-platform", token: token)
        #expect(named.object["name"] as? String == "ACME Platform")
    }

    @Test(arguments: [
        "/2.0/repositories", "/2.0/workspaces", "/2.0/user/permissions/repositories",
        "/2.0/user/permissions/workspaces",
    ])
    func change2770EndpointsAreGone(path: String) async throws {
        let h = try await EmulatorHarness.start()
        let result = try await h.get(path + "?role=member", token: try await h.accessToken())
        #expect(result.status == 410)
        #expect(
            result.body
                == #"{"type": "error", "error": {"message": "CHANGE-2770 - Functionality has been deprecated", "detail": "Please read the changelog entry for more details.", "data": {"announcement_url": "https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770"}}}"#
        )
    }

    @Test func bearerHeaderOnly() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let inQuery = try await h.get("/2.0/user?access_token=\(token)", token: nil)
        #expect(inQuery.status == 401)
        let none = try await h.get("/2.0/user", token: nil)
        #expect(none.status == 401)
        let basic = try await h.get("/2.0/user", token: nil, headers: [h.basicAuth])
        #expect(basic.status == 401)
        #expect(basic.headers["content-type"] == "text/plain")
    }

    @Test func expiredTokenGetsTheRealBody() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        #expect(try await h.get("/2.0/user", token: token).status == 200)
        #expect(try await h.request(.POST, "/_emulator/expire-tokens").status == 200)
        let expired = try await h.get("/2.0/user", token: token)
        #expect(expired.status == 401)
        #expect(
            expired.body
                == #"{"type": "error", "error": {"message": "Access token expired. Use your refresh token to obtain a new access token."}}"#
        )
    }

    @Test func missingScopeIs403WithRequiredAndGranted() async throws {
        let h = try await EmulatorHarness.start { $0.scopes = ["account"] }
        let result = try await h.get("/2.0/user/emails", token: try await h.accessToken())
        #expect(result.status == 403)
        #expect(
            result.body
                == #"{"type": "error", "error": {"message": "Your credentials lack one or more required privilege scopes.", "detail": {"required": ["email"], "granted": ["account"]}}}"#
        )
        #expect(result.headers["x-oauth-scopes"] == "account")
        #expect(result.headers["x-accepted-oauth-scopes"] == "email")
    }

    @Test func injectedFailuresAreHTML() async throws {
        let h = try await EmulatorHarness.start { $0.failureRate = 1 }
        let token = try await h.accessToken()
        let result = try await h.get("/2.0/user", token: token)
        #expect([500, 502, 503].contains(result.status))
        #expect(result.headers["content-type"] == "text/html")
        #expect(result.body.hasPrefix("<html>"))
        #expect(h.emulator.core.stats.injectedFailures == 1)
    }

    @Test func rateLimitIs429PlainTextWithoutRetryAfter() async throws {
        let h = try await EmulatorHarness.start { $0.rateLimit = 2 }
        let token = try await h.accessToken()
        #expect(try await h.get("/2.0/repositories/acme-platform", token: token).status == 200)
        #expect(try await h.get("/2.0/repositories/acme-platform", token: token).status == 200)
        let limited = try await h.get("/2.0/repositories/acme-platform", token: token)
        #expect(limited.status == 429)
        #expect(limited.body == "Rate limit for this resource has been exceeded")
        #expect(limited.headers["content-type"] == "text/plain")
        #expect(limited.headers["retry-after"] == nil)
        // Other resources are not limited.
        #expect(try await h.get("/2.0/user", token: token).status == 200)
    }

    @Test func latencyDelaysResponses() async throws {
        let h = try await EmulatorHarness.start { $0.latency = .milliseconds(150) }
        let token = try await h.accessToken()
        let start = ContinuousClock.now
        _ = try await h.get("/2.0/user", token: token)
        #expect(ContinuousClock.now - start >= .milliseconds(150))
    }

    @Test func roleFilterCanBeGone() async throws {
        let h = try await EmulatorHarness.start { $0.rejectsRoleFilter = true }
        let token = try await h.accessToken()
        #expect(try await h.get("/2.0/repositories/acme-platform?role=member", token: token).status == 410)
        #expect(try await h.get("/2.0/repositories/acme-platform", token: token).status == 200)
    }

    @Test func statsCountRoutes() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        _ = try await h.get("/2.0/repositories/ops?page=1", token: token)
        _ = try await h.get("/2.0/repositories/acme-platform", token: token)
        let stats = try await h.request(.GET, "/_emulator/stats").object
        let requests = try #require(stats["requests"] as? [String: Int])
        #expect(requests["GET /2.0/repositories/{workspace}"] == 2)
        #expect(requests["POST /site/oauth2/access_token"] == 1)
        #expect(requests["GET /site/oauth2/authorize"] == 1)
    }
}
