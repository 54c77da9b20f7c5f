import Foundation
import TestSupport
import Testing

@testable import BitbucketEmulator

/// A client written for Bitbucket walks the API through `links`, never by building URLs: every
/// link the emulator serves must lead somewhere real, and the walk must find the same data.
@Suite(.stopsEmulators) struct LinkWalkTests {
    /// Every value of a paginated listing, following `next` as it is given.
    func all(_ h: EmulatorHarness, _ url: String, token: String) async throws -> [[String: Any]] {
        var values: [[String: Any]] = []
        var next: String? = url
        var pages = 0
        while let page = next, pages < 100 {
            let result = try await h.get(page, token: token)
            try #require(result.status == 200, "\(page): \(result.status) \(result.body.prefix(200))")
            values += result.object["values"] as? [[String: Any]] ?? []
            next = result.object["next"] as? String
            pages += 1
        }
        return values
    }

    func href(_ object: [String: Any], _ name: String) -> String? {
        ((object["links"] as? [String: Any])?[name] as? [String: Any])?["href"] as? String
    }

    @Test func aLinkFollowingClientFindsEveryRepositoryProjectAndMembership() async throws {
        let h = try await EmulatorHarness.start {
            $0.repositoryCount = 90
            $0.workspaceCount = 3
        }
        let token = try await h.accessToken()
        let direct = try await all(h, "/2.0/user/workspaces?pagelen=100", token: token)
        #expect(direct.count == 3)
        var repositoriesByLinks = Set<String>()
        var repositoriesByProjects = Set<String>()
        for access in direct {
            let base = try #require(access["workspace"] as? [String: Any])
            // workspace_base → its self link → the full workspace, which links to everything.
            let full = try await h.get(try #require(href(base, "self")), token: token)
            try #require(full.status == 200)
            #expect(full.object["type"] as? String == "workspace")
            for name in ["avatar", "html", "members", "owners", "projects", "repositories", "snippets", "self"] {
                #expect(href(full.object, name) != nil, "workspace lacks links.\(name)")
            }
            for repository in try await all(h, try #require(href(full.object, "repositories")), token: token) {
                repositoriesByLinks.insert(try #require(repository["uuid"] as? String))
                // A repository's own links lead back to it.
                let own = try await h.get(try #require(href(repository, "self")), token: token)
                #expect(own.object["uuid"] as? String == repository["uuid"] as? String)
            }
            for project in try await all(h, try #require(href(full.object, "projects")), token: token) {
                let single = try await h.get(try #require(href(project, "self")), token: token)
                #expect(single.object["key"] as? String == project["key"] as? String)
                for repository in try await all(h, try #require(href(project, "repositories")), token: token) {
                    repositoriesByProjects.insert(try #require(repository["uuid"] as? String))
                }
            }
            let members = try await all(h, try #require(href(full.object, "members")), token: token)
            #expect(members.contains { ($0["user"] as? [String: Any])?["nickname"] as? String == "zoe" })
        }
        #expect(repositoriesByLinks.count == 90)
        #expect(repositoriesByProjects == repositoriesByLinks)
    }
}
