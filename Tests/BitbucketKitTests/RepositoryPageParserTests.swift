import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@testable import BitbucketKit

/// The one-pass parser agrees with `JSONDecoder` and the `Codable` models on every page: where
/// it answers, the answer is the same; where the decoder refuses, it does not answer.
@Suite(.stopsEmulators) struct RepositoryPageParserTests {
    func codable(_ body: [UInt8]) -> (values: [Repository], next: String?, size: Int?, pagelen: Int?)? {
        guard let raw = try? JSONDecoder().decode(RawPage<RawRepository>.self, from: Data(body)) else { return nil }
        return (raw.values.map(\.model), raw.next, raw.size, raw.pagelen)
    }

    func agree(_ body: [UInt8], _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = RepositoryPageParser.parse(body)
        let slow = codable(body)
        if let fast {
            #expect(
                slow != nil,
                "the parser accepted what the decoder refuses: \(String(decoding: body.prefix(200), as: UTF8.self))",
                sourceLocation: sourceLocation)
            if let slow {
                #expect(fast.values == slow.values, comment, sourceLocation: sourceLocation)
                #expect(
                    fast.next == slow.next && fast.size == slow.size && fast.pagelen == slow.pagelen,
                    sourceLocation: sourceLocation)
            }
        }
    }

    /// Real pages from the emulator: plain and hostile data, every field and `fields=`.
    func pages() async throws -> [[UInt8]] {
        var bodies: [[UInt8]] = []
        for hostile in [false, true] {
            let h = try await KitHarness.start {
                $0.isHostile = hostile
                $0.repositoryCount = 400
            }
            let request = AuthorizationRequest.make(configuration: h.configuration)
            let code = try PastedAuthorization.code(from: try await h.approve(request), expectedState: request.state)
                .get()
            let token = try await h.tokenClient().exchange(code: code, for: request)
            let client = h.client(tokens: StaticTokenSource(token))
            for fields in [[], [("fields", BitbucketClient.repositoryFields)]] {
                for page in 1...3 {
                    let url = client.url(
                        "/repositories/acme-platform", [("pagelen", "50"), ("page", String(page))] + fields)
                    bodies.append(try await client.get(url, context: "test").body)
                }
            }
        }
        return bodies
    }

    @Test func realPagesParseExactlyAsTheDecoderReadsThem() async throws {
        for body in try await pages() {
            let fast = try #require(
                RepositoryPageParser.parse(body), "the parser gave up on a page the emulator served")
            #expect(fast.values.count > 0)
            agree(body)
        }
    }

    @Test(arguments: [
        #"{"values": []}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r"}], "size": 1, "page": 1, "pagelen": 10}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "name": "caf\u00e9 \ud83d\ude80 \/ \"q\" \\ \n\t", "size": 12}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "name": null, "slug": null, "mainbranch": null, "project": null, "links": null, "parent": null, "workspace": null}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "links": {"clone": [{"name": "ssh", "href": "a"}, {"name": "https"}, {"name": "https", "href": "b"}, {"name": "ssh", "href": "c"}]}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "workspace": {"name": "W"}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "size": 1.0}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "size": 1e3}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "size": -0}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "size": 99999999999999999999}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "name": "a", "name": "b"}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "is_private": "yes"}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "extra": [1, -2.5e-3, {"a": [true, false, null]}, "x"]}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "extra": 01}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "extra": 1.}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "name": "\ud83d"}]}"#,
        #"{"values": [{"uuid": "{u}"}]}"#,
        #"{"values": [{"uuid": null, "full_name": "ws/r"}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r"},]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r"}]} x"#,
        #"  {"values" : [ ] , "next" : "https://x/?page=2" }  "#,
        #"{"next": "n"}"#,
        #"[]"#,
        // Names are matched by their bytes; an escaped or non-ASCII one is the decoder's.
        #"{"values": [{"\u0075uid": "{u}", "full_name": "ws/r"}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "\u006eame": "n"}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "ünknown": 1}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "workspace": {"slug": "ws", "uuid": 7}}]}"#,
        // A workspace object without its required slug is refused by both readers, empty or not
        // (the fuzz target found `{}` accepted by the parser alone).
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "workspace": {}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "workspace": {"name": "W"}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "workspace": {"slug": null}}]}"#,
        #"{"size": 1, "page": 1, "pagelen": 100, "values": [{"type": "repository", "uuid": "{1}", "nam0e": "r", "slug":" r", "full_name": "w/r", "is_private": true, "size": 12, "updated_on": "2026-11-12T10:00:00.12340", "links": {"clone": [{"name": "ssh", "href":"t ig@b"}]}, "workspace": {}, "mainbranch": null}], "next": "https://page=2"}"#,
    ])
    func handWrittenPages(_ text: String) {
        agree(Array(text.utf8), "\(text)")
    }

    /// Pages the one-pass parser must read itself (not hand to the decoder), equal to the
    /// decoder's reading: values kept as bytes, escaped and non-ASCII ones, links that follow
    /// Bitbucket's patterns and links that do not, and repeated values that are shared from one
    /// repository to the next only when their bytes are the same.
    @Test(arguments: [
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "language": "swift", "workspace": {"slug": "ws", "name": "Work space one"}, "project": {"key": "P", "name": "Platform services"}, "mainbranch": {"name": "main"}, "fork_policy": "allow_forks"}, {"uuid": "{v}", "full_name": "wt/s", "language": "swifx", "workspace": {"slug": "wt", "name": "Work space onf"}, "project": {"key": "Q", "name": "Platform servicez"}, "mainbranch": {"name": "mainx"}, "fork_policy": "no_forks"}, {"uuid": "{w}", "full_name": "ws/t", "language": "swift", "workspace": {"slug": "ws", "name": "Work space one"}, "project": {"key": "P", "name": "Platform services"}, "mainbranch": {"name": "main"}, "fork_policy": "allow_forks"}, {"uuid": "{x}", "full_name": "ws/u", "language": "", "workspace": {"slug": "ws", "name": "W\u00f6rk"}, "project": {"key": "P", "name": "Plätform"}, "mainbranch": {"name": "m\u0061in"}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "links": {"html": {"href": "https:\/\/bitbucket.org\/ws\/r"}, "clone": [{"name": "htt\u0070s", "href": "https://me@bitbucket.org/ws/r.git"}, {"name": "ssh", "href": "git@ssh.bitbucket.org:ws/r.git"}]}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/ré", "slug": "ré", "links": {"html": {"href": "https://bitbucket.org/ws/ré"}, "clone": [{"name": "https", "href": "https://zoë@bitbucket.org/ws/ré.git"}, {"name": "ssh", "href": "git@bitbucket.org:ws/ré.git"}]}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "links": {"html": {"href": "https://bitbucket.org/ws/rx"}, "clone": [{"name": "https", "href": "https://a@b@bitbucket.org/ws/r.git"}, {"name": "ssh", "href": "ssh://git@bitbucket.org/ws/r.git"}]}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "ws/r", "links": {"html": {"href": null}, "clone": [{"name": "https", "href": null}, {"name": "ssh", "href": ""}]}}]}"#,
        #"{"values": [{"uuid": "{u}", "full_name": "other/name", "slug": "r", "workspace": {"slug": "ws"}, "created_on": "2013-04-12T09:31:07.051573+00:00", "updated_on": "2026-11-17T10:00:00Z"}, {"uuid": "{v}", "full_name": "ws/s", "created_on": "2013-04-12T09:31:07\u002e5+01:00", "updated_on": "not a date"}]}"#,
    ])
    func theParserReadsThesePagesItself(_ text: String) throws {
        let fast = try #require(RepositoryPageParser.parse(Array(text.utf8)), "the parser gave up")
        let slow = try #require(codable(Array(text.utf8)))
        #expect(fast.values == slow.values)
        #expect(fast.values.map(\.cloneHTTPS) == slow.values.map(\.cloneHTTPS))
    }

    @Test func invalidUTF8IsNeverRepaired() {
        var body = Array(#"{"values": [{"uuid": "{u}", "full_name": "ws/"#.utf8)
        body += [0xFF, 0xC3]
        body += Array(#"r"}]}"#.utf8)
        #expect(RepositoryPageParser.parse(body) == nil)
        agree(body)
    }

    /// Random damage to real pages: flipped, dropped and inserted bytes, truncation.
    @Test func damagedPagesNeverDisagree() async throws {
        let bodies = try await pages()
        var random = SeededGenerator(seed: 0xB0D1E5)
        var answered = 0
        for round in 0..<3_000 {
            var body = bodies[round % bodies.count]
            for _ in 0..<(1 + random.int(3)) {
                let at = random.int(body.count)
                switch random.int(4) {
                case 0: body[at] = UInt8(random.int(256))
                case 1: body.remove(at: at)
                case 2: body.insert(Array(#"\"{}[],:0123456789.eE+-tfnul \u"#.utf8)[random.int(30)], at: at)
                default: body = Array(body.prefix(at))
                }
            }
            if RepositoryPageParser.parse(body) != nil { answered += 1 }
            agree(body)
        }
        // Most damage lands inside strings and leaves the page readable: both paths are exercised.
        #expect(answered > 100)
    }
}

/// The cached listing survives the cache exactly, and a damaged one is refused, never half read.
@Suite struct RepositorySnapshotCacheTests {
    @Test func aListingRoundTripsThroughTheCacheExactly() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let cache = try CacheStore(paths: home.paths)
        var random = SeededGenerator(seed: 42)
        func text() -> String {
            let pool = ["", "a", "é", "🚀", "\u{1B}[2J", "\u{202E}", "\u{0}", "日本語", "\"\\"]
            return (0..<random.int(4)).map { _ in pool[random.int(pool.count)] }.joined()
        }
        func maybe() -> String? { random.int(3) == 0 ? nil : text() }
        let repositories = (0..<500).map { index in
            Repository(
                uuid: "{\(index)}", name: text(), slug: text(), fullName: text(), workspaceSlug: text(),
                workspaceName: maybe(),
                description: text(), isPrivate: random.int(2) == 0, language: text(),
                size: random.int(3) == 0 ? nil : Int64(random.int(1 << 40)) - 7,
                createdOn: random.int(3) == 0
                    ? nil : Date(timeIntervalSince1970: Double(random.int(1 << 31)) + 0.123456),
                updatedOn: random.int(3) == 0 ? nil : Date(timeIntervalSince1970: -Double(random.int(1 << 20)) / 7),
                mainBranch: maybe(), forkPolicy: maybe(), hasIssues: random.int(3) == 0 ? nil : random.int(2) == 0,
                hasWiki: random.int(3) == 0 ? nil : random.int(2) == 0, projectKey: maybe(), projectName: maybe(),
                parentFullName: maybe(), parentUUID: maybe(), cloneHTTPS: maybe(), cloneSSH: maybe(), webURL: maybe(),
                website: maybe()
            )
        }
        // And listings as Bitbucket serves them: links that follow the full name, values that
        // repeat from one repository to the next (stored once, then as "the same as before").
        let realistic = (0..<300).map { index in
            let workspace = ["acme", "acme-platform-services-team", "zoe"][index / 7 % 3]
            let slug = "repository-number-\(index)"
            let fullName = index % 11 == 0 ? "renamed/\(slug)" : "\(workspace)/\(slug)"
            return Repository(
                uuid: "{r\(index)}", name: index % 2 == 0 ? slug : "Name \(index)", slug: slug, fullName: fullName,
                workspaceSlug: workspace,
                workspaceName: index % 5 == 0 ? nil : "The \(workspace) workspace",
                language: ["swift", "", "a-language-with-a-long-name"][index / 3 % 3],
                mainBranch: index % 4 == 0 ? nil : "main", forkPolicy: "allow_forks",
                projectKey: index % 6 == 0 ? nil : "PROJ",
                projectName: index % 6 == 0 ? nil : "A project with a long name",
                cloneHTTPS: index % 9 == 0
                    ? nil
                    : "https://\(["zoe", "someone-with-a-long-user-name"][index % 2])@bitbucket.org/\(fullName).git",
                cloneSSH: [
                    "git@ssh.bitbucket.org:\(fullName).git", "git@bitbucket.org:\(fullName).git", nil,
                    "ssh://elsewhere/\(fullName)",
                ][index % 4],
                webURL: index % 8 == 0 ? nil : "https://bitbucket.org/\(fullName)"
            )
        }
        let snapshot = RepositorySnapshot(
            workspaces: ["a", "b"], repositories: realistic + repositories + realistic.reversed(),
            etags: ["a": "\"gz[9f8e]\"", "b": "W/\"17\""])
        try cache.put(
            snapshot, key: CacheStore.Key.repositories, accountID: "{u}", fetchedAt: Date(timeIntervalSince1970: 1))
        #expect(
            cache.get(CacheStore.Key.repositories, accountID: "{u}")?.value == snapshot)
        // An empty listing too.
        try cache.put(
            RepositorySnapshot(workspaces: [], repositories: []), key: CacheKey<RepositorySnapshot>.blob("empty"),
            accountID: "{u}", fetchedAt: Date())
        #expect(
            cache.get(CacheKey<RepositorySnapshot>.blob("empty"), accountID: "{u}")?.value
                == RepositorySnapshot(workspaces: [], repositories: []))
    }

    @Test func aDamagedBlobIsRefusedWhole() throws {
        let key = CacheStore.Key.repositories
        var blob = try key.encode(
            RepositorySnapshot(
                workspaces: ["w"],
                repositories: [Repository(uuid: "{1}", name: "n", slug: "s", fullName: "w/s", workspaceSlug: "w")]))
        #expect(key.decode(blob) != nil)
        for cut in [0, 1, 4, 9, blob.count / 2, blob.count - 1] {
            #expect(key.decode(Array(blob.prefix(cut))) == nil, "cut at \(cut)")
        }
        blob.append(0)
        #expect(key.decode(blob) == nil)
        // The old cache formats (a bare JSON array, a JSON object with a base64 blob) read as
        // nothing, not as an error.
        #expect(key.decode(Array("[]".utf8)) == nil)
        #expect(key.decode(Array(#"{"format":3,"workspaces":[],"blob":""}"#.utf8)) == nil)
    }
}

