import Foundation
import Synchronization

/// Git's smart HTTP for the emulated repositories, as Bitbucket serves it at
/// `https://bitbucket.org/{workspace}/{slug}.git`: real bare repositories behind `git http-backend`.
///
/// Each repository is made the first time it is asked for, deterministically from the account
/// data (the same seed gives the same commits, byte for byte), so a 100,000-repository emulator
/// costs nothing until something is cloned. Credentials are checked as Bitbucket checks them:
/// Basic `x-token-auth` with a live OAuth access token holding `repository`, or an API token
/// with `read:repository:bitbucket`; anonymous reads of public repositories only.
final class EmulatorGit: Sendable {
    /// A git request: which repository, and which of the three smart-HTTP endpoints.
    struct Route: Equatable {
        var workspace: String
        var slug: String
        /// `info/refs`, `git-upload-pack` or `git-receive-pack`.
        var endpoint: String

        /// A push: `git-receive-pack`, or the refs advertised for one.
        func isPush(query: String) -> Bool {
            endpoint == "git-receive-pack"
                || FormEncoding.decode(query).contains { $0 == ("service", "git-receive-pack") }
        }
    }

    /// What a request may do once its credentials are checked.
    struct Access {
        var repository: Int
        var user: String?
        var canWrite: Bool
    }

    /// The directory holding the bare repositories (made on first use, removed by `removeAll`).
    private let root = Mutex<String?>(nil)
    /// Serialises making repositories: two first clones of one repository make it once.
    private let making = Mutex<Void>(())

    /// The route of `path` (percent-decoded), or nil when it is not a git request.
    static func route(_ path: String) -> Route? {
        let endpoints = ["/info/refs", "/git-upload-pack", "/git-receive-pack"]
        guard !path.hasPrefix("/2.0"), !path.hasPrefix("/_emulator"), !path.hasPrefix("/site/"),
            let endpoint = endpoints.first(where: { path.hasSuffix($0) })
        else { return nil }
        // Bitbucket serves `…/SLUG.git` and `…/SLUG` alike.
        var repository = path.dropFirst().dropLast(endpoint.count)
        if repository.hasSuffix(".git") { repository = repository.dropLast(4) }
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return Route(workspace: String(parts[0]), slug: String(parts[1]), endpoint: String(endpoint.dropFirst()))
    }

    /// The bare repository for `index`, made now if it does not exist yet.
    func repositoryPath(_ index: Int, in data: EmulatorData) throws -> String {
        let root = try self.rootDirectory()
        let path = "\(root)/\(index).git"
        try making.withLock { _ in
            guard !FileManager.default.fileExists(atPath: path + "/HEAD") else { return }
            try Self.make(data.repositories[index], index: index, data: data, at: path)
        }
        return path
    }

    private func rootDirectory() throws -> String {
        try root.withLock { root in
            if let root { return root }
            let template = NSTemporaryDirectory() + "bbtui-emulator-git-XXXXXX"
            var bytes = Array(template.utf8CString)
            guard mkdtemp(&bytes) != nil else {
                throw GitFailure(message: "mkdtemp: \(String(cString: strerror(errno)))")
            }
            let made = String(cString: bytes)
            root = made
            return made
        }
    }

    /// Deletes every repository made (the emulator stops).
    func removeAll() {
        root.withLock { root in
            if let root { try? FileManager.default.removeItem(atPath: root) }
            root = nil
        }
    }

    struct GitFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// A bare repository with a few commits on the main branch the API reports (none when it
    /// reports no main branch): a README naming the repository, then a change or two, dated from
    /// the repository's own dates.
    static func make(_ repository: EmulatedRepository, index: Int, data: EmulatorData, at path: String) throws {
        let temporary = path + ".making"
        try? FileManager.default.removeItem(atPath: temporary)
        let branch = repository.mainBranch ?? "main"
        try run(["git", "init", "--quiet", "--bare", "--initial-branch=" + branch, temporary])
        if repository.mainBranch != nil {
            var script: [UInt8] = []
            func blob(_ text: String) {
                script += Array("data \(text.utf8.count)\n".utf8) + Array(text.utf8) + Array("\n".utf8)
            }
            let author = "\(Self.safeName(data.displayName)) <zoe@example.com>"
            let full = "\(data.workspaces[repository.workspace].slug)/\(repository.slug)"
            let count = 1 + index % 3
            for number in 0..<count {
                let time = repository.createdOn + (repository.updatedOn - repository.createdOn) * number / max(1, count)
                script += Array("commit refs/heads/\(branch)\n".utf8)
                script += Array("author \(author) \(time) +0000\ncommitter \(author) \(time) +0000\n".utf8)
                blob(number == 0 ? "Initial commit" : "Update notes (\(number))")
                let readme = "# \(repository.name)\n\n\(repository.description)\n\nhttps://bitbucket.org/\(full)\n"
                script += Array("M 100644 inline README.md\n".utf8)
                blob(readme)
                if number > 0 {
                    script += Array("M 100644 inline NOTES.md\n".utf8)
                    blob((1...number).map { "- change \($0)\n" }.joined())
                }
                script += Array("\n".utf8)
            }
            try run(["git", "--git-dir=" + temporary, "fast-import", "--quiet"], input: script)
        }
        guard rename(temporary, path) == 0 else {
            throw GitFailure(message: "rename: \(String(cString: strerror(errno)))")
        }
    }

    /// A name git accepts in an ident (no `<`, `>` or newline).
    static func safeName(_ name: String) -> String {
        String(
            name.unicodeScalars.filter { $0.value >= 0x20 && $0 != "<" && $0 != ">" && $0.value != 0x7F }.map(
                Character.init))
    }

    /// The result of one `git http-backend` run: the CGI status, headers and body.
    struct CGIResult {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
    }

    /// Runs `git http-backend` for `route` on the bare repository at `path`.
    static func serve(
        _ route: Route, repositoryPath path: String, method: String, query: String, headers: [String: String],
        body: [UInt8], user: String?
    ) async throws -> CGIResult {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var environment = [
            "GIT_PROJECT_ROOT": directory, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": "/\(name)/\(route.endpoint)",
            "REQUEST_METHOD": method, "QUERY_STRING": query, "CONTENT_TYPE": headers["content-type"] ?? "",
            "CONTENT_LENGTH": String(body.count), "REMOTE_ADDR": "127.0.0.1", "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": directory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        if let encoding = headers["content-encoding"] { environment["HTTP_CONTENT_ENCODING"] = encoding }
        if let version = headers["git-protocol"] { environment["GIT_PROTOCOL"] = version }
        if let user { environment["REMOTE_USER"] = user }
        let output = try await runDetached(["git", "http-backend"], input: body, environment: environment)
        return parseCGI(output)
    }

    /// Splits a CGI answer into its status, headers and body.
    static func parseCGI(_ output: [UInt8]) -> CGIResult {
        var end = 0
        var separator = 0
        for index in 0..<output.count {
            if output[index...].starts(with: [13, 10, 13, 10]) {
                (end, separator) = (index, 4)
                break
            }
            if output[index...].starts(with: [10, 10]) {
                (end, separator) = (index, 2)
                break
            }
        }
        guard separator > 0 else { return CGIResult(status: 502, headers: [], body: Array("Bad gateway".utf8)) }
        var status = 200
        var headers: [(String, String)] = []
        for line in String(decoding: output[..<end], as: UTF8.self).split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }
        ) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                status = Int(value.prefix(3)) ?? 502
            } else {
                headers.append((name, value))
            }
        }
        return CGIResult(status: status, headers: headers, body: Array(output[(end + separator)...]))
    }

    /// Runs a git command and waits (making repositories; on the caller's thread).
    static func run(_ arguments: [String], input: [UInt8] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        process.environment = environment
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GitFailure(
                message:
                    "\(arguments.prefix(3).joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
    }

    /// Runs `body` on a thread of its own (it blocks: files, child processes).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs a program with `input` on stdin on a thread of its own; returns its stdout.
    static func runDetached(
        _ arguments: [String], input: [UInt8], environment: [String: String]
    ) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = arguments
                    process.environment = environment
                    let stdin = Pipe()
                    let stdout = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = stdout
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    let writer = Thread {
                        stdin.fileHandleForWriting.write(Data(input))
                        try? stdin.fileHandleForWriting.close()
                    }
                    writer.start()
                    let output = stdout.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Array(output))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension EmulatorCore {
    /// Checks a git request's credentials as Bitbucket does. Returns what it may do, or the
    /// answer that refuses it: 401 with Bitbucket's realm (git then asks its credential helpers),
    /// 403 for credentials without the repository permission, 404 for no such repository.
    func gitAccess(
        _ route: EmulatorGit.Route, query: String, headers: [String: String]
    ) -> Result<EmulatorGit.Access, EmulatorResponse> {
        let data = self.data
        let index = data.workspaces.firstIndex { $0.slug == route.workspace }.flatMap { workspace in
            data.repositories.firstIndex { $0.workspace == workspace && $0.slug == route.slug && !$0.isDeleted }
        }
        let unauthorized = EmulatorResponse(
            status: 401,
            headers: [("Content-Type", "text/plain"), ("WWW-Authenticate", "Basic realm=\"Bitbucket.org HTTP\"")],
            body: "Unauthorized")
        guard let header = headers["authorization"], header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else {
            // Anonymous: public repositories may be read, nothing else is even admitted to exist.
            if let index, !data.repositories[index].isPrivate, !route.isPush(query: query) {
                return .success(EmulatorGit.Access(repository: index, user: nil, canWrite: false))
            }
            return .failure(unauthorized)
        }
        let user = String(pair[..<colon])
        let secret = String(pair[pair.index(after: colon)...])
        let scopes: [String]
        let readScope: String
        let writeScope: String
        if user == "x-token-auth" {
            let record = state.withLock { $0.accessTokens[secret] }
            guard let record, clock.now < record.expiresAt else { return .failure(unauthorized) }
            (scopes, readScope, writeScope) = (record.scopes, "repository", "repository:write")
        } else if user == "x-bitbucket-api-token-auth" || user == data.nickname || user == configuration.apiTokenEmail {
            guard secret == configuration.apiToken, !state.withLock({ $0.apiTokenRevoked }) else {
                return .failure(unauthorized)
            }
            (scopes, readScope, writeScope) = (
                configuration.apiTokenScopes, "read:repository:bitbucket", "write:repository:bitbucket"
            )
        } else {
            return .failure(unauthorized)
        }
        let canRead = scopes.contains { [readScope, writeScope, "repository:admin"].contains($0) }
        guard canRead else {
            return .failure(.text(403, "Your credentials lack one or more required privilege scopes."))
        }
        guard let index else { return .failure(.text(404, "Repository not found")) }
        let canWrite = scopes.contains { [writeScope, "repository:admin"].contains($0) }
        if route.isPush(query: query) {
            guard canWrite else { return .failure(.text(403, "You need write access to push to this repository.")) }
        }
        return .success(EmulatorGit.Access(repository: index, user: user, canWrite: canWrite))
    }

    /// Counts a git request in the stats, keyed like `GET /{workspace}/{repo_slug}.git/info/refs`.
    func countGitRequest(method: String, _ route: EmulatorGit.Route) {
        state.withLock {
            $0.stats.requests["\(method) /{workspace}/{repo_slug}.git/\(route.endpoint)", default: 0] += 1
        }
    }
}