/// `Repository` stores its links relative to the full name; what goes in comes out.
@Suite struct RepositoryStorageTests {
    @Test(arguments: [
        ("https://zoe@bitbucket.org/ws/r.git", "git@ssh.bitbucket.org:ws/r.git", "https://bitbucket.org/ws/r"),
        ("https://a@b@bitbucket.org/ws/r.git", "git@bitbucket.org:ws/r.git", "https://bitbucket.org/ws/r/"),
        ("https://bitbucket.org/ws/r.git", "ssh://git@example.com/ws/r.git", "https://example.com/ws/r"),
        ("https://zoe@bitbucket.org/other/r.git", "git@ssh.bitbucket.org:other/r.git", ""),
        ("", "", "https://bitbucket.org/ws/r"),
    ])
    func linksComeBackAsTheyWent(https: String, ssh: String, web: String) {
        var repository = Repository(
            uuid: "{u}", name: "r", slug: "r", fullName: "ws/r", workspaceSlug: "ws", cloneHTTPS: https, cloneSSH: ssh,
            webURL: web)
        #expect(repository.cloneHTTPS == https)
        #expect(repository.cloneSSH == ssh)
        #expect(repository.webURL == web)
        let copy = repository
        repository.fullName = "ws/renamed"
        #expect(
            repository.cloneHTTPS == https && repository.cloneSSH == ssh && repository.webURL == web,
            "a rename keeps the links")
        #expect(copy.fullName == "ws/r", "copies are values")
        repository.cloneSSH = nil
        #expect(repository.cloneSSH == nil)
        #expect(Repository(uuid: "{u}", name: "r", slug: "r", fullName: "ws/r", workspaceSlug: "ws").webURL == nil)
    }
}

extension RepositorySnapshotCacheTests {
    @Test func touchDatesAStoredListingWithoutRewritingIt() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let cache = try CacheStore(paths: home.paths)
        let snapshot = RepositorySnapshot(
            workspaces: ["w"],
            repositories: [Repository(uuid: "{1}", name: "n", slug: "n", fullName: "w/n", workspaceSlug: "w")])
        try cache.put(
            snapshot, key: CacheStore.Key.repositories, accountID: "{u}", fetchedAt: Date(timeIntervalSince1970: 100))
        try cache.touch(CacheStore.Key.repositories, accountID: "{u}", fetchedAt: Date(timeIntervalSince1970: 200))
        let read = try #require(cache.get(CacheStore.Key.repositories, accountID: "{u}"))
        #expect(read.value == snapshot)
        #expect(read.fetchedAt == Date(timeIntervalSince1970: 200))
    }
}
